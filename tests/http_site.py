"""A programmable plain-HTTP site on 127.0.0.1 for cache, trust and bundle tests.

The verifier's fetcher refuses plain HTTP except to loopback with ``allow_loopback_http``, so a
real HTTP round trip (headers, 304s, connection refused) can be tested without TLS. Each path
answers what the test put there; every request is logged with its headers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    """What a path answers: status, headers and body (a callable gets the request headers)."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Route = Answer | Callable[[dict[str, str]], Answer]


class Site:
    """A running site: ``put(path, ...)``, ``url(path)``, ``requests``, ``stop()``."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                with owner._lock:
                    owner.requests.append((self.path, headers))
                    route = owner.routes.get(self.path)
                answer = route(headers) if callable(route) else route or Answer(status=404)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if answer.body and answer.status != 304:
                    self.wfile.write(answer.body)

            def log_message(self, *_args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return self.origin + path

    def put(self, path: str, document: Any, **headers: str) -> None:
        """Serve ``document`` (JSON, or bytes as they are) at ``path`` with ``headers``."""
        body = document if isinstance(document, bytes) else json.dumps(document, ensure_ascii=False).encode()
        answer = Answer(
            body,
            200,
            {"Content-Type": "application/json", **{k.replace("_", "-"): v for k, v in headers.items()}},
        )
        with self._lock:
            self.routes[path] = answer

    def route(self, path: str, route: Route) -> None:
        with self._lock:
            self.routes[path] = route

    def hits(self, path: str) -> list[dict[str, str]]:
        """The headers of every request made for ``path``."""
        with self._lock:
            return [headers for p, headers in self.requests if p == path]

    def stop(self) -> None:
        """Take the site down (connections are then refused); stopping twice is harmless."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
