"""What gunicorn answers itself, before a request reaches the app, in the API's JSON error shape; and how much
of its access log it writes.

gunicorn refuses a request line over `limit_request_line` (414), too many or too large headers (431) and
malformed requests (400) before any application code runs, and writes those answers through
`gunicorn.util.write_error` as HTML. `install()` replaces that one function, in the gunicorn process only, with
one that writes `{code, message, details}` as every other error of the API does.
"""

import json
import random
import socket
import time

from gunicorn import glogging, util

from api_endpoint.errors import CODES

GUNICORN_CODES = {414: "uri_too_long", 431: "headers_too_large", 417: "expectation_failed", 501: "not_implemented"}


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    body = json.dumps(
        {
            "code": GUNICORN_CODES.get(status_int) or CODES.get(status_int, "error"),
            "message": mesg or reason,
            "details": {},
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)
    _linger(sock)


def _linger(sock, seconds: float = 1.0, most: int = 1 << 20) -> None:
    """Read what the client is still sending, for at most `seconds` in all, before gunicorn closes the socket:
    closing with unread bytes makes the kernel reset the connection, and the client may then lose the answer it
    has not read yet."""
    deadline = time.monotonic() + seconds
    try:
        sock.shutdown(socket.SHUT_WR)
        drained = 0
        while drained < most and (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            chunk = sock.recv(65536)
            if not chunk:
                break
            drained += len(chunk)
    except OSError:
        pass


def install() -> None:
    util.write_error = write_json_error


class AccessLog(glogging.Logger):
    """gunicorn's logger, whose access log records every error answer and a share of the others.

    `API_ACCESS_LOG` is the share: 1 records every request, 0.01 one success in a hundred, 0 none. Each line is
    gunicorn's own format, written as it always is; only how many are written changes.
    """

    share = 1.0

    def access(self, resp, req, environ, request_time) -> None:
        status = getattr(resp, "status_code", None) or 0
        if status >= 400 or self.share >= 1 or (self.share > 0 and random.random() < self.share):  # noqa: S311
            super().access(resp, req, environ, request_time)
