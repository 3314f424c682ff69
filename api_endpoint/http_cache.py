"""Answers a client can keep: an ETag and `Cache-Control: no-cache` on every answer a domain gives, so a client
revalidates and gets a 304 while nothing new was published; compression (zstd, brotli or gzip, as the client
accepts) with Flask-Compress. Health answers are never stored."""

from flask import Flask, request
from flask_compress import Compress
from werkzeug.wrappers import Response

compress = Compress()


def init_app(app: Flask) -> None:
    # Registered first, so it runs last: it compresses what the validator below tagged, tags the compressed
    # body apart (ETag "<hash>:gzip"), and answers a conditional request with a 304.
    compress.init_app(app)

    @app.after_request
    def validators(response: Response) -> Response:
        # A streamed answer (a CSV file) is sent as it is written: hashing it would hold it whole in memory.
        if request.method != "GET" or response.status_code != 200 or response.direct_passthrough:
            return response
        if response.is_streamed:
            response.cache_control.no_cache = True
            return response
        if request.blueprint == "health":
            response.cache_control.no_store = True
        else:
            # Answers follow the newest publication: keep them, but ask again each time (cheap with the ETag).
            response.cache_control.no_cache = True
            response.add_etag()
        return response
