"""Create, read, update and deactivate pre-load records, keeping a history of every change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth import Caller
from ..errors import Conflict
from ..errors import Forbidden
from ..errors import InvalidInput
from ..errors import NotFound
from ..errors import VersionConflict
from ..models import AdrEntry
from ..models import RecordChange
from ..models import Site
from .registry import Resource

WRITE_ROLES = ("admin", "enterprise")


def snapshot(res: Resource, record: Any) -> dict[str, Any]:
    """The record as the API shows it, JSON-ready (used for history and responses)."""
    data: dict[str, Any] = res.instance.dump(record)
    return data


def loadable(res: Resource, record: Any) -> dict[str, Any]:
    """The record's loadable fields in API form, for merging with a partial update."""
    schema = res.instance
    dumped = schema.dump(record)
    return {
        k: v
        for k, v in dumped.items()
        if k in schema.fields and not schema.fields[k].dump_only and v is not None
    }


def parse_key(res: Resource, key_text: str) -> dict[str, Any]:
    """Turn a URL key into normalised natural-key values (plates without separators, dates)."""
    parts = key_text.split("/", len(res.key) - 1)
    if len(parts) != len(res.key):
        raise NotFound(f"键应为 {'/'.join(res.key)} / key must be {'/'.join(res.key)}")
    schema = res.instance
    values: dict[str, Any] = {}
    for name, raw in zip(res.key, parts, strict=True):
        field = schema.fields[name]
        try:
            values[field.attribute or name] = field.deserialize(raw)
        except ValidationError as err:
            raise NotFound(
                f"无此记录 / no such record ({'; '.join(map(str, err.messages))})"
            ) from err
    return values


def find_by_key(session: Session, res: Resource, key: dict[str, Any]) -> Any | None:
    """The record with this natural key, or None."""
    stmt = select(res.model).where(*(getattr(res.model, k) == v for k, v in key.items()))
    return session.scalar(stmt)


def get_record(session: Session, res: Resource, key_text: str) -> Any:
    """The record with this URL key, or 404."""
    record = find_by_key(session, res, parse_key(res, key_text))
    if record is None:
        raise NotFound(f"无此记录 / no {res.name} record {key_text!r}")
    return record


def list_records(
    session: Session,
    res: Resource,
    filters: dict[str, Any],
    *,
    page: int,
    per_page: int,
    caller: Caller,
    include_inactive: bool = False,
) -> tuple[list[Any], int]:
    """One page of records matching the filters; an enterprise sees only its own."""
    stmt = select(res.model)
    for name, value in filters.items():
        stmt = stmt.where(getattr(res.model, res.column(name)) == value)
    if not include_inactive:
        stmt = stmt.where(res.model.status == "active")
    if caller.role == "enterprise":
        stmt = stmt.where(res.model.owner == caller.enterprise_uscc)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(res.model.id).limit(per_page).offset((page - 1) * per_page)
    )
    return list(rows), total


def known_un_numbers(session: Session) -> frozenset[str]:
    """UN numbers of the product master, read once per session."""
    cached = session.info.get("known_un")
    if cached is None:
        cached = frozenset(session.scalars(select(AdrEntry.un_number).distinct()))
        session.info["known_un"] = cached
    return cached


def _un_fields(data: dict[str, Any]) -> Iterable[tuple[str, str]]:
    """(field path, UN number) of every UN number in loaded record data."""
    for name in ("un_number", "last_cargo_un"):
        if data.get(name):
            yield name, data[name]
    for name in ("media", "goods"):
        for i, item in enumerate(data.get(name) or []):
            if item.get("un_number"):
                yield f"{name}.{i}.un_number", item["un_number"]


def unknown_un_errors(session: Session, data: dict[str, Any]) -> dict[str, list[str]]:
    """Per-field errors for UN numbers the product master does not know."""
    known = known_un_numbers(session)
    if not known:
        return {
            "un_number": [
                "产品主数据未加载（gate-service products load） / product master not loaded"
            ]
        }
    return {
        path: [f"UN{un} 不在产品主数据中 / UN{un} is not in the product master"]
        for path, un in _un_fields(data)
        if un not in known
    }


def owner_for(session: Session, res: Resource, data: dict[str, Any], caller: Caller) -> str | None:
    """The owning organisation of new data, checking that the caller may write it."""
    if caller.role not in WRITE_ROLES:
        raise Forbidden(f"角色 {caller.role} 只读 / role {caller.role} is read-only")
    derived = data.get("owner") or res.owner_from(data)
    if res.name == "site_products":
        site = session.scalar(select(Site).where(Site.code == data.get("site_code")))
        if site is None:
            raise InvalidInput(
                "站点不存在 / unknown site", {"site_code": ["未知站点 / unknown site"]}
            )
        derived = site.owner_uscc
    if caller.role == "enterprise":
        if derived and derived != caller.enterprise_uscc:
            raise Forbidden("只能维护本企业的记录 / an enterprise maintains only its own records")
        return caller.enterprise_uscc
    return derived


