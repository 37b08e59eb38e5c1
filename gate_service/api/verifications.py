"""The verification API: decide a visit, record its loading, override a refusal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint
from flask import current_app
from marshmallow import Schema

from .. import db
from .. import models as m
from ..auth import current_caller
from ..auth import require
from ..decisions import completion
from ..decisions import overrides
from ..decisions.resolve import Request
from ..decisions.service import response_of
from ..decisions.service import verify
from ..schemas.verification import ApprovalSchema
from ..schemas.verification import CompletionSchema
from ..schemas.verification import OverrideSchema
from ..schemas.verification import VerificationSchema
from .bodies import json_object

bp = Blueprint("verifications", __name__, url_prefix="/api/v1")
VERIFIERS = ("operator", "supervisor", "admin")
# Schemas hold no per-request state, and building one costs about as much as a query.
VERIFICATION = VerificationSchema()
COMPLETION = CompletionSchema()
OVERRIDE = OverrideSchema()
APPROVAL = ApprovalSchema()


def _secrets() -> tuple[str, str]:
    settings = current_app.extensions["gate"]
    return settings.secret_key, settings.mqtt_topic_prefix


@bp.post("/verifications")
@require(*VERIFIERS)
def create() -> tuple[dict[str, Any], int]:
    """Decide whether a visit may load: ALLOW, REFUSE or INCOMPLETE, logged and chained."""
    data = json_object(VERIFICATION)
    req = Request(
        site_code=data["site"],
        gate=data["gate"],
        scans=data["scans"],
        load=data["load"],
        checklist=data["checklist"],
        idempotency_key=data["idempotency_key"],
        offline=data["offline"],
    )
    secret, prefix = _secrets()
    session = db.get_session()
    with db.writing(session):
        row = verify(session, current_caller(), req, secret=secret, prefix=prefix)
        body = response_of(row)
    return body, 200


@bp.get("/verifications/<decision_id>")
@require("operator", "supervisor", "admin", "enterprise", "regulator")
def get(decision_id: str) -> dict[str, Any]:
    """One decision as the gate saw it."""
    from ..decisions.audit import visible_decision

    return response_of(visible_decision(db.get_session(), current_caller(), decision_id))


@bp.post("/verifications/<decision_id>/completion")
@require(*VERIFIERS)
def complete(decision_id: str) -> tuple[dict[str, Any], int]:
    """Record the loading (装货记录) after an ALLOW, re-checking the actual mass."""
    data = json_object(COMPLETION)
    _, prefix = _secrets()
    session = db.get_session()
    with db.writing(session):
        result = completion.complete(session, current_caller(), decision_id, data, prefix=prefix)
    return result, 201


@bp.post("/verifications/<decision_id>/override")
@require("supervisor")
def override(decision_id: str) -> tuple[dict[str, Any], int]:
    """Override a REFUSE with a written reason (剧毒 goods then need a second supervisor)."""
    return _supervise(overrides.override, OVERRIDE, decision_id)


@bp.post("/verifications/<decision_id>/approval")
@require("supervisor")
def approve(decision_id: str) -> tuple[dict[str, Any], int]:
    """A second supervisor approves a pending override of a 剧毒 refusal."""
    return _supervise(overrides.approve, APPROVAL, decision_id)


def _supervise(
    step: Callable[..., m.DecisionRow], schema: Schema, decision_id: str
) -> tuple[dict[str, Any], int]:
    """A supervisor's step on a decision, with the written reason of the body, logged as 201."""
    data = json_object(schema)
    secret, prefix = _secrets()
    session = db.get_session()
    with db.writing(session):
        row = step(
            session, current_caller(), decision_id, data["reason"], secret=secret, prefix=prefix
        )
        body = response_of(row)
    return body, 201
