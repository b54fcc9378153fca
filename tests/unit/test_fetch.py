"""The bounded fetcher: HTTPS only, no private addresses, size caps, re-checked redirects.

Responses come from an in-process httpx MockTransport; name resolution is injected, so the
address checks are tested without DNS.
"""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from verifier.fetch import FetchError, HttpFetcher


def _fetcher(handler: object, addresses: dict[str, list[str]] | None = None, **kwargs: object) -> HttpFetcher:
    table = addresses or {"www.example.edu.cn": ["93.184.216.34"]}

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("unknown host")
        return table[host]

    return HttpFetcher(transport=httpx.MockTransport(handler), resolve=resolve, **kwargs)  # type: ignore[arg-type]


def test_fetches_https_from_a_public_address_with_pinned_ip_and_original_host() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True}, headers={"ETag": '"v1"', "Cache-Control": "max-age=60"})

    response = _fetcher(handler)("https://www.example.edu.cn/.well-known/did.json", accept="application/json")
    assert response.content == b'{"ok":true}'
    assert response.headers["etag"] == '"v1"'
    assert seen[0].url.host == "93.184.216.34"
    assert seen[0].headers["host"] == "www.example.edu.cn"
    assert seen[0].extensions["sni_hostname"] == "www.example.edu.cn"


@pytest.mark.parametrize(
    ("url", "addresses", "message"),
    [
        ("http://www.example.edu.cn/x", None, "not HTTPS"),
        ("ftp://www.example.edu.cn/x", None, "not an HTTPS URL"),
        ("https://internal.example/x", {"internal.example": ["10.0.0.5"]}, "private"),
        ("https://loop.example/x", {"loop.example": ["127.0.0.1"]}, "private"),
        ("https://meta.example/x", {"meta.example": ["169.254.169.254"]}, "private"),
        ("https://v6.example/x", {"v6.example": ["::1"]}, "private"),
        ("https://mapped.example/x", {"mapped.example": ["::ffff:192.168.1.1"]}, "private"),
        ("https://mixed.example/x", {"mixed.example": ["93.184.216.34", "10.0.0.1"]}, "private"),
        ("https://nowhere.example/x", {}, "could not be resolved"),
    ],
)
def test_refuses_what_it_must_not_fetch(
    url: str, addresses: dict[str, list[str]] | None, message: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("must not connect")

    with pytest.raises(FetchError, match=message):
        _fetcher(handler, addresses)(url, accept="application/json")


def test_loopback_http_only_when_allowed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"{}")

    addresses = {"localhost": ["127.0.0.1"]}
    with pytest.raises(FetchError):
        _fetcher(handler, addresses)("http://localhost:8000/did.json", accept="*/*")
    allowed = _fetcher(handler, addresses, allow_loopback_http=True)
    assert allowed("http://localhost:8000/did.json", accept="*/*").content == b"{}"


def test_redirects_are_followed_and_rechecked() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/a":
            return httpx.Response(302, headers={"Location": "https://internal.example/secret"})
        return httpx.Response(200, content=b"{}")

    addresses = {"www.example.edu.cn": ["93.184.216.34"], "internal.example": ["10.0.0.1"]}
    with pytest.raises(FetchError, match="private"):
        _fetcher(handler, addresses)("https://www.example.edu.cn/a", accept="*/*")


def test_redirect_loops_stop() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "/again"})

    with pytest.raises(FetchError, match="redirected more than"):
        _fetcher(handler)("https://www.example.edu.cn/a", accept="*/*")


def test_size_cap_applies_to_declared_and_streamed_bodies() -> None:
    def declared(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 2000)

    with pytest.raises(FetchError, match="larger than"):
        _fetcher(declared, max_bytes=1000)("https://www.example.edu.cn/big", accept="*/*")

    def streamed(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=httpx.ByteStream(b"y" * 5000))

    with pytest.raises(FetchError, match="larger than"):
        _fetcher(streamed, max_bytes=1000)("https://www.example.edu.cn/big", accept="*/*")


def test_http_errors_and_timeouts_are_reported() -> None:
    def not_found(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404)

    with pytest.raises(FetchError, match="HTTP 404"):
        _fetcher(not_found)("https://www.example.edu.cn/x", accept="*/*")

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(FetchError, match="in time"):
        _fetcher(slow)("https://www.example.edu.cn/x", accept="*/*")


def _seconds_until_refused(at_once: bytes, dripped: bytes) -> float:
    """Fetch from a server that sends ``at_once``, then ``dripped`` a byte every 0.3 s (each
    read well within the 1 s read timeout); assert the 1.5 s deadline refuses it; the time taken."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    stop = threading.Event()

    def drip() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(at_once)
            for byte in dripped:
                if stop.wait(0.3):
                    return
                connection.sendall(bytes([byte]))

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    fetcher = HttpFetcher(timeout=1.0, deadline=1.5, allow_loopback_http=True)
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="did not answer in time"):
            fetcher(f"http://127.0.0.1:{port}/slow.json", accept="application/json")
        return time.monotonic() - started
    finally:
        stop.set()
        fetcher.close()
        server.close()
        thread.join(5)


def test_a_document_sent_a_byte_at_a_time_stops_at_the_deadline() -> None:
    """Each read comes within the read timeout, but the whole fetch may not last longer than its
    deadline: a slow origin cannot hold one of the verifier's few slots for minutes."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"
    assert _seconds_until_refused(head, b'{"padding": "' + b"x" * 25 + b'"}') < 6  # the drip: 12 s


def test_headers_sent_a_byte_at_a_time_stop_at_the_deadline() -> None:
    """The deadline holds before the body too: every socket read waits at most until it."""
    response = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    assert _seconds_until_refused(b"", response) < 4  # the drip alone would take 24 s
