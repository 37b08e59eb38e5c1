"""The records API: list, get, create, update, deactivate, history, import and export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import Response
from flask import request
from werkzeug.routing import BaseConverter
from werkzeug.routing import ValidationError as RoutingValidationError

from .. import db
from ..auth import READ_ROLES
from ..auth import current_caller
from ..auth import require
from ..errors import Forbidden
from ..errors import InvalidInput
from ..records import service
from ..records.importer import import_table
from ..records.registry import RESOURCES
from ..records.registry import Resource
from ..records.tabular import FORMATS
from ..records.tabular import detect_format
from ..records.tabular import read_table
from ..records.tabular import write_table
from .bodies import json_object
from .pagination import page_args
from .pagination import page_body
from .pagination import typed_filters

bp = Blueprint("records", __name__, url_prefix="/api/v1")
WRITERS = ("admin", "enterprise")
HISTORY_READERS = ("admin", "enterprise", "regulator")


class ResourceConverter(BaseConverter):
    """Matches a resource name of the records API and yields its :class:`Resource`."""

    def to_python(self, value: str) -> Resource:
        if value not in RESOURCES:
            raise RoutingValidationError()
        return RESOURCES[value]

    def to_url(self, value: Any) -> str:
        return value.name if isinstance(value, Resource) else str(value)


@bp.record_once
def _register_converter(state: Any) -> None:
    state.app.url_map.converters["resource"] = ResourceConverter


@bp.get("/<resource:res>")
@require(*READ_ROLES)
def list_(res: Resource) -> dict[str, Any]:
    """List active records with filters and pagination (an enterprise sees its own)."""
    page, per_page = page_args()
    filters = typed_filters(res.instance, res.filters)
    include_inactive = request.args.get("include_inactive") in ("1", "true")
    rows, total = service.list_records(
        db.get_session(),
        res,
        filters,
        page=page,
        per_page=per_page,
        caller=current_caller(),
        include_inactive=include_inactive,
    )
    return page_body([service.snapshot(res, r) for r in rows], page, per_page, total)


@bp.post("/<resource:res>")
@require(*WRITERS)
def create(res: Resource) -> tuple[dict[str, Any], int]:
    """Create a record."""
    body = json_object()
    session = db.get_session()
    with db.writing(session):
        record = service.create_record(session, res, body, current_caller())
    return service.snapshot(res, record), 201


@bp.get("/<resource:res>/export")
@require(*READ_ROLES)
def export(res: Resource) -> Response:
    """Download every active record (an enterprise: its own) as CSV or XLSX."""
    fmt = request.args.get("format", "csv")
    lang = request.args.get("lang", "en")
    if fmt not in FORMATS or lang not in ("en", "zh"):
        raise InvalidInput(
            "查询参数有误 / bad query parameter",
            {"format": ["csv 或 xlsx / csv or xlsx"], "lang": ["en 或 zh / en or zh"]},
        )
    rows, _ = service.list_records(
        db.get_session(), res, {}, page=1, per_page=10**9, caller=current_caller()
    )
    data = write_table(res, [service.snapshot(res, r) for r in rows], fmt, lang)
    mimetype = (
        "text/csv"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename={res.name}.{fmt}"},
    )


@bp.post("/<resource:res>/import")
@require(*WRITERS)
def import_(res: Resource) -> dict[str, Any]:
    """Import a CSV or XLSX file (upsert by natural key, all or nothing unless ``partial=1``)."""
    upload = request.files.get("file")
    if upload is not None:
        data, fmt = upload.read(), detect_format(upload.filename, upload.mimetype)
    else:
        data = request.get_data()
        fmt = request.args.get("format") or detect_format(None, request.content_type)
    if not data:
        raise InvalidInput("未收到文件 / no file received", {"file": ["必填 / required"]})
    if fmt not in FORMATS:
        raise InvalidInput(
            "格式应为 csv 或 xlsx / format must be csv or xlsx", {"format": ["csv|xlsx"]}
        )
    partial = request.args.get("partial") in ("1", "true")
    dry_run = request.args.get("dry_run") in ("1", "true")
    session = db.get_session()
    table = read_table(res, data, fmt)
    with db.writing(session):
        report = import_table(
            session, res, table, current_caller(), all_or_nothing=not partial, dry_run=dry_run
        )
    return report.as_dict()


@bp.get("/<resource:res>/<path:key>")
@require(*READ_ROLES)
def get(res: Resource, key: str) -> dict[str, Any]:
    """One record by natural key (any organisation may look a record up)."""
    return service.snapshot(res, service.get_record(db.get_session(), res, key))


@bp.patch("/<resource:res>/<path:key>")
@require(*WRITERS)
def update(res: Resource, key: str) -> dict[str, Any]:
    """Change fields of a record; the body carries the ``version`` that was read."""
    body = json_object()
    session = db.get_session()
    with db.writing(session):
        record = service.get_record(session, res, key)
        service.update_record(session, res, record, body, current_caller())
    return service.snapshot(res, record)


@bp.post("/<resource:res>/<path:key>/deactivate")
@require(*WRITERS)
def deactivate(res: Resource, key: str) -> dict[str, Any]:
    """Deactivate a record; the body carries the ``version`` that was read."""
    body = json_object()
    version = body.get("version")
    session = db.get_session()
    with db.writing(session):
        record = service.get_record(session, res, key)
        service.deactivate_record(session, res, record, version, current_caller())
    return service.snapshot(res, record)


@bp.get("/<resource:res>/<path:key>/history")
@require(*HISTORY_READERS)
def history(res: Resource, key: str) -> dict[str, Any]:
    """Every change to a record: who, when, before and after."""
    session = db.get_session()
    record = service.get_record(session, res, key)
    caller = current_caller()
    if caller.role == "enterprise" and record.owner != caller.enterprise_uscc:
        raise Forbidden("只能查看本企业记录的历史 / only the owner may read this history")
    return {"items": [service.change_json(c) for c in service.history(session, res, record)]}
