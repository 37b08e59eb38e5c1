"""The operator page's Flask app: the page, a JSON state endpoint, inputs, the camera preview."""

from __future__ import annotations

import ipaddress
import logging
import threading
from pathlib import Path
from typing import Any

from flask import Flask
from flask import Response
from flask import jsonify
from flask import request
from flask import send_from_directory
from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server

from ..station import Station

logger = logging.getLogger(__name__)

# Package data lives in gate_client/static (pyproject's package-data covers that folder).
STATIC = Path(__file__).resolve().parent.parent / "static"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def _hostname(host: str) -> str:
    """The name in a Host header, without the port ("[::1]:8765" → "::1")."""
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_loopback(host: str) -> bool:
    host = _hostname(host)
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def create_app(station: Station, *, loopback_only: bool = True) -> Flask:
    """The display app of one station.

    `loopback_only` (the default, for a display bound to 127.0.0.1) refuses requests whose Host
    is not a loopback name, so a web page elsewhere cannot reach the gate through DNS rebinding.
    """
    app = Flask(__name__, static_folder=None)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    @app.before_request
    def _guard() -> Any:
        if loopback_only and not _is_loopback(request.host or ""):
            return _error(403, "forbidden host")
        # Inputs only as JSON: a cross-site form cannot send that without a CORS preflight,
        # which this app never grants.
        if request.method == "POST" and not request.is_json:
            return _error(415, "send application/json")
        return None

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        return _error(exc.code or 500, exc.description or exc.name)

    @app.get("/")
    def index() -> Response:
        response = send_from_directory(STATIC, "index.html")
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/api/state")
    def state() -> Response:
        response = jsonify(station.state())
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.post("/api/scan")
    def scan() -> Any:
        data = _json()
        text = data.get("text")
        symbology = data.get("symbology")
        if not isinstance(text, str) or not text.strip() or len(text) > 2048:
            return _error(400, "text: 1 to 2048 characters")
        station.add_text(text, symbology if isinstance(symbology, str) else None)
        return jsonify(ok=True)

    @app.post("/api/checklist")
    def checklist() -> Any:
        data = _json()
        item, checked = data.get("item"), data.get("checked")
        if not isinstance(item, str) or not isinstance(checked, bool):
            return _error(400, "item (string) and checked (true/false) are required")
        try:
            station.set_check(item, checked)
        except ValueError as exc:
            return _error(400, str(exc))
        return jsonify(ok=True)

    @app.post("/api/load")
    def load() -> Any:
        data = _json()
        try:
            station.set_load(data if data.get("un_number") or data.get("quantity_kg") else None)
        except ValueError as exc:
            return _error(400, str(exc))
        return jsonify(ok=True)

    @app.post("/api/confirm")
    def confirm() -> Any:
        verdict = station.confirm()
        return jsonify(verdict=verdict.to_json() if verdict else None)

    @app.post("/api/reset")
    def reset() -> Any:
        station.reset()
        return jsonify(ok=True)

    @app.get("/preview.jpg")
    def preview() -> Response:
        data = station.preview_jpeg()
        if data is None:
            return Response(status=204)
        return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})

    return app


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _error(status: int, message: str) -> Any:
    response = jsonify(code=status, message=message)
    response.status_code = status
    return response


class _QuietHandler(WSGIRequestHandler):
    """Logs failed requests only: the page polls twice a second."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if isinstance(code, int) and code >= 400:
            super().log_request(code, size)


class DisplayServer:
    """Serves the display app in a thread (werkzeug, threaded: the page polls while the
    operator posts)."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = make_server(host, port, app, threaded=True,
                                   request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="gate-display",
                                        daemon=True)
        self.host = host
        self.port = self._server.server_port

    @property
    def url(self) -> str:
        """The page's address."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> DisplayServer:
        """Start serving."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
