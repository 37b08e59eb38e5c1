"""Queries on the product master for the verification service, the API and the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.identifiers import IdentifierError
from rules.identifiers import check_cas
from rules.identifiers import check_packing_group
from rules.identifiers import check_un_number

from ..models import AdrEntry
from ..models import CasIndex
from ..models import CatalogueEntry
from ..models import SiteProduct
from .reference import CATALOGUE_FLAGS
from .reference import flags_of
from .reference import reference_for

# AdrEntry.status_code (BAM's N_VERBOT).
STATUS_PROHIBITED = 0
STATUS_REGULAR = 1
STATUS_NOT_SUBJECT = 2

_SITE_PRODUCTS = SiteProduct.__table__
# Built once: the verification runs it on every visit that does not batch it.
_ACTIVE_SITE_PRODUCTS = select(_SITE_PRODUCTS).where(
    _SITE_PRODUCTS.c.site_code == bindparam("site"),
    _SITE_PRODUCTS.c.status == "active",
    _SITE_PRODUCTS.c.un_number.in_(bindparam("uns", expanding=True)),
)


def normalise_un(value: str) -> str:
    """``UN1203``, ``un 1203`` → ``1203``; anything malformed is returned stripped (it will
    simply not be found)."""
    try:
        return check_un_number(value)
    except IdentifierError:
        return value.strip()


def normalise_packing_group(value: str | None) -> str | None:
    """``2``, ``PG II``, ``Ⅱ`` → ``II``; empty → None."""
    if value is None or not value.strip():
        return None
    try:
        return check_packing_group(value)
    except IdentifierError:
        return value.strip().upper()


def normalise_cas(value: str) -> str:
    """A CAS number in registry form (no zero padding, ASCII hyphens) when it is well-formed."""
    try:
        return check_cas(value)
    except IdentifierError:
        return value.strip()


# --- ADR Table A ----------------------------------------------------------------------------


def adr_rows(session: Session, un_number: str) -> list[AdrEntry]:
    """Every variant of a UN number, by variant number; empty when the UN number is unknown."""
    query = (select(AdrEntry).where(AdrEntry.un_number == normalise_un(un_number))
             .order_by(AdrEntry.variant))
    return list(session.scalars(query))


def pick_variant(rows: Sequence[AdrEntry], packing_group: str | None = None) -> AdrEntry | None:
    """The variant that stands for a UN number (and packing group).

    With a packing group, only variants of that group qualify (None if there is none: the
    packing group does not exist for that UN number). Among the candidates the regular entry
    (status 1) with the lowest variant number wins; if no candidate is regular, the lowest variant
    (so a prohibited entry is still found and reported as such).
    """
    group = normalise_packing_group(packing_group)
    candidates = [r for r in rows if group is None or r.packing_group == group]
    regular = [r for r in candidates if r.status_code == STATUS_REGULAR]
    return min(regular or candidates, key=lambda r: r.variant, default=None)


def adr_row(session: Session, un_number: str, packing_group: str | None = None) -> AdrEntry | None:
    """The ADR row for a UN number and packing group; see :func:`pick_variant` for the choice."""
    return pick_variant(adr_rows(session, un_number), packing_group)


# --- 危险化学品目录 -----------------------------------------------------------------------------


def catalogue_entries_for_cas(session: Session, cas: str) -> list[CatalogueEntry]:
    """Every catalogue row listing a CAS number, by serial (7647-01-0 is both 氯化氢 and 盐酸)."""
    number = normalise_cas(cas)
    query = (select(CatalogueEntry)
             .join(CasIndex, CasIndex.serial == CatalogueEntry.serial)
             .where(CasIndex.cas == number)
             .order_by(CatalogueEntry.serial, CatalogueEntry.id))
    # A serial can have a variant row with another CAS; keep the rows that list this one.
    return [e for e in session.scalars(query) if number in e.cas_numbers]


def catalogue_for_cas(session: Session, cas: str) -> CatalogueEntry | None:
    """The catalogue row of a CAS number with the lowest serial, or None.

    A few CAS numbers have several rows; for flags use :func:`catalogue_flags`, which combines them.
    """
    entries = catalogue_entries_for_cas(session, cas)
    return entries[0] if entries else None


def catalogue_flags(session: Session, cas: str | None) -> dict[str, bool]:
    """剧毒 / 易制爆 / high-risk for a CAS number: set if any of its catalogue rows has it."""
    number = normalise_cas(cas) if cas else ""
    return flags_of(number, catalogue_entries_for_cas(session, number) if number else [])


# --- Site products --------------------------------------------------------------------------


def pick_site_product(products: Sequence[Any], packing_group: str | None = None) -> Any | None:
    """The product that stands for a UN number among a site's active products of it.

    With a packing group, a product recorded with that group wins, then one recorded without a
    group; without a packing group, any. Ties go to the lowest product code.
    """
    ordered = sorted(products, key=lambda p: p.product_code)
    group = normalise_packing_group(packing_group)
    if group is None:
        return ordered[0] if ordered else None
    exact = [p for p in ordered if normalise_packing_group(p.packing_group) == group]
    open_group = [p for p in ordered if p.packing_group is None]
    candidates = exact or open_group
    return candidates[0] if candidates else None


def site_product(
    session: Session, site_code: str, un_number: str, packing_group: str | None = None
) -> SiteProduct | None:
    """The active site product for a UN number at a site (see :func:`pick_site_product`)."""
    query = select(SiteProduct).where(
        SiteProduct.site_code == site_code,
        SiteProduct.un_number == normalise_un(un_number),
        SiteProduct.status == "active",
    )
    product: SiteProduct | None = pick_site_product(list(session.scalars(query)), packing_group)
    return product


def compose_facts(
    un: str,
    packing_group: str | None,
    product: Any | None,
    rows: Sequence[Any],
    flags: dict[str, bool],
) -> dict[str, Any]:
    """The facts of a product from its site product, its ADR variants and its catalogue flags.

    ``un`` is normalised; ``product`` is the chosen site product (or None) and ``flags`` those of
    its CAS number (all False without one).
    """
    group = normalise_packing_group(packing_group) or (
        normalise_packing_group(product.packing_group) if product else None)
    row = pick_variant(rows, group)
    return {
        "un_number": un,
        "packing_group": group or (row.packing_group if row else None),
        "name": product.name if product else ((row.name_zh or row.name_en) if row else None),
        "adr_class": row.adr_class if row else None,
        "classification_code": row.classification_code if row else None,
        "labels": tuple(row.labels) if row else (),
        "tank_codes": tuple(row.tank_codes) if row else (),
        "tank_special_provisions": tuple(row.tank_special_provisions) if row else (),
        "portable_tank_instructions": tuple(row.portable_tank_instructions) if row else (),
        "tank_vehicle": row.tank_vehicle if row else None,
        **{flag: bool(flags.get(flag)) for flag in CATALOGUE_FLAGS},
        "sds_version": product.sds_version if product else None,
        "label_version": product.label_version if product else None,
        "carriage_prohibited": row is not None and row.status_code == STATUS_PROHIBITED,
        "known": bool(rows),
    }


def facts_at_site(
    conn: Connection,
    site_code: str,
    wanted: Sequence[tuple[str, str | None]],
    site_products: Sequence[Any] | None = None,
) -> dict[tuple[str, str | None], dict[str, Any]]:
    """What the verification needs to know about each product (UN number, packing group).

    The site product gives name, SDS and label versions and the CAS number; the CAS number gives
    the catalogue flags (False when there is no site product, no CAS or no catalogue row); UN
    number and packing group give the ADR row. ``known`` says whether ADR has the UN number at
    all; when it does but no variant has the packing group, the ADR fields are None/empty.

    Site products are read now (or given, when the caller read them in a batch: the site's active
    products of those UN numbers); ADR rows and catalogue flags come through the
    :class:`~.reference.ReferenceCache`. Keys are the requests with the UN number normalised.
    """
    keys = list(dict.fromkeys((normalise_un(un), group) for un, group in wanted))
    uns = list(dict.fromkeys(un for un, _ in keys))
    if site_products is None:
        site_products = list(conn.execute(_ACTIVE_SITE_PRODUCTS, {"site": site_code, "uns": uns}))
    by_un: dict[str, list[Any]] = {}
    for product in site_products:
        by_un.setdefault(product.un_number, []).append(product)
    chosen = {(un, group): pick_site_product(by_un.get(un, []), group) for un, group in keys}
    reference = reference_for(conn.engine)
    adr = reference.adr_rows(conn, uns)
    cas = {key: normalise_cas(p.cas) for key, p in chosen.items() if p is not None and p.cas}
    flags = reference.flags(conn, cas.values())
    return {
        (un, group): compose_facts(
            un, group, product, adr[un], flags[cas[un, group]] if (un, group) in cas else {}
        )
        for (un, group), product in chosen.items()
    }


def product_facts(
    session: Session, site_code: str, un_number: str, packing_group: str | None = None
) -> dict[str, Any]:
    """The facts of one product at a site (see :func:`facts_at_site`)."""
    session.flush()  # the read below goes through Core: pending site products must be written
    un = normalise_un(un_number)
    return facts_at_site(session.connection(), site_code, [(un, packing_group)])[
        (un, packing_group)
    ]


# --- Plain dicts for JSON and the CLI -------------------------------------------------------


def adr_entry_dict(entry: AdrEntry) -> dict[str, Any]:
    """An ADR row as JSON-ready data, with its status spelt out."""
    return {
        "un_number": entry.un_number,
        "variant": entry.variant,
        "name_zh": entry.name_zh,
        "name_en": entry.name_en,
        "name_de": entry.name_de,
        "adr_class": entry.adr_class,
        "classification_code": entry.classification_code,
        "packing_group": entry.packing_group,
        "labels": list(entry.labels),
        "portable_tank_instructions": list(entry.portable_tank_instructions),
        "tank_codes": list(entry.tank_codes),
        "tank_special_provisions": list(entry.tank_special_provisions),
        "tank_vehicle": entry.tank_vehicle,
        "transport_category": entry.transport_category,
        "tunnel_code": entry.tunnel_code,
        "hazard_number": entry.hazard_number,
        "compatibility_group": entry.compatibility_group,
        "status_code": entry.status_code,
        "carriage_prohibited": entry.status_code == STATUS_PROHIBITED,
        "subject_to_adr": entry.status_code != STATUS_NOT_SUBJECT,
        "remark": entry.remark,
    }


def catalogue_entry_dict(entry: CatalogueEntry) -> dict[str, Any]:
    """A catalogue row as JSON-ready data."""
    return {
        "serial": entry.serial,
        "name": entry.name,
        "alias": entry.alias,
        "cas_numbers": list(entry.cas_numbers),
        "highly_toxic": entry.highly_toxic,
        "explosive_precursor": entry.explosive_precursor,
        "precursor_serial": entry.precursor_serial,
        "high_risk": entry.high_risk,
    }
