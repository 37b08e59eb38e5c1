"""Supervisors' overrides of refusals: logged and chained, pointing at the decision overridden."""

from __future__ import annotations

import datetime as dt
import json
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

import rules

from .. import models as m
from ..auth import Caller
from ..errors import Conflict
from ..errors import Forbidden
from ..errors import NotFound
from ..models.base import utcnow
from .service import SUBJECT_KEYS
from .service import claim_waybill
from .service import profile_for
from .service import record_decision
from .service import site_with_head


def _decision(session: Session, decision_id: str) -> m.DecisionRow:
    row = session.scalar(select(m.DecisionRow).where(m.DecisionRow.decision_id == decision_id))
    if row is None:
        raise NotFound("无此决定 / no such decision")
    return row


def _later(session: Session, original: m.DecisionRow) -> list[m.DecisionRow]:
    return list(
        session.scalars(
            select(m.DecisionRow)
            .where(m.DecisionRow.overrides == original.decision_id)
            .order_by(m.DecisionRow.seq)
        )
    )


def _claim(session: Session, waybill_no: str | None) -> None:
    """An override that allows loading holds the waybill like an ALLOW does."""
    if waybill_no is not None and not claim_waybill(session.connection(), waybill_no):
        raise Conflict("运单已被使用或已作废 / the waybill is already in use or cancelled")


def _record(
    session: Session,
    caller: Caller,
    original: m.DecisionRow,
    *,
    kind: str,
    outcome: str,
    reason: str,
    secret: str,
    prefix: str,
    extra: dict[str, object],
) -> m.DecisionRow:
    started = time.perf_counter()
    conn = session.connection()
    site, head = site_with_head(conn, caller, original.site_code, None)
    body = json.loads(original.body)
    profile = profile_for(original.ruleset_id)
    decision = rules.Decision(outcome, (), (), (), original.ruleset_id, original.ruleset_version)  # type: ignore[arg-type]
    if outcome == "ALLOW":
        _claim(session, original.waybill_no)
    subject = {k: getattr(original, k) for k in SUBJECT_KEYS}
    return record_decision(
        conn,
        site=site,
        gate=original.gate,
        caller=caller,
        kind=kind,
        decision=decision,
        res=None,
        inputs={"reason": reason},
        started=started,
        now=utcnow(),
        secret=secret,
        prefix=prefix,
        overrides=original.decision_id,
        subject=subject,
        local_date=dt.date.fromisoformat(body["local_date"]),
        extra={
            "overridden_reasons": [r["code"] for r in body["reasons"]],
            **extra,
            "profile_title": profile.title,
        },
        head=head,
    )


def override(
    session: Session, caller: Caller, decision_id: str, reason: str, *, secret: str, prefix: str
) -> m.DecisionRow:
    """Override a REFUSE; for 剧毒 goods this only requests, and a second supervisor approves."""
    original = _decision(session, decision_id)
    if original.kind != "verification" or original.outcome != "REFUSE":
        raise Conflict("只能推翻拒绝决定 / only a REFUSE can be overridden")
    if any(r.outcome == "ALLOW" or r.kind == "override_request" for r in _later(session, original)):
        raise Conflict("该决定已被推翻或正在审批 / already overridden or awaiting approval")
    if original.highly_toxic:
        return _record(
            session,
            caller,
            original,
            kind="override_request",
            outcome="REFUSE",
            reason=reason,
            secret=secret,
            prefix=prefix,
            extra={"requested_by": caller.actor, "awaiting": "second supervisor"},
        )
    return _record(
        session,
        caller,
        original,
        kind="override",
        outcome="ALLOW",
        reason=reason,
        secret=secret,
        prefix=prefix,
        extra={"requested_by": caller.actor},
    )


def approve(
    session: Session, caller: Caller, decision_id: str, reason: str, *, secret: str, prefix: str
) -> m.DecisionRow:
    """The second supervisor's approval of a 剧毒 override request: the override that allows."""
    original = _decision(session, decision_id)
    later = _later(session, original)
    requests = [r for r in later if r.kind == "override_request"]
    if not requests:
        raise Conflict("没有待审批的推翻申请 / no override request awaits approval")
    if any(r.outcome == "ALLOW" for r in later):
        raise Conflict("该决定已被推翻 / already overridden")
    request = requests[-1]
    if request.operator == caller.actor:
        raise Forbidden("审批人须为另一名主管 / a second, different supervisor must approve")
    first_reason = json.loads(request.body)["inputs"]["reason"]
    return _record(
        session,
        caller,
        original,
        kind="override",
        outcome="ALLOW",
        reason=f"{first_reason}\n——\n{reason}".strip(),
        secret=secret,
        prefix=prefix,
        extra={
            "requested_by": request.operator,
            "approved_by": caller.actor,
            "request": request.decision_id,
        },
    )
