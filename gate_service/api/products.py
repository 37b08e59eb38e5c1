"""The product master API (read only): ADR rows by UN number, catalogue rows by CAS number."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import request
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from rules.identifiers import IdentifierError
from rules.identifiers import check_cas
from rules.identifiers import check_un_number

from ..auth import READ_ROLES
from ..auth import require
from ..db import get_session
from ..errors import InvalidInput
from ..errors import NotFound
from ..models import AdrEntry
from ..models import CasIndex
from ..models import CatalogueEntry
from ..products.lookup import adr_entry_dict
from ..products.lookup import adr_rows
from ..products.lookup import catalogue_entries_for_cas
from ..products.lookup import catalogue_entry_dict
from .openapi import ERRORS
from .openapi import EXTRA_PATHS
from .openapi import PAGE_PARAMS
from .pagination import page_args
from .pagination import page_body

# The master is written only by `gate-service products load`; the API only reads it.
bp = Blueprint("products", __name__, url_prefix="/api/v1")

ADR_CLASSES = ("1", "2", "3", "4.1", "4.2", "4.3", "5.1", "5.2", "6.1", "6.2", "7", "8", "9")
BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
MAX_QUERY_CHARS = 100
BAD_PARAMETER = "查询参数有误 / bad query parameter"


def _bad(param: str, message: str) -> InvalidInput:
    return InvalidInput(BAD_PARAMETER, {param: [message]})


def _un_number(value: str, param: str = "un_number") -> str:
    try:
        return check_un_number(value)
    except IdentifierError as err:
        raise _bad(param, str(err)) from err


def _cas(value: str, param: str = "cas") -> str:
    try:
        return check_cas(value)
    except IdentifierError as err:
        raise _bad(param, str(err)) from err


def _text_arg(name: str) -> str | None:
    value = request.args.get(name, "").strip()
    if len(value) > MAX_QUERY_CHARS:
        raise _bad(name, f"最多 {MAX_QUERY_CHARS} 个字符 / at most {MAX_QUERY_CHARS} characters")
    return value or None


def _bool_arg(name: str) -> bool | None:
    raw = request.args.get(name, "").strip().lower()
    if not raw:
        return None
    if raw not in BOOLEANS:
        raise _bad(name, "应为 true 或 false / expected true or false")
    return BOOLEANS[raw]


def _page(query: Select[Any], order: tuple[Any, ...]) -> tuple[list[Any], int, int, int]:
    page, per_page = page_args()
    session = get_session()
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(*order).offset((page - 1) * per_page).limit(per_page))
    return list(rows), page, per_page, total


@bp.get("/products")
@require(*READ_ROLES)
def list_products() -> dict[str, Any]:
    """ADR rows, filtered by UN number, class or a text in any of their names."""
    query = select(AdrEntry)
    if un := _text_arg("un_number"):
        query = query.where(AdrEntry.un_number == _un_number(un))
    if adr_class := _text_arg("adr_class"):
        if adr_class not in ADR_CLASSES:
            raise _bad("adr_class", "应为 ADR 类别或项别之一 / expected one of "
                       + ", ".join(ADR_CLASSES))
        query = query.where(AdrEntry.adr_class == adr_class)
    if q := _text_arg("q"):
        query = query.where(or_(AdrEntry.name_zh.icontains(q, autoescape=True),
                                AdrEntry.name_en.icontains(q, autoescape=True),
                                AdrEntry.name_de.icontains(q, autoescape=True)))
    rows, page, per_page, total = _page(query, (AdrEntry.un_number, AdrEntry.variant))
    return page_body([adr_entry_dict(r) for r in rows], page, per_page, total)


@bp.get("/products/<un_number>")
@require(*READ_ROLES)
def get_product(un_number: str) -> dict[str, Any]:
    """Every variant of a UN number, with its Chinese name where known."""
    un = _un_number(un_number)
    rows = adr_rows(get_session(), un)
    if not rows:
        raise NotFound(f"ADR 危险货物一览表中无 UN {un} / UN {un} is not in ADR Table A")
    name_zh = next((r.name_zh for r in rows if r.name_zh), None)
    return {"un_number": un, "name_zh": name_zh, "variants": [adr_entry_dict(r) for r in rows]}


@bp.get("/catalogue")
@require(*READ_ROLES)
def list_catalogue() -> dict[str, Any]:
    """Rows of 危险化学品目录（2015版）, filtered by CAS number, text or flags."""
    query = select(CatalogueEntry)
    if cas := _text_arg("cas"):
        serials = select(CasIndex.serial).where(CasIndex.cas == _cas(cas))
        query = query.where(CatalogueEntry.serial.in_(serials))
    if q := _text_arg("q"):
        query = query.where(or_(CatalogueEntry.name.icontains(q, autoescape=True),
                                CatalogueEntry.alias.icontains(q, autoescape=True)))
    for flag in ("highly_toxic", "explosive_precursor", "high_risk"):
        value = _bool_arg(flag)
        if value is not None:
            query = query.where(getattr(CatalogueEntry, flag).is_(value))
    rows, page, per_page, total = _page(query, (CatalogueEntry.serial, CatalogueEntry.id))
    return page_body([catalogue_entry_dict(r) for r in rows], page, per_page, total)


@bp.get("/catalogue/<cas>")
@require(*READ_ROLES)
def get_catalogue(cas: str) -> dict[str, Any]:
    """The catalogue rows of a CAS number and their combined flags."""
    number = _cas(cas)
    entries = catalogue_entries_for_cas(get_session(), number)
    if not entries:
        raise NotFound(f"危险化学品目录（2015版）中无 CAS {number} / "
                       f"CAS {number} is not in the 2015 hazardous chemicals catalogue")
    flags = {flag: any(getattr(e, flag) for e in entries)
             for flag in ("highly_toxic", "explosive_precursor", "high_risk")}
    return {"cas": number, **flags, "entries": [catalogue_entry_dict(e) for e in entries]}


# --- OpenAPI --------------------------------------------------------------------------------


def _openapi_paths() -> list[tuple[str, dict[str, Any]]]:
    obj = {"content": {"application/json": {"schema": {"type": "object"}}}}
    listing = {"200": obj, **ERRORS}

    def query(*names: str) -> list[dict[str, Any]]:
        return [{"name": n, "in": "query", "schema": {"type": "string"}} for n in names]

    def path(name: str) -> list[dict[str, Any]]:
        return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}]

    return [
        ("/api/v1/products", {"get": {
            "summary": "ADR Table A rows (read only)",
            "parameters": PAGE_PARAMS + query("un_number", "adr_class", "q"),
            "responses": listing}}),
        ("/api/v1/products/{un_number}", {"get": {
            "summary": "All variants of a UN number, with its Chinese name where known",
            "parameters": path("un_number"), "responses": listing}}),
        ("/api/v1/catalogue", {"get": {
            "summary": "危险化学品目录（2015版） rows (read only)",
            "parameters": PAGE_PARAMS + query("cas", "q", "highly_toxic",
                                              "explosive_precursor", "high_risk"),
            "responses": listing}}),
        ("/api/v1/catalogue/{cas}", {"get": {
            "summary": "Catalogue rows of a CAS number with 剧毒 / 易制爆 / high-risk flags",
            "parameters": path("cas"), "responses": listing}}),
    ]


# Contribute once, even if the module is imported again by a second app.
_known = {p for p, _ in EXTRA_PATHS}
EXTRA_PATHS.extend(item for item in _openapi_paths() if item[0] not in _known)
