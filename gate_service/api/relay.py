"""``GET /api/v1/relay``: how far the MQTT outbox relay lags behind the decisions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import current_app

from .. import db
from ..auth import READ_ROLES
from ..auth import require
from ..relay import outbox_status

bp = Blueprint("relay", __name__, url_prefix="/api/v1")


@bp.get("/relay")
@require(*READ_ROLES)
def status() -> dict[str, Any]:
    """Pending events, the oldest one's age and the publish rate (from the database, and from
    the relay itself when it runs in this process)."""
    body: dict[str, Any] = dict(outbox_status(db.get_session()))
    relay = current_app.extensions.get("gate.relay")
    if relay is not None and relay.running:
        body["relay"] = relay.status()
    return body
