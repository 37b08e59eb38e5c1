"""Verify a visit: resolve, evaluate, claim the waybill, log the decision and queue its events."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
import weakref
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import Row
from sqlalchemy import bindparam
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import rules
from rules.checks.base import emit_for

from .. import models as m
from ..auth import Caller
from ..errors import Forbidden
from ..errors import InvalidInput
from ..models.base import utcnow
from . import chain
from . import pii
from .facts import to_json
from .resolve import AlreadyDecided
from .resolve import Request
from .resolve import Resolution
from .resolve import resolve

logger = logging.getLogger(__name__)
GATE_ROLES = ("operator", "supervisor")


def profile_for(profile_id: str) -> rules.Profile:
    """A bundled profile (``rules.load_profile`` validates each once per process and caches it)."""
    return rules.load_profile(profile_id)


_SITES = m.Site.__table__
# The hot path's statements are built once: composing and cache-keying a statement costs more
# than running it on SQLite.
_ACTIVE_SITE = select(_SITES).where(_SITES.c.code == bindparam("code"), _SITES.c.status == "active")
_HEADS = m.ChainHead.__table__
# On SQLite the write transaction (BEGIN IMMEDIATE) already serialises writers.
_SITE_WITH_HEAD = (
    select(_SITES, _HEADS.c.seq.label("head_seq"), _HEADS.c.hash.label("head_hash"))
    .join(_HEADS, _HEADS.c.site_code == _SITES.c.code)
    .where(_SITES.c.code == bindparam("code"), _SITES.c.status == "active")
    .with_for_update(of=_HEADS)
)
_WAYBILLS = m.Waybill.__table__
_CLAIM = (
    update(_WAYBILLS)
    .where(
        _WAYBILLS.c.waybill_no == bindparam("no"),
        _WAYBILLS.c.waybill_status == "issued",
        _WAYBILLS.c.status == "active",
    )
    .values(waybill_status="loading", version=_WAYBILLS.c.version + 1)
)
_RULESET_KNOWN = select(m.RulesetVersion.version).where(
    m.RulesetVersion.version == bindparam("version")
)
_INSERT_RULESET = insert(m.RulesetVersion.__table__)
_INSERT_REASONS = insert(m.DecisionReason.__table__)
_INSERT_OUTBOX = insert(m.OutboxEvent.__table__)
# Profile versions known to be stored, per database (a stored version is never removed).
_STORED_RULESETS: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()


def site_for(conn: Connection, caller: Caller, site_code: str, gate: str | None) -> Row[Any]:
    """The site (and gate) a gate device may act for; 403 outside its scope, 422 if unknown."""
    site = conn.execute(_ACTIVE_SITE, {"code": site_code}).first()
    if site is None:
        raise InvalidInput("未知站点 / unknown site", {"site": ["未知站点 / unknown site"]})
    _check_scope(site, caller, gate)
    return site


def site_with_head(
    conn: Connection, caller: Caller, site_code: str, gate: str | None
) -> tuple[Row[Any], chain.Head]:
    """The site as :func:`site_for` checks it, and its chain head locked for this transaction.

    One round trip once the site has a chain; the first decision of a site creates its head.
    """
    row = conn.execute(_SITE_WITH_HEAD, {"code": site_code}).first()
    if row is None:
        site = site_for(conn, caller, site_code, gate)
        return site, chain.lock_head(conn, site.code)
    _check_scope(row, caller, gate)
    return row, chain.Head(row.code, row.head_seq, row.head_hash)


def _check_scope(site: Row[Any], caller: Caller, gate: str | None) -> None:
    if caller.role in GATE_ROLES and caller.site_code != site.code:
        raise Forbidden("令牌不属于该站点 / the token is not for this site")
    if gate is not None and gate not in (site.gates or []):
        raise InvalidInput(
            "未知装车口 / unknown gate", {"gate": ["该站点无此装车口 / no such gate"]}
        )


def _fail_closed(profile: rules.Profile, exc: Exception) -> rules.Decision:
    """A decision when the facts could not be gathered: refuse (C25), never allow."""
    violation = emit_for(
        profile,
        "C25",
        "CHECK_DATA_UNAVAILABLE",
        "visit",
        what="查验数据无法读取",
        what_en="check data could not be read",
        error=type(exc).__name__,
    )
    return rules.Decision("REFUSE", (violation,), (), (), profile.id, profile.version)


def claim_waybill(conn: Connection, waybill_no: str) -> bool:
    """Move an issued, active waybill to ``loading``; False when another decision holds it."""
    claimed = conn.execute(_CLAIM, {"no": waybill_no}).rowcount
    return bool(claimed == 1)


def _claim_waybill(
    conn: Connection, decision: rules.Decision, res: Resolution | None
) -> rules.Decision:
    """Hold the waybill for an ALLOW; if another decision holds it, refuse instead."""
    if decision.outcome != "ALLOW" or res is None or res.ctx.waybill is None:
        return decision
    if claim_waybill(conn, res.ctx.waybill.waybill_no):
        return decision
    used = emit_for(
        res.ctx.profile,
        "C12",
        "WAYBILL_ALREADY_USED",
        f"waybill:{res.ctx.waybill.waybill_no}",
        waybill_no=res.ctx.waybill.waybill_no,
        status="loading",
    )
    return replace(decision, outcome="REFUSE", reasons=(used,))


SUBJECT_KEYS = (
    "waybill_no",
    "carrier_uscc",
    "vehicle_plate",
    "un_number",
    "highly_toxic",
    "high_risk",
)


def subject_of(res: Resolution | None) -> dict[str, Any]:
    """What a decision is about, as the filterable columns of the log hold it."""
    if res is None:
        return dict.fromkeys(SUBJECT_KEYS[:4]) | {"highly_toxic": False, "high_risk": False}
    ctx = res.ctx
    un = (
        ctx.load.un_number
        if ctx.load
        else (ctx.waybill.goods[0].un_number if ctx.waybill and ctx.waybill.goods else None)
    )
    products = list(ctx.products.values())
    return {
        "waybill_no": ctx.waybill.waybill_no if ctx.waybill else None,
        "carrier_uscc": ctx.carrier.uscc if ctx.carrier else None,
        "vehicle_plate": ctx.vehicle.plate if ctx.vehicle else None,
        "un_number": un,
        "highly_toxic": any(p.highly_toxic for p in products),
        "high_risk": any(p.high_risk for p in products),
    }


def remember_ruleset(conn: Connection, profile: rules.Profile) -> None:
    """Keep the content of each profile version used, so any decision can be replayed."""
    stored = _STORED_RULESETS.setdefault(conn.engine, set())
    if profile.version in stored:
        return
    if conn.execute(_RULESET_KNOWN, {"version": profile.version}).first() is not None:
        # Only a version read back is remembered: one inserted here may yet be rolled back.
        stored.add(profile.version)
        return
    conn.execute(
        _INSERT_RULESET,
        {"version": profile.version, "ruleset_id": profile.id, "content": profile.to_data()},
    )


def _resolved(res: Resolution | None) -> dict[str, Any]:
    if res is None:
        return {}
    ctx = res.ctx
    keys = {
        "vehicle": ctx.vehicle and ctx.vehicle.plate,
        "trailer": ctx.trailer and ctx.trailer.plate,
        "tank": ctx.tank and ctx.tank.tank_no,
        "driver": ctx.driver and ctx.driver.id_number,
        "escort": ctx.escort and ctx.escort.id_number,
        "waybill": ctx.waybill and ctx.waybill.waybill_no,
        "carrier": ctx.carrier and ctx.carrier.uscc,
    }
    return {k: v for k, v in keys.items() if v}


def _evidence(res: Resolution | None) -> dict[str, Any]:
    """Everything the rules saw, so the decision can be replayed exactly."""
    if res is None:
        return {}
    ctx = to_json(res.ctx)
    ctx.pop("profile", None)
    return ctx


def _outbox(conn: Connection, row: m.DecisionRow, response: dict[str, Any], prefix: str) -> None:
    """Queue the decision's events (and the barrier's, for a live ALLOW) in its transaction."""
    base = f"{prefix}/{row.site_code}/{row.gate}"
    events = [(f"{base}/decision", {"schema": "loadgate.decision.v1", **response})]
    # A late (offline) decision is for the record only: the vehicle has gone, nothing opens.
    if row.outcome == "ALLOW" and not response.get("offline"):
        events.append(
            (
                f"{base}/barrier",
                {
                    "schema": "loadgate.barrier.v1",
                    "command": "open",
                    "decision_id": row.decision_id,
                    "site": row.site_code,
                    "gate": row.gate,
                },
            )
        )
    conn.execute(
        _INSERT_OUTBOX,
        [
            {
                "decision_id": row.decision_id,
                "site_code": row.site_code,
                "gate": row.gate,
                "topic": topic,
                "payload": payload,
            }
            for topic, payload in events
        ],
    )


def response_of(row: m.DecisionRow, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The API response of a logged decision (the same for a repeated idempotency key).

    :param body: the row's body as data, when the caller has it (saves parsing it again).
    """
    if body is None:
        body = json.loads(row.body)
    return {
        "decision_id": row.decision_id,
        "outcome": row.outcome,
        "kind": row.kind,
        "site": row.site_code,
        "gate": row.gate,
        "created_at": body["created_at"],
        "local_date": body["local_date"],
        "reasons": body["reasons"],
        "warnings": body["warnings"],
        "missing": body["missing"],
        "unrecognised": body["unrecognised"],
        "resolved": body["resolved"],
        "overrides": row.overrides,
        "offline": bool(body.get("offline", False)),
        "ruleset": {"id": row.ruleset_id, "version": row.ruleset_version},
        "log": {"seq": row.seq, "hash": row.hash},
    }


