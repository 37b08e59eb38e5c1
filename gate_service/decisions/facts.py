"""Turn stored records into the frozen facts the rules read, and facts into JSON and back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing
from functools import cache
from typing import Any
from typing import TypeVar

from rules import model as rm

T = TypeVar("T")

# Nested record lists and the fact type of their items.
NESTED: dict[tuple[type[Any], str], type[Any]] = {
    (rm.TankFacts, "media"): rm.MediumFacts,
    (rm.WaybillFacts, "goods"): rm.GoodsLine,
    (rm.PermitFacts, "goods"): rm.PermitGoods,
}
# Model attributes whose fact field has another name.
RENAMED: dict[tuple[type[Any], str], str] = {
    (rm.WaybillFacts, "status"): "waybill_status",
    (rm.WaybillFacts, "record_status"): "status",
    (rm.GoodsLine, "adr_class"): "class",
}


@cache
def _hints(cls: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(rm))


@cache
def _plan(cls: type[Any], renamed: bool) -> tuple[tuple[str, str, str, type[Any] | None], ...]:
    """For each field of a fact: its name, the key it is read from, how to convert it, and the
    fact type of its items when it is a nested list (worked out once per fact type)."""
    plan = []
    for f in dataclasses.fields(cls):
        source = RENAMED.get((cls, f.name), f.name) if renamed else f.name
        nested = NESTED.get((cls, f.name))
        plan.append((f.name, source, _kind(str(_hints(cls)[f.name]), nested), nested))
    return tuple(plan)


def _kind(hint: str, nested: type[Any] | None) -> str:
    if nested is not None:
        return "nested"
    return next((k for k in ("date", "tuple", "float") if k in hint), "plain")


def _convert(kind: str, nested: type[Any] | None, value: Any, renamed: bool) -> Any:
    if kind == "nested" and nested is not None:
        return tuple(_build(nested, item, renamed) for item in value)
    if kind == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if kind == "tuple":
        return tuple(value)
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _build(cls: type[T], data: Any, renamed: bool) -> T:
    get = data.get if isinstance(data, dict) else lambda key: getattr(data, key, None)
    values: dict[str, Any] = {}
    for name, source, kind, nested in _plan(cls, renamed):
        raw = get(source)
        if raw is not None:
            values[name] = _convert(kind, nested, raw, renamed)
    return cls(**values)


def from_record(cls: type[T], record: Any) -> T:
    """Build a fact from a stored record (a model instance), by the data-dictionary names."""
    return _build(cls, record, renamed=True)


def from_json(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a fact from its JSON form (as :func:`to_json` wrote it)."""
    return _build(cls, data, renamed=False)


@cache
def _json_fields(cls: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.name != "profile")


def to_json(fact: Any) -> Any:
    """A fact as JSON-ready data (dates as ISO text, tuples as lists)."""
    if isinstance(fact, (str, int, float, type(None))):
        return fact
    if isinstance(fact, (list, tuple)):
        return [to_json(v) for v in fact]
    if isinstance(fact, dict):
        return {k: to_json(v) for k, v in fact.items()}
    if isinstance(fact, dt.date):
        return fact.isoformat()
    if dataclasses.is_dataclass(fact) and not isinstance(fact, type):
        return {name: to_json(getattr(fact, name)) for name in _json_fields(type(fact))}
    return fact
