"""Fixtures of the gate client tests: the real service on a loopback port, client settings."""

from __future__ import annotations

import threading
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from gate_client.config import Settings


class LiveService:
    """The service on a loopback port that can be stopped and started again on the same port."""

    def __init__(self, app: Flask, tokens: dict[str, str]) -> None:
        self.app = app
        self.tokens = tokens
        self.port = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveService:
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self._server.server_port
        # A short poll: stopping it (every test does) need not wait half a second.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(10)
            self._server = None


@pytest.fixture
def service(app: Flask, tokens: dict[str, str], demo: None) -> Iterator[LiveService]:
    """The service with the sample data of site JMS01, running."""
    live = LiveService(app, tokens).start()
    yield live
    live.stop()


@pytest.fixture
def make_settings(tmp_path: Path, service: LiveService) -> Callable[..., Settings]:
    """Settings of a gate client of JMS01/G1 talking to the running service."""

    def make(**over: Any) -> Settings:
        values: dict[str, Any] = {
            "service_url": service.url, "token": service.tokens["operator"], "site": "JMS01",
            "gate": "G1", "spool": str(tmp_path / "spool.db"), "visit_settle": 0.0,
            "http_timeout": 5.0, "http_retries": 1,
        }
        values.update(over)
        return Settings(**values)

    return make
