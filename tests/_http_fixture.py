"""A real HTTP server on 127.0.0.1 for connector tests (no mocks of httpx).

`api_server` is a pytest fixture: register replies per (method, path) with `route`, as one
`Reply`, a list played in order (the last repeats), or a function of the `Request`.
Every request is recorded in `requests`. Import `api_server_fixture` to use the `api_server` fixture in a test module.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None                 # JSON-encoded unless `raw` is given
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


Handler = Reply | list[Reply] | Callable[[Request], Reply]


class ApiServer:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.01}, daemon=True)

    def route(self, method: str, path: str, handler: Handler) -> None:
        self.routes[(method, path)] = list(handler) if isinstance(handler, list) else handler

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def _reply(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            handler = self.routes.get((request.method, request.path))
            if handler is None:
                return Reply(404, {"error": f"no route {request.method} {request.path}"})
            if isinstance(handler, list):
                return handler.pop(0) if len(handler) > 1 else handler[0]
        return handler if isinstance(handler, Reply) else handler(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                return

            def _serve(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b""
                request = Request(self.command, url.path, parse_qs(url.query),
                                  dict(self.headers.items()),
                                  json.loads(data) if data else None)
                reply = server._reply(request)
                payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve

        return _Handler

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@pytest.fixture(name="api_server")
def api_server_fixture() -> Iterator[ApiServer]:
    server = ApiServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
