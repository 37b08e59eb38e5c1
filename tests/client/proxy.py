"""A loopback HTTP proxy in front of the real service that injects faults on chosen requests."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any

# Faults: "503" answers Service Unavailable without forwarding; "drop" closes the connection
# unanswered; "late" forwards (so the service decides) but answers after the client gave up.
Fault = str


class FaultyProxy:
    """Forwards to `target`; the n-th request to a path prefix meets `faults[n]` (else passes)."""

    def __init__(self, target: str, path_prefix: str, faults: list[Fault],
                 late_seconds: float = 2.0,
                 on_request: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.target = target
        self.path_prefix = path_prefix
        self.faults = list(faults)
        self.late_seconds = late_seconds
        self.on_request = on_request
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def _fault(self, path: str, body: bytes) -> Fault | None:
        if not path.startswith(self.path_prefix):
            return None
        with self._lock:
            record = {"path": path, "body": json.loads(body or b"null")}
            self.requests.append(record)
            index = len(self.requests) - 1
        if self.on_request is not None:
            self.on_request(record)
        return self.faults[index] if index < len(self.faults) else None

    @contextmanager
    def running(self) -> Iterator[str]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base name
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fault = proxy._fault(self.path, body)
                if fault == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault == "503":
                    self._answer(503, b'{"code": "unavailable", "message": "try later"}')
                    return
                status, data = self._forward(body)
                if fault == "late":
                    time.sleep(proxy.late_seconds)
                self._answer(status, data)

            def do_GET(self) -> None:  # noqa: N802
                self._answer(*self._forward(None))

            def _forward(self, body: bytes | None) -> tuple[int, bytes]:
                request = urllib.request.Request(proxy.target + self.path, data=body,
                                                 method=self.command)
                for name in ("Authorization", "Content-Type"):
                    if self.headers.get(name):
                        request.add_header(name, self.headers[name])
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        return response.status, response.read()
                except urllib.error.HTTPError as err:
                    with err:
                        return err.code, err.read()

            def _answer(self, status: int, data: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting: that is the point of "late"
                    pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(10)
