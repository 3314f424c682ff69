"""Content negotiation: an answer that depends on the Accept header says so (Vary: Accept), so that a cache never
hands a browser's HTML page to a client that asked for JSON, or the other way round."""

import csv
import io
from collections.abc import Iterable, Iterator

from flask import Flask, Response, g, request

CSV_CHUNK_ROWS = 1000


def preferred(*mimetypes: str) -> str | None:
    """The type among `mimetypes` the client prefers (the first on a tie); the answer now varies by Accept."""
    g.varies_by_accept = True
    return request.accept_mimetypes.best_match(list(mimetypes))


FORMATS = {"csv": "text/csv", "json": "application/json", "html": "text/html"}


def requested(format_parameter: str | None, *mimetypes: str) -> str | None:
    """The type a `format` parameter names, or else the one among `mimetypes` the client's Accept prefers."""
    return FORMATS.get(format_parameter) or preferred(*mimetypes)


def init_app(app: Flask) -> None:
    @app.after_request
    def say_it_varies(response: Response) -> Response:
        if g.get("varies_by_accept"):
            response.vary.add("Accept")
        return response


def csv_response(rows: Iterable[dict], columns: list[str], filename: str) -> Response:
    """Rows as a CSV file with a header line, sent as it is written, a thousand rows at a time."""

    def chunks() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for count, row in enumerate(rows, 1):
            writer.writerow(row)
            if count % CSV_CHUNK_ROWS == 0:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    return Response(
        chunks(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
