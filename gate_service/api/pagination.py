"""Query-string parsing shared by list endpoints: page numbers and typed filters."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask import request
from marshmallow import ValidationError
from marshmallow import fields as mf

from ..errors import InvalidInput


def page_args() -> tuple[int, int]:
    """``page`` (from 1) and ``per_page`` (up to the configured maximum), or 422."""
    limit = current_app.extensions["gate"].page_size_max
    out: list[int] = []
    for name, default, top in (("page", 1, 1_000_000), ("per_page", 50, limit)):
        raw = request.args.get(name, str(default))
        if not raw.isdigit() or not 1 <= int(raw) <= top:
            raise InvalidInput(
                "查询参数有误 / bad query parameter",
                {name: [f"应为 1–{top} 的整数 / an integer from 1 to {top}"]},
            )
        out.append(int(raw))
    return out[0], out[1]


def typed_filters(schema: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    """The allowed filters present in the query string, each loaded through its schema field."""
    filters: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name in allowed:
        raw = request.args.get(name)
        if raw is None or raw == "":
            continue
        field = schema.fields.get(name)
        try:
            filters[name] = field.deserialize(raw) if isinstance(field, mf.Field) else raw
        except ValidationError as err:
            errors[name] = (
                [str(m) for m in err.messages]
                if isinstance(err.messages, list)
                else [str(err.messages)]
            )
    if errors:
        raise InvalidInput("查询参数有误 / bad query parameter", errors)
    return filters


def page_body(items: list[Any], page: int, per_page: int, total: int) -> dict[str, Any]:
    """The JSON envelope of a list response."""
    return {"items": items, "page": page, "per_page": per_page, "total": total}
