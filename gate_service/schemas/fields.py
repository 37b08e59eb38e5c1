"""Marshmallow fields for the pre-load files: identifiers, flexible dates and list cells."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError
from marshmallow import fields as mf

from rules import identifiers as ids
from rules.portable import portable_code

# Bilingual defaults, so every field error reads in Chinese and English.
mf.Field.default_error_messages.update(
    {
        "required": "必填字段 / required field",
        "null": "不能为空 / may not be null",
        "validator_failed": "取值无效 / invalid value",
    }
)
mf.Integer.default_error_messages.update(
    {"invalid": "应为整数 / not a valid integer", "too_large": "数值过大 / number too large"}
)
mf.String.default_error_messages.update({"invalid": "应为文本 / not a valid string"})
mf.Boolean.default_error_messages.update({"invalid": "应为是/否 / not a valid boolean"})
mf.List.default_error_messages.update({"invalid": "应为列表 / not a valid list"})


class Identifier(mf.String):
    """A string checked and normalised by one of the validators in :mod:`rules.identifiers`."""

    def __init__(self, check: Callable[[str], str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return self.check(text)
        except ids.IdentifierError as err:
            raise ValidationError(str(err)) from err


def Plate(**kw: Any) -> Identifier:  # noqa: N802 - reads like a field class
    """A licence plate (GA 36)."""
    return Identifier(ids.check_plate, **kw)


def IdNumber(**kw: Any) -> Identifier:  # noqa: N802
    """A resident ID number (GB 11643)."""
    return Identifier(ids.check_id_number, **kw)


def Uscc(**kw: Any) -> Identifier:  # noqa: N802
    """A unified social credit code (GB 32100)."""
    return Identifier(ids.check_uscc, **kw)


def UnNumber(**kw: Any) -> Identifier:  # noqa: N802
    """A UN number, ``1203`` or ``UN1203``."""
    return Identifier(ids.check_un_number, **kw)


def _tank_or_portable_code(value: str) -> str:
    return portable_code(value) or ids.check_tank_code(value)


def TankCode(**kw: Any) -> Identifier:  # noqa: N802
    """An ADR tank code, or a portable tank's instruction (T1-T75)."""
    return Identifier(_tank_or_portable_code, **kw)


def Vin(**kw: Any) -> Identifier:  # noqa: N802
    """A vehicle identification number."""
    return Identifier(ids.check_vin, **kw)


def Cas(**kw: Any) -> Identifier:  # noqa: N802
    """A CAS registry number."""
    return Identifier(ids.check_cas, **kw)


def PackingGroup(**kw: Any) -> Identifier:  # noqa: N802
    """A packing group: I, II or III."""
    return Identifier(ids.check_packing_group, **kw)


class FlexDate(mf.Field):
    """A date, or a year-month meaning the last day of that month."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.isoformat()

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if not isinstance(value, str):
            raise ValidationError(
                "应为日期 YYYY-MM-DD 或 YYYY-MM / not a date (YYYY-MM-DD or YYYY-MM)"
            )
        try:
            return ids.parse_year_month_or_date(value)
        except ids.IdentifierError as err:
            raise ValidationError(str(err)) from err


class StringList(mf.Field):
    """A list of strings; in a CSV cell the items are separated by ``;`` or ``；``."""

    def __init__(self, choices: Collection[str] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("load_default", list)
        super().__init__(**kwargs)
        self.choices = tuple(choices) if choices else None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> list[str]:
        return list(value or [])

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        if isinstance(value, str):
            items = ids.split_list(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            items = [v.strip() for v in value if v.strip()]
        else:
            raise ValidationError("应为文本列表 / not a list of strings")
        if self.choices is not None:
            bad = [v for v in items if v not in self.choices]
            if bad:
                raise ValidationError(
                    f"未知取值 {'、'.join(bad)}（可选：{'、'.join(self.choices)}） / "
                    f"unknown value(s) {', '.join(bad)} (allowed: {', '.join(self.choices)})"
                )
        return items


PG_RE = r"(?:I{1,3}|Ⅰ|Ⅱ|Ⅲ)"
MEDIUM_RE = re.compile(rf"^(?:UN\s*)?(\d{{4}})\s+(.+?)(?:\s+({PG_RE}))?$", re.IGNORECASE)
GOODS_RE = re.compile(
    rf"^(?:UN\s*)?(\d{{4}})\s+(.+?)\s+(\d(?:\.\d)?)(?:\s+({PG_RE}))?\s+(\d+(?:\.\d+)?)\s*(?:kg)?$",
    re.IGNORECASE,
)
PERMIT_GOODS_RE = re.compile(
    r"^(?:(?:UN\s*)?(\d{4})|CAS\s*(\d{2,7}-\d{2}-\d))\s+(.+?)\s+(\d+(?:\.\d+)?)\s*(?:kg)?$",
    re.IGNORECASE,
)


class RowList(mf.Field):
    """A list of small records; a CSV cell writes each as space-separated parts, ``;`` between."""

    def __init__(
        self,
        item_schema: Any,
        cell_pattern: re.Pattern[str],
        cell_keys: tuple[str, ...],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("load_default", list)
        super().__init__(**kwargs)
        self.item_schema = item_schema
        self.cell_pattern = cell_pattern
        self.cell_keys = cell_keys

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> list[Any]:
        return list(value or [])

    def _parse_cell(self, cell: str) -> list[dict[str, Any]]:
        items = []
        for n, part in enumerate(ids.split_list(cell), start=1):
            match = self.cell_pattern.match(part.strip())
            if not match:
                raise ValidationError(
                    f"第 {n} 项无法识别：{part!r} / item {n} not understood: {part!r}"
                )
            items.append(
                {k: v for k, v in zip(self.cell_keys, match.groups(), strict=True) if v is not None}
            )
        return items

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        if isinstance(value, str):
            value = self._parse_cell(value)
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise ValidationError("应为列表 / not a list of items")
        errors: dict[int, Any] = {}
        out = []
        for i, item in enumerate(value):
            try:
                out.append(self.item_schema.load(item))
            except ValidationError as err:
                errors[i] = err.messages
        if errors:
            raise ValidationError(errors)
        return out


def cell_of_media(item: Mapping[str, Any]) -> str:
    """One 适装介质 row as it is written in a CSV cell."""
    parts = [f"UN{item['un_number']}", item.get("name") or ""]
    if item.get("packing_group"):
        parts.append(item["packing_group"])
    return " ".join(p for p in parts if p)


def cell_of_goods(item: Mapping[str, Any]) -> str:
    """One waybill goods line as it is written in a CSV cell."""
    parts = [f"UN{item['un_number']}", item.get("name") or "", item.get("class") or ""]
    if item.get("packing_group"):
        parts.append(item["packing_group"])
    parts.append(_num(item.get("quantity_kg")))
    return " ".join(p for p in parts if p)


def cell_of_permit_goods(item: Mapping[str, Any]) -> str:
    """One permit goods line as it is written in a CSV cell."""
    head = f"UN{item['un_number']}" if item.get("un_number") else f"CAS{item.get('cas')}"
    return " ".join(p for p in (head, item.get("name") or "", _num(item.get("quantity_kg"))) if p)


def _num(value: Any) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