def record_decision(
    conn: Connection,
    *,
    site: Row[Any],
    gate: str,
    caller: Caller,
    kind: str,
    decision: rules.Decision,
    res: Resolution | None,
    inputs: dict[str, Any],
    started: float,
    now: dt.datetime,
    secret: str,
    prefix: str,
    idempotency_key: str | None = None,
    overrides: str | None = None,
    subject: dict[str, Any] | None = None,
    local_date: dt.date | None = None,
    extra: dict[str, Any] | None = None,
    head: chain.Head,
) -> m.DecisionRow:
    """Append one decision to the site's chain with its reason rows and outbox events.

    :param head: the site's chain head, locked by the caller's transaction.
    """
    ctx = res.ctx if res is not None else None
    local = local_date or (ctx.local_date if ctx else rules.local_date(now, site.timezone))
    body: dict[str, Any] = {
        "decision_id": str(uuid.uuid4()),
        "site_code": site.code,
        "gate": gate,
        "created_at": now.isoformat(),
        "local_date": local.isoformat(),
        "kind": kind,
        "outcome": decision.outcome,
        "operator": caller.actor,
        "idempotency_key": idempotency_key,
        "overrides": overrides,
        **(subject if subject is not None else subject_of(res)),
        "ruleset_id": decision.ruleset_id,
        "ruleset_version": decision.ruleset_version,
        "inputs": inputs,
        "unrecognised": [
            {"text": c.raw, "problem": c.problem}
            for c in (res.classified if res else [])
            if not c.recognised
        ],
        "resolved": _resolved(res),
        "evidence": _evidence(res),
        "reasons": [v.to_dict() for v in decision.reasons],
        "warnings": [v.to_dict() for v in decision.warnings],
        "missing": list(decision.missing),
        **(extra or {}),
    }
    masked, raw, commitments = pii.seal(body, secret)
    masked["pii_commitments"] = commitments
    # Filter columns keep the identifiers that are not personal (plates, codes).
    masked.update({k: body[k] for k in ("decision_id", "site_code", "gate", *SUBJECT_KEYS[:4])})
    latency = round((time.perf_counter() - started) * 1000, 3)
    masked["latency_ms"] = latency
    row = chain.append(
        conn,
        masked,
        {
            "created_at": now,
            "local_date": dt.date.fromisoformat(masked["local_date"]),
            "latency_ms": latency,
            "pii": raw,
        },
        head,
    )
    reasons = [
        {"decision_id": row.id, "code": v.code, "severity": v.severity}
        for v in (*decision.reasons, *decision.warnings)
    ]
    if reasons:
        conn.execute(_INSERT_REASONS, reasons)
    _outbox(conn, row, response_of(row, masked), prefix)
    return row


