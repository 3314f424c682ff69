"""Content negotiation: an answer that depends on the Accept header says so (Vary: Accept), so that a cache never
hands a browser's HTML page to a client that asked for JSON, or the other way round."""

from flask import Flask, g, request
from werkzeug.wrappers import Response


def preferred(*mimetypes: str) -> str | None:
    """The type among `mimetypes` the client prefers (the first on a tie); the answer now varies by Accept."""
    g.varies_by_accept = True
    return request.accept_mimetypes.best_match(list(mimetypes))


def init_app(app: Flask) -> None:
    @app.after_request
    def say_it_varies(response: Response) -> Response:
        if g.get("varies_by_accept"):
            response.vary.add("Accept")
        return response
