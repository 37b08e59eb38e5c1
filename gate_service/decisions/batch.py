"""Read rows of several record tables in one round trip, each row as JSON, decoded by column type.

A verification needs rows from up to eight tables. Asked one table at a time, PostgreSQL costs a
network round trip per table; here each table's rows are built into a JSON object by the
database (``json_object`` on SQLite, ``json_build_object`` on PostgreSQL) and the selects are
joined with ``UNION ALL``, so one statement brings them all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any
from typing import NamedTuple

from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import Column
from sqlalchemy import ColumnElement
from sqlalchemy import Connection
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import Select
from sqlalchemy import Table
from sqlalchemy import literal_column
from sqlalchemy import select
from sqlalchemy import type_coerce
from sqlalchemy import union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from ..models.base import UTCDateTime

# PostgreSQL passes at most 100 arguments to a function: 50 name/value pairs.
MAX_COLUMNS = 50


class Part(NamedTuple):
    """One table's share of a batch: its name in the result, which rows, which columns."""

    name: str
    table: Table
    where: ColumnElement[bool]
    columns: Sequence[Column[Any]] | None = None  # all of them

    @property
    def selected(self) -> Sequence[Column[Any]]:
        """The columns read."""
        return self.columns if self.columns is not None else list(self.table.columns)


class row_json(FunctionElement[Any]):  # noqa: N801 - named like the SQL functions it renders
    """Columns of a row as one JSON object (key = column name)."""

    inherit_cache = True

    def __init__(self, columns: Sequence[Column[Any]]) -> None:
        self.columns_in_order = list(columns)
        super().__init__(*columns)


def _pairs(element: row_json, compiler: SQLCompiler, wrap_json: bool, **kw: Any) -> str:
    parts = []
    for column in element.columns_in_order:
        value = compiler.process(column, **kw)
        # SQLite keeps JSON as text; json() embeds it as JSON rather than as a string.
        if wrap_json and isinstance(column.type, JSON):
            value = f"json({value})"
        parts.append(f"'{column.name}', {value}")
    return ", ".join(parts)


@compiles(row_json, "sqlite")
def _row_json_sqlite(element: row_json, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_object({_pairs(element, compiler, True, **kw)})"


@compiles(row_json, "postgresql")
def _row_json_postgresql(element: row_json, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_build_object({_pairs(element, compiler, False, **kw)})"


def as_json(part: Part) -> Select[Any]:
    """The rows of a part, as (part name, JSON row) pairs."""
    data = type_coerce(row_json(part.selected), JSON).label("data")
    return select(literal_column(f"'{part.name}'").label("part"), data).where(part.where)


def _decoder(column: Column[Any]) -> Any:
    kind = column.type
    if isinstance(kind, UTCDateTime | DateTime):
        return _timestamp
    if isinstance(kind, Date):
        return _date
    if isinstance(kind, Boolean):
        return _boolean
    return None


def _timestamp(value: Any) -> dt.datetime:
    stamp = dt.datetime.fromisoformat(value)
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _boolean(value: Any) -> bool:
    return bool(value)


class Batch:
    """A prepared ``UNION ALL`` of several parts, each the rows of one table."""

    def __init__(self, parts: Sequence[Part]) -> None:
        for part in parts:
            if len(part.selected) > MAX_COLUMNS:
                raise ValueError(f"{part.name}: a JSON row holds at most {MAX_COLUMNS} columns")
        self.statement = union_all(*(as_json(part) for part in parts))
        self.decoders = {
            part.name: {c.name: d for c in part.selected if (d := _decoder(c)) is not None}
            for part in parts
        }

    def run(self, conn: Connection, params: Mapping[str, Any]) -> dict[str, list[SimpleNamespace]]:
        """The rows of every part, as objects with an attribute per column (in no set order)."""
        out: dict[str, list[SimpleNamespace]] = {name: [] for name in self.decoders}
        for part, data in conn.execute(self.statement, params):
            for key, decode in self.decoders[part].items():
                if data.get(key) is not None:
                    data[key] = decode(data[key])
            out[part].append(SimpleNamespace(**data))
        return out
