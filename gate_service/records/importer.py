"""Bulk import: validate every row, then upsert by natural key, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy import tuple_
from sqlalchemy.orm import Session

from ..auth import Caller
from ..errors import Forbidden
from ..errors import InvalidInput
from ..schemas.fields import RowList
from ..schemas.fields import StringList
from . import service
from .registry import Resource
from .tabular import Table

CHUNK = 500
# Called with the phase ("check" or "write") and how many rows it just finished.
Progress = Callable[[str, int], None]


class ImportRejected(InvalidInput):
    """An all-or-nothing import with bad rows: nothing was written; the report names them all."""

    code = "import_rejected"

    def __init__(self, report: ImportReport) -> None:
        super().__init__(
            f"{len(report.errors)} 行有误，未写入任何记录 / "
            f"{len(report.errors)} bad row(s); nothing written",
            report.as_dict(),
        )
        self.report = report


def blank_value(field: Any) -> Any:
    """What a blank cell means for a field: an empty list for list fields, else null."""
    return [] if isinstance(field, (StringList, RowList)) else None


@dataclass
class ImportReport:
    """What an import did, or would do, and every row error."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The report as the API returns it."""
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
        }


def _validate_rows(
    session: Session, res: Resource, table: Table, report: ImportReport, progress: Progress | None
) -> list[tuple[int, dict[str, Any]]]:
    schema = res.instance
    seen: dict[tuple[Any, ...], int] = {}
    good: list[tuple[int, dict[str, Any]]] = []
    for line, raw in table.rows:
        payload = {k: v for k, v in raw.items() if v != ""}
        problems: dict[str, Any] = {}
        key = _raw_key(schema, res, payload)
        if key is not None and key in seen:
            problems["/".join(res.key)] = [f"与第 {seen[key]} 行重复 / same key as row {seen[key]}"]
        elif key is not None:
            seen[key] = line
        try:
            data: dict[str, Any] = schema.load(payload)
        except ValidationError as err:
            report.errors.append({"row": line, "errors": {**problems, **_as_dict(err.messages)}})
        else:
            if service.has_un_numbers(data):
                problems.update(service.unknown_un_errors(session, data))
            if problems:
                report.errors.append({"row": line, "errors": problems})
            else:
                # A column present but blank clears that field; absent columns are untouched.
                for name in table.fields:
                    attr = res.column(name)
                    if raw.get(name, "") == "" and attr not in data:
                        data[attr] = blank_value(schema.fields[name])
                good.append((line, data))
        if progress:
            progress("check", 1)
    return good


def _raw_key(schema: Any, res: Resource, payload: dict[str, str]) -> tuple[Any, ...] | None:
    """The normalised natural key of a raw row, or None when a key field is itself invalid."""
    try:
        return tuple(schema.fields[k].deserialize(payload.get(k)) for k in res.key)
    except ValidationError:
        return None


def _as_dict(messages: Any) -> dict[str, Any]:
    return messages if isinstance(messages, dict) else {"_schema": messages}


def _existing(
    session: Session, res: Resource, keys: list[tuple[Any, ...]]
) -> dict[tuple[Any, ...], Any]:
    cols = [getattr(res.model, res.column(k)) for k in res.key]
    found: dict[tuple[Any, ...], Any] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        cond = cols[0].in_([k[0] for k in chunk]) if len(cols) == 1 else tuple_(*cols).in_(chunk)
        for record in session.scalars(select(res.model).where(cond)):
            found[tuple(getattr(record, res.column(k)) for k in res.key)] = record
    return found


def import_table(
    session: Session,
    res: Resource,
    table: Table,
    caller: Caller,
    *,
    all_or_nothing: bool = True,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate and upsert a table inside the caller's transaction.

    With ``all_or_nothing`` (the default) any bad row raises :class:`ImportRejected`, whose report
    lists every bad row and field, so the caller's transaction rolls back and nothing is written.
    Re-importing the same file changes nothing.
    """
    if caller.role not in service.WRITE_ROLES:
        raise Forbidden(f"角色 {caller.role} 只读 / role {caller.role} is read-only")
    report = ImportReport(rows=len(table.rows))
    good = _validate_rows(session, res, table, report, progress)
    if report.errors and all_or_nothing:
        raise ImportRejected(report)
    existing = _existing(
        session, res, [tuple(d.get(res.column(k)) for k in res.key) for _, d in good]
    )
    created: list[Any] = []
    updated: list[tuple[Any, dict[str, Any]]] = []
    for line, data in good:
        record = existing.get(tuple(data.get(res.column(k)) for k in res.key))
        try:
            if record is None:
                owner = service.owner_for(session, res, data, caller)
                data.pop("owner", None)
                created.append(res.model(**data, owner=owner))
                continue
            service.check_can_change(record, caller)
        except (Forbidden, InvalidInput) as err:
            report.errors.append({"row": line, "errors": err.errors or {"owner": [err.message]}})
            continue
        data.pop("owner", None)
        changes = {k: v for k, v in data.items() if getattr(record, k) != v}
        if changes:
            updated.append((record, changes))
        else:
            report.unchanged += 1
    report.created, report.updated = len(created), len(updated)
    if report.errors and all_or_nothing:
        raise ImportRejected(report)
    if not dry_run:
        _write(session, res, caller, created, updated, progress)
    return report


def _write(
    session: Session,
    res: Resource,
    caller: Caller,
    created: list[Any],
    updated: list[tuple[Any, dict[str, Any]]],
    progress: Progress | None,
) -> None:
    """Insert and update in chunks (one flush per chunk), each change with its history row."""
    for start in range(0, len(created), CHUNK):
        chunk = created[start : start + CHUNK]
        session.add_all(chunk)
        session.flush()
        for record in chunk:
            service.record_change(session, res, record, "import", caller, None)
        if progress:
            progress("write", len(chunk))
    for start in range(0, len(updated), CHUNK):
        chunk = updated[start : start + CHUNK]
        befores = [service.snapshot(res, record) for record, _ in chunk]
        for record, changes in chunk:
            service.apply_changes(record, changes)
        session.flush()
        for (record, _), before in zip(chunk, befores, strict=True):
            service.record_change(session, res, record, "import", caller, before)
        if progress:
            progress("write", len(chunk))
    session.flush()
