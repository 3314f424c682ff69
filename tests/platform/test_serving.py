"""The API under gunicorn, as `quickstart run` serves it: slow clients cannot starve it, and what gunicorn answers
itself is JSON too."""

import json
import socket
import statistics
import time

import pytest

from bench.api import Api
from warehouse import config

SLOW_CLIENTS = 32
NORMAL_REQUESTS = 60


@pytest.fixture
def api(published, tmp_path):
    """The real API under gunicorn with its own config, 2 workers x 4 threads, reading the published snapshots."""
    served = Api(published, workers=2, threads=4, log_path=tmp_path / "gunicorn.log")
    served.start()
    yield served
    served.stop()


def raw_exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are and return the status, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


def test_slow_clients_do_not_starve_the_api(api):
    # Each slow client announces a body and sends half of it, then waits: a worker thread that reads it blocks.
    body = json.dumps({"customer_id": 1, "country_code": "Peru"}).encode()
    slow = []
    for _ in range(SLOW_CLIENTS):
        connection = socket.create_connection(("127.0.0.1", api.port), timeout=10)
        connection.sendall(
            b"POST /voucher HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[: len(body) // 2]
        )
        slow.append(connection)
    try:
        time.sleep(1)  # let every slow request reach a worker
        timings = []
        for _ in range(NORMAL_REQUESTS):
            started = time.monotonic()
            status, _ = api.get("/selection_criteria")
            timings.append(time.monotonic() - started)
            assert status == 200
        p99 = statistics.quantiles(timings, n=100)[98]
        assert p99 < 1.0, f"p99 {p99:.3f} s with {SLOW_CLIENTS} slow clients connected"
    finally:
        for connection in slow:
            connection.close()


def test_gunicorns_own_refusals_are_json(api):
    long_line = b"GET /selection_criteria?" + b"x" * 10_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
    status, headers, body = raw_exchange(api.port, long_line)
    assert status == 414
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["code"] == "uri_too_long"

    many_headers = b"".join(f"X-Header-{number}: 1\r\n".encode() for number in range(200))
    status, headers, body = raw_exchange(
        api.port, b"GET /selection_criteria HTTP/1.1\r\nHost: localhost\r\n" + many_headers + b"\r\n"
    )
    assert status == 431
    assert set(json.loads(body)) == {"code", "message", "details"}

    status, headers, body = raw_exchange(api.port, b"NOT HTTP AT ALL\r\n\r\n")
    assert status == 400
    assert json.loads(body)["code"] == "bad_request"


def test_an_oversized_body_is_refused_before_it_is_read(api):
    limit = config.API_MAX_BODY_BYTES.value()
    # Only the headers are sent: the answer must come without the body ever arriving.
    status, headers, body = raw_exchange(
        api.port,
        b"POST /voucher HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n"
        + f"Content-Length: {limit + 1}\r\n\r\n".encode(),
    )
    assert status == 413
    assert json.loads(body)["code"] == "payload_too_large"


def test_the_access_log_keeps_every_error_and_the_configured_share_of_the_rest(published, tmp_path, monkeypatch):
    monkeypatch.setenv("API_ACCESS_LOG", "0")
    served = Api(published, workers=1, threads=2, log_path=tmp_path / "gunicorn.log")
    served.start()
    try:
        for _ in range(20):
            assert served.get("/selection_criteria")[0] == 200
        assert served.get("/no-such-page")[0] == 404
    finally:
        served.stop()
    access = [line for line in served.log_path.read_text().splitlines() if '"GET /' in line]
    assert len(access) == 1 and '"GET /no-such-page HTTP/1.1" 404' in access[0], access
