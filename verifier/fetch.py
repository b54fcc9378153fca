"""Bounded HTTPS fetching for DID documents and status lists.

The verifier library itself never touches the network: callers pass a :class:`Fetcher`. This
module provides the one real implementation the CLI and web page use. It is deliberately
narrow, because a credential is hostile input that names URLs:

* HTTPS only (plain HTTP only to loopback, and only when explicitly allowed, for demos/tests);
* the host name is resolved once, every address is checked (no loopback, private, link-local,
  multicast or reserved ranges unless allowed), and the connection goes to the checked address
  with the original name for TLS (no DNS-rebinding window);
* connect/read timeouts, a deadline for the whole fetch (connection, headers, redirects and
  body: an origin that answers a byte at a time cannot hold a verification for longer; every
  socket read and write waits at most until the deadline), a response size cap, at most three
  redirects, each one re-checked.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from .i18n import Text, t

MAX_RESPONSE_BYTES = 2 * 1024 * 1024
MAX_REDIRECTS = 3
_CONDITIONAL = frozenset({"If-None-Match", "If-Modified-Since"})


class FetchError(Exception):
    """A document could not be fetched; the message is safe to show to anyone."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.text = message


@dataclass(frozen=True, slots=True)
class FetchResponse:
    """A fetched document with the caching headers a cache needs.

    A cache (:mod:`verifier.cache`) fills in the last three fields: when the origin sent these
    bytes, whether they are served past their freshness lifetime (RFC 9111 §4.2), and a note
    saying why a possibly out-of-date copy was used (the origin did not answer, offline mode, a
    bundle). A response straight from the network leaves them at their defaults.
    """

    url: str
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)
    fetched_at: datetime | None = None
    stale: bool = False
    note: Text | None = None


class Fetcher(Protocol):
    """Retrieves ``url`` (a DID document or a status list) or raises :class:`FetchError`."""

    def __call__(self, url: str, *, accept: str) -> FetchResponse: ...


@runtime_checkable
class RevalidatingFetcher(Fetcher, Protocol):
    """A fetcher that can also make a conditional request (RFC 9110 §13.1.1–13.1.3)."""

    def revalidate(
        self, url: str, *, accept: str, etag: str | None, last_modified: str | None
    ) -> FetchResponse | None:
        """``None`` when the origin answers 304 Not Modified, else the new document."""
        ...


Resolver = Callable[[str, int], list[str]]


def _system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


_deadline = threading.local()  # .until: this thread's fetch must be done by then (monotonic)