def verify(
    session: Session, caller: Caller, request: Request, *, secret: str, prefix: str
) -> m.DecisionRow:
    """Decide one visit inside the caller's write transaction and log it.

    The site's chain head is locked first, so a repeated idempotency key finds the earlier
    decision and concurrent verifications of one site are serialised.
    """
    started = time.perf_counter()
    conn = session.connection()
    site, head = site_with_head(conn, caller, request.site_code, request.gate)
    profile = profile_for(site.profile or rules.DEFAULT_PROFILE)
    remember_ruleset(conn, profile)
    now = utcnow()
    res: Resolution | None
    try:
        res = resolve(conn, site, request, profile, now)
        decision = rules.evaluate(res.ctx)
    except AlreadyDecided as repeated:
        return session.get_one(m.DecisionRow, repeated.row_id)
    except OperationalError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to gather facts refuses
        logger.exception("verification facts could not be gathered")
        res, decision = None, _fail_closed(profile, exc)
    if not request.offline:
        decision = _claim_waybill(conn, decision, res)
    inputs = {"scans": request.scans, "load": request.load, "checklist": request.checklist}
    return record_decision(
        conn,
        site=site,
        gate=request.gate,
        caller=caller,
        kind="verification",
        decision=decision,
        res=res,
        inputs=inputs,
        started=started,
        now=now,
        secret=secret,
        prefix=prefix,
        idempotency_key=request.idempotency_key,
        extra={"offline": True} if request.offline else None,
        head=head,
    )
