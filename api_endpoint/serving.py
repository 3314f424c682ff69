"""What gunicorn answers itself, before a request reaches the app, in the API's JSON error shape.

gunicorn refuses a request line over `limit_request_line` (414), too many or too large headers (431) and
malformed requests (400) before any application code runs, and writes those answers through
`gunicorn.util.write_error` as HTML. `install()` replaces that one function, in the gunicorn process only, with
one that writes `{code, message, details}` as every other error of the API does.
"""

import json
import socket
import time

from gunicorn import util

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