def _bounded(timeout: float | None) -> float | None:
    """``timeout`` cut to what is left of this thread's fetch deadline (an error once it passed)."""
    until: float | None = getattr(_deadline, "until", None)
    if until is None:
        return timeout
    remaining = until - time.monotonic()
    if remaining <= 0:
        raise httpcore.ReadTimeout("the fetch's deadline passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write waits at most until the fetch's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _bounded(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket backend with :class:`_DeadlineStream` streams."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(host, port, _bounded(timeout), local_address, socket_options)
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _deadline_transport() -> httpx.HTTPTransport:
    """httpx's own transport on the deadline backend (httpx has no total timeout of its own)."""
    transport = httpx.HTTPTransport(trust_env=False)
    pool = getattr(transport, "_pool", None)  # not httpx's API: without it, per-read timeouts only
    backend = getattr(pool, "_network_backend", None)
    if backend is not None:
        pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
    return transport


class HttpFetcher:
    """A :class:`Fetcher` with the limits described in the module docstring."""

    def __init__(
        self,
        *,
        timeout: float = 5.0,
        deadline: float | None = None,
        max_bytes: int = MAX_RESPONSE_BYTES,
        allow_loopback_http: bool = False,
        allow_private_addresses: bool = False,
        resolve: Resolver = _system_resolve,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 3.0))
        #: Seconds a whole fetch may take (default: twice the read timeout).
        self._deadline = deadline if deadline is not None else 2 * timeout
        self._max_bytes = max_bytes
        self._allow_loopback_http = allow_loopback_http
        self._allow_private = allow_private_addresses
        self._resolve = resolve
        self._client = httpx.Client(
            timeout=self._timeout,
            follow_redirects=False,
            transport=transport or _deadline_transport(),
            trust_env=False,
        )

    def close(self) -> None:
        self._client.close()

    def __call__(self, url: str, *, accept: str) -> FetchResponse:
        response = self._get(url, {"Accept": accept})
        if response is None:  # 304 without a conditional request: a broken origin
            raise FetchError(t("{url} answered HTTP {status}", url=_short(url), status=304))
        return response

    def revalidate(
        self, url: str, *, accept: str, etag: str | None, last_modified: str | None
    ) -> FetchResponse | None:
        """Conditional GET: ``None`` on 304 Not Modified (RFC 9110 §15.4.5), else the document."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return self._get(url, headers)

    def _get(self, url: str, request_headers: dict[str, str]) -> FetchResponse | None:
        deadline = time.monotonic() + self._deadline
        outer = getattr(_deadline, "until", None)
        _deadline.until = deadline
        try:
            return self._get_by(url, request_headers, deadline)
        finally:
            _deadline.until = outer

    def _get_by(self, url: str, request_headers: dict[str, str], deadline: float) -> FetchResponse | None:
        for _ in range(MAX_REDIRECTS + 1):
            if time.monotonic() > deadline:
                raise FetchError(t("{url} did not answer in time", url=_short(url)))
            status, headers, body = self._fetch_once(url, request_headers, deadline)
            if status in (301, 302, 303, 307, 308):
                location = headers.get("location")
                if not location:
                    raise FetchError(t("{url} redirected without a Location header", url=_short(url)))
                url = urljoin(url, location)
                continue
            if status == 304 and _CONDITIONAL.intersection(request_headers):
                return None
            if status != 200:
                raise FetchError(t("{url} answered HTTP {status}", url=_short(url), status=status))
            return FetchResponse(url=url, content=body, headers=headers)
        raise FetchError(t("{url} redirected more than {limit} times", url=_short(url), limit=MAX_REDIRECTS))

    def _fetch_once(
        self, url: str, request_headers: dict[str, str], deadline: float
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(url)
        host = parts.hostname
        if not host:
            raise FetchError(t("{url} has no host", url=_short(url)))
        scheme = parts.scheme.lower()
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise FetchError(t("{url} has an invalid port", url=_short(url))) from None
        try:
            addresses = self._resolve(host, port)
        except OSError:
            raise FetchError(t("the host {host} could not be resolved", host=host)) from None
        if not addresses:
            raise FetchError(t("the host {host} has no address", host=host))
        loopback = all(ipaddress.ip_address(a).is_loopback for a in addresses)
        if scheme == "http":
            if not (self._allow_loopback_http and loopback):
                raise FetchError(t("{url} is not HTTPS; only HTTPS URLs are fetched", url=_short(url)))
        elif scheme != "https":
            raise FetchError(t("{url} is not an HTTPS URL", url=_short(url)))
        allowed_local = self._allow_private or (self._allow_loopback_http and loopback)
        if not allowed_local and not all(_is_public(a) for a in addresses):
            raise FetchError(
                t("the host {host} resolves to a private or reserved address; refused", host=host)
            )
        address = addresses[0]
        netloc = f"[{address}]" if ":" in address else address
        pinned = parts._replace(netloc=f"{netloc}:{port}").geturl()
        headers = {"Host": parts.netloc.rsplit("@", 1)[-1], **request_headers}
        request = self._client.build_request(
            "GET", pinned, headers=headers, extensions={"sni_hostname": host}
        )
        try:
            response = self._client.send(request, stream=True)
        except httpx.TimeoutException:
            raise FetchError(t("{url} did not answer in time", url=_short(url))) from None
        except httpx.HTTPError:
            raise FetchError(t("{url} could not be reached", url=_short(url))) from None
        try:
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self._max_bytes:
                raise FetchError(
                    t(
                        "{url} is larger than {limit:,} bytes",
                        url=_short(url),
                        limit=self._max_bytes,
                    )
                )
            body = bytearray()
            for chunk in response.iter_bytes():
                if time.monotonic() > deadline:  # a body sent slowly, each read within the timeout
                    raise FetchError(t("{url} did not answer in time", url=_short(url)))
                body.extend(chunk)
                if len(body) > self._max_bytes:
                    raise FetchError(
                        t(
                            "{url} is larger than {limit:,} bytes",
                            url=_short(url),
                            limit=self._max_bytes,
                        )
                    )
        except httpx.TimeoutException:
            raise FetchError(t("{url} did not answer in time", url=_short(url))) from None
        except httpx.HTTPError:
            raise FetchError(t("{url} could not be read", url=_short(url))) from None
        finally:
            response.close()
        headers_out = {k.lower(): v for k, v in response.headers.items()}
        return response.status_code, headers_out, bytes(body)


def _short(url: str) -> str:
    return url if len(url) <= 120 else url[:120] + "…"
