"""The audit API: decisions by filter, one decision, counts, and exports with ID numbers masked."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint
from flask import Response
from flask import request
from flask import stream_with_context
from marshmallow import fields as mf
from marshmallow import validate
from sqlalchemy import func
from sqlalchemy import select

from .. import db
from ..auth import current_caller
from ..auth import require
from ..decisions import audit
from ..decisions import chain
from ..errors import InvalidInput
from ..models import ChainHead
from ..models import DecisionRow
from ..schemas import fields as gf
from ..schemas.records import StrictSchema
from .pagination import page_args
from .pagination import page_body

bp = Blueprint("audit", __name__, url_prefix="/api/v1")
AUDITORS = ("admin", "regulator", "enterprise", "operator", "supervisor")


class FilterSchema(StrictSchema):
    """Query parameters of the audit endpoints."""

    since = mf.AwareDateTime(load_default=None)
    until = mf.AwareDateTime(load_default=None)
    site = mf.String(load_default=None)
    gate = mf.String(load_default=None)
    outcome = mf.String(
        load_default=None, validate=validate.OneOf(["ALLOW", "REFUSE", "INCOMPLETE"])
    )
    reason = mf.String(load_default=None, validate=validate.Regexp(r"^[A-Z_]{3,64}$"))
    carrier = gf.Uscc(load_default=None)
    plate = gf.Plate(load_default=None)
    un_number = gf.UnNumber(load_default=None)
    high_risk = mf.Boolean(load_default=None)
    highly_toxic = mf.Boolean(load_default=None)


def _filters(*ignored: str) -> audit.Filters:
    args = {k: v for k, v in request.args.items() if k not in ignored and v != ""}
    data = FilterSchema().load(args)
    return audit.Filters(**data)


@bp.get("/decisions")
@require(*AUDITORS)
def list_decisions() -> dict[str, Any]:
    """Decisions matching the filters, newest first, within the caller's scope."""
    page, per_page = page_args()
    session = db.get_session()
    stmt = audit.filtered(session, current_caller(), _filters("page", "per_page"))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(DecisionRow.created_at.desc(), DecisionRow.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return page_body([audit.summary(r) for r in rows], page, per_page, total)


@bp.get("/decisions/<decision_id>")
@require(*AUDITORS)
def get_decision(decision_id: str) -> dict[str, Any]:
    """One decision in full (inputs, evidence, reasons), personal ID numbers masked."""
    row = audit.visible_decision(db.get_session(), current_caller(), decision_id)
    body = json.loads(row.body)
    body.pop("pii_commitments", None)
    return {**body, "seq": row.seq, "prev_hash": row.prev_hash, "hash": row.hash}


@bp.get("/decisions/stats")
@require(*AUDITORS)
def stats() -> dict[str, Any]:
    """Counts by reason, carrier, site, day or outcome (``by=``)."""
    by = request.args.get("by", "reason")
    if by not in audit.GROUPS:
        raise InvalidInput("分组无效 / bad grouping", {"by": [f"one of {', '.join(audit.GROUPS)}"]})
    items = audit.counts(db.get_session(), current_caller(), _filters("by"), by)
    return {"by": by, "items": items}


def _export_json(rows: Iterator[Any], heads: dict[str, Any]) -> Iterator[str]:
    yield '{"format":"loadgate.decision-log.v1","rows":['
    for i, row in enumerate(rows):
        yield ("," if i else "") + chain.canonical(
            {
                "site_code": row.site_code,
                "seq": row.seq,
                "prev_hash": row.prev_hash,
                "hash": row.hash,
                "body": row.body,
            }
        )
    yield '],"heads":' + chain.canonical(heads) + "}"


def _export_csv(rows: Iterator[Any]) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "site",
            "seq",
            "decision_id",
            "created_at",
            "gate",
            "kind",
            "outcome",
            "reasons",
            "waybill_no",
            "vehicle_plate",
            "carrier_uscc",
            "un_number",
            "prev_hash",
            "hash",
            "body",
        ]
    )
    for row in rows:
        s = audit.summary(row)
        writer.writerow(
            [
                row.site_code,
                row.seq,
                row.decision_id,
                s["created_at"],
                row.gate,
                row.kind,
                row.outcome,
                ";".join(s["reasons"]),
                row.waybill_no,
                row.vehicle_plate,
                row.carrier_uscc,
                row.un_number,
                row.prev_hash,
                row.hash,
                row.body,
            ]
        )
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()


def _ending(chunks: Iterator[str], session: Any) -> Iterator[str]:
    """Stream the chunks, then end the read transaction even if the client never closes."""
    try:
        yield from chunks
    finally:
        session.close()


@bp.get("/decisions/export")
@require("admin", "regulator", "enterprise")
def export() -> Response:
    """Rows, their chain links and the heads (CSV or JSON); the hashed bodies hold no raw IDs."""
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise InvalidInput("格式应为 json 或 csv / format json or csv", {"format": ["json|csv"]})
    session = db.get_session()
    f = _filters("format")
    rows = audit.export_rows(session, current_caller(), f)
    heads = {
        h.site_code: {"seq": h.seq, "hash": h.hash} for h in session.scalars(select(ChainHead))
    }
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    if fmt == "json":
        body, mime = _export_json(rows, heads), "application/json"
    else:
        body, mime = _export_csv(rows), "text/csv"
    return Response(
        stream_with_context(_ending(body, session)),
        mimetype=mime,
        headers={"Content-Disposition": f"attachment; filename=decisions-{stamp}.{fmt}"},
    )
