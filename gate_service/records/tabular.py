"""Read and write record tables as CSV or XLSX, with English or Chinese column headers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl import load_workbook

from ..errors import InvalidInput
from .registry import Resource

FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Column:
    """One file column: its API field name and its Chinese header."""

    field: str
    zh: str


def columns(res: Resource) -> list[Column]:
    """The loadable columns of a resource, in schema order."""
    schema = res.instance
    return [
        Column(name, f.metadata.get("zh", name))
        for name, f in schema.fields.items()
        if not f.dump_only
    ]


def header_map(res: Resource) -> dict[str, str]:
    """Every accepted header (English or Chinese, case- and space-insensitive) → field name."""
    out: dict[str, str] = {}
    for col in columns(res):
        out[_norm(col.field)] = col.field
        out[_norm(col.zh)] = col.field
    return out


def _norm(header: str) -> str:
    return (
        "".join(header.replace("\ufeff", "").split()).lower().replace("（", "(").replace("）", ")")
    )


def detect_format(filename: str | None, content_type: str | None) -> str:
    """csv or xlsx, from a file name or a content type."""
    name = (filename or "").lower()
    ctype = (content_type or "").lower()
    if name.endswith(".xlsx") or "spreadsheetml" in ctype:
        return "xlsx"
    if name.endswith(".csv") or "csv" in ctype or "text/plain" in ctype:
        return "csv"
    raise InvalidInput(
        "无法识别文件格式，请用 .csv 或 .xlsx / send a .csv or .xlsx file",
        {"file": ["应为 CSV 或 XLSX / must be CSV or XLSX"]},
    )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _raw_rows(data: bytes, fmt: str) -> Iterator[list[str]]:
    if fmt == "csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030")  # Excel on Chinese Windows saves CSV as GBK
        for row in csv.reader(io.StringIO(text)):
            yield [c.strip() for c in row]
        return
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the client's error
        raise InvalidInput(
            "无法读取 XLSX 文件 / cannot read the XLSX file", {"file": [str(exc)[:200]]}
        ) from exc
    sheet = book.worksheets[0]
    for row in sheet.iter_rows(values_only=True):
        yield [_cell_text(v) for v in row]
    book.close()


@dataclass
class Table:
    """The fields named by a file's header and its data rows (with 1-based line numbers)."""

    fields: list[str]
    rows: list[tuple[int, dict[str, str]]]


def read_table(res: Resource, data: bytes, fmt: str) -> Table:
    """Parse a file; unknown or repeated headers are reported before any row is read."""
    raw = _raw_rows(data, fmt)
    header = next(raw, None)
    if not header or not any(header):
        raise InvalidInput(
            "文件为空或缺少表头 / the file is empty or has no header row",
            {"file": ["缺少表头 / no header row"]},
        )
    mapping = header_map(res)
    fields: list[str] = []
    problems: dict[str, list[str]] = {}
    for pos, name in enumerate(header, start=1):
        if not name:
            fields.append("")
            continue
        field = mapping.get(_norm(name))
        if field is None:
            problems[f"column {pos}"] = [f"未知列“{name}” / unknown column {name!r}"]
        elif field in fields:
            problems[f"column {pos}"] = [f"重复列“{name}” / repeated column {name!r}"]
        fields.append(field or "")
    if problems:
        raise InvalidInput("表头有误 / bad header", problems)
    rows = []
    for line, values in enumerate(raw, start=2):
        if not any(values):
            continue
        rows.append((line, {f: v for f, v in zip(fields, values, strict=False) if f}))
    return Table([f for f in fields if f], rows)


def _cell(res: Resource, name: str, value: Any) -> Any:
    if name in res.row_lists:
        return "; ".join(res.row_lists[name](item) for item in value or [])
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else value


def write_table(res: Resource, records: list[dict[str, Any]], fmt: str, lang: str) -> bytes:
    """Write API-shaped records as a file that :func:`read_table` reads back unchanged."""
    cols = columns(res)
    header = [c.zh if lang == "zh" else c.field for c in cols]
    rows = [[_cell(res, c.field, rec.get(c.field)) for c in cols] for rec in records]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        return out.getvalue().encode("utf-8-sig")
    book = Workbook(write_only=True)
    sheet = book.create_sheet(res.name)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