def check_can_change(record: Any, caller: Caller) -> None:
    """Raise 403 unless the caller is an admin or the record's owner."""
    if caller.role == "admin":
        return
    if caller.role == "enterprise" and record.owner and record.owner == caller.enterprise_uscc:
        return
    raise Forbidden("只能修改本企业的记录 / only the owner or an admin may change this record")


def record_change(
    session: Session,
    res: Resource,
    record: Any,
    action: str,
    caller: Caller,
    before: dict[str, Any] | None,
) -> None:
    """Append one history row for a change that has just been applied (and flushed)."""
    session.add(
        RecordChange(
            resource=res.name,
            record_id=record.id,
            version=record.version,
            action=action,
            actor=caller.actor,
            before=before,
            after=snapshot(res, record),
        )
    )


def validate(
    session: Session, res: Resource, payload: Any, *, partial: bool = False
) -> dict[str, Any]:
    """Load a payload through the resource schema and check its UN numbers; 422 on any error."""
    if not isinstance(payload, dict):
        raise InvalidInput("请求体应为 JSON 对象 / body must be a JSON object")
    try:
        data: dict[str, Any] = res.instance.load(payload, partial=partial)
    except ValidationError as err:
        raise InvalidInput("输入有误 / invalid input", err.messages) from err
    problems = unknown_un_errors(session, data) if has_un_numbers(data) else {}
    if problems:
        raise InvalidInput("输入有误 / invalid input", problems)
    return data


def has_un_numbers(data: dict[str, Any]) -> bool:
    """Whether loaded data names any UN number."""
    return any(True for _ in _un_fields(data))


def create_record(session: Session, res: Resource, payload: Any, caller: Caller) -> Any:
    """Create a record; 409 when its natural key exists."""
    data = validate(session, res, payload)
    owner = owner_for(session, res, data, caller)
    data.pop("owner", None)
    if find_by_key(session, res, {k: data.get(res.column(k)) for k in res.key}) is not None:
        raise Conflict(f"记录已存在 / {res.name} {'/'.join(map(str, res.key_of(data)))} exists")
    record = res.model(**data, owner=owner)
    session.add(record)
    session.flush()
    record_change(session, res, record, "create", caller, None)
    return record


def apply_changes(record: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Set the fields that differ; return them."""
    changed = {k: v for k, v in data.items() if getattr(record, k) != v}
    for name, value in changed.items():
        setattr(record, name, value)
    return changed


def update_record(session: Session, res: Resource, record: Any, patch: Any, caller: Caller) -> Any:
    """Apply a partial update guarded by the version the client read (409 when stale)."""
    if not isinstance(patch, dict):
        raise InvalidInput("请求体应为 JSON 对象 / body must be a JSON object")
    patch = dict(patch)
    expected = patch.pop("version", None)
    if not isinstance(expected, int) or isinstance(expected, bool):
        raise InvalidInput(
            "需提供读取时的版本号 / give the version you read",
            {"version": ["必填整数 / required integer"]},
        )
    check_can_change(record, caller)
    if expected != record.version:
        raise VersionConflict(
            f"记录已被修改（当前版本 {record.version}） / "
            f"record changed (now version {record.version})",
            {"version": [f"当前为 {record.version} / current is {record.version}"]},
        )
    current = loadable(res, record)
    for name in res.key:
        if name in patch and patch[name] != current.get(name):
            raise InvalidInput(
                "自然键不可修改 / the natural key cannot change",
                {name: ["不可修改 / cannot change"]},
            )
    if "owner" in patch and caller.role != "admin":
        raise Forbidden("只有管理员可以转移记录 / only an admin may change the owner")
    data = validate(session, res, {**current, **patch})
    owner = data.pop("owner", record.owner)
    before = snapshot(res, record)
    changed = apply_changes(record, {**data, "owner": owner})
    if changed:
        session.flush()
        record_change(session, res, record, "update", caller, before)
    return record


def deactivate_record(
    session: Session, res: Resource, record: Any, version: Any, caller: Caller
) -> Any:
    """Mark a record inactive (records are never deleted)."""
    check_can_change(record, caller)
    if version != record.version:
        raise VersionConflict(f"记录已被修改（当前版本 {record.version}） / record changed")
    if record.status == "inactive":
        return record
    before = snapshot(res, record)
    record.status = "inactive"
    if res.name == "waybills" and record.waybill_status == "issued":
        record.waybill_status = "cancelled"
    session.flush()
    record_change(session, res, record, "deactivate", caller, before)
    return record


def history(session: Session, res: Resource, record: Any) -> list[RecordChange]:
    """Every change to a record, oldest first."""
    stmt = (
        select(RecordChange)
        .where(RecordChange.resource == res.name, RecordChange.record_id == record.id)
        .order_by(RecordChange.id)
    )
    return list(session.scalars(stmt))


def change_json(change: RecordChange) -> dict[str, Any]:
    """A history row as the API shows it."""
    return {
        "version": change.version,
        "action": change.action,
        "actor": change.actor,
        "at": change.at.isoformat(),
        "before": change.before,
        "after": change.after,
    }
