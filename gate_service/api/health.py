"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from sqlalchemy import text

from ..db import get_session

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> dict[str, Any]:
    """The process is up."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    """The database answers and the schema is in place."""
    try:
        get_session().execute(text("SELECT 1 FROM api_tokens LIMIT 1"))
    except Exception:  # noqa: BLE001 - any failure means not ready
        return {"status": "unavailable", "database": "down or not migrated"}, 503
    return {"status": "ready", "database": "ok"}, 200
