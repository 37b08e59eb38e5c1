"""``gate-service products load|show``: the product master from the shipped data files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session
from tqdm import tqdm

from rules.identifiers import IdentifierError
from rules.identifiers import check_un_number

from ..db import new_session
from ..models import AdrEntry
from ..models import SiteProduct
from ..products.loader import LOAD_STEPS
from ..products.loader import ProductDataError
from ..products.loader import load_products
from ..products.lookup import STATUS_NOT_SUBJECT
from ..products.lookup import STATUS_PROHIBITED
from ..products.lookup import adr_rows
from ..products.lookup import catalogue_flags
from ..products.lookup import catalogue_for_cas

STATUS_TEXT = {STATUS_PROHIBITED: "禁止运输 / carriage prohibited",
               STATUS_NOT_SUBJECT: "不受 ADR 限制 / not subject to ADR"}
FLAG_TEXT = {"highly_toxic": "剧毒", "explosive_precursor": "易制爆", "high_risk": "重点管控"}


@click.group("products")
def products_group() -> None:
    """The product master: ADR Table A, 危险化学品目录（2015版）and 易制爆名录（2017年版）."""


@products_group.command("load")
@click.option("--data-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="folder holding adr/ and cn/ (default: the data shipped in rules/data)")
@with_appcontext
def load_command(data_dir: Path | None) -> None:
    """Load or refresh the product master (idempotent: only changed rows are written)."""
    with new_session() as session, tqdm(total=LOAD_STEPS, unit="step", file=sys.stderr,
                                        desc="products") as bar:

        def step(description: str) -> None:
            bar.set_description(description)
            bar.update(1)

        # Take SQLite's write lock at BEGIN, so a concurrent writer queues instead of failing.
        session.connection(execution_options={"gate_write": True})
        try:
            stats = load_products(session, data_dir, progress=step)
        except ProductDataError as err:
            session.rollback()
            raise click.ClickException(str(err)) from err
        session.commit()
    click.echo(json.dumps(stats.as_dict()))


@products_group.command("show")
@click.argument("un_number")
@with_appcontext
def show_command(un_number: str) -> None:
    """Print the ADR rows of UN_NUMBER and the site products (with catalogue names) loading it."""
    try:
        un = check_un_number(un_number)
    except IdentifierError as err:
        raise click.BadParameter(str(err), param_hint="UN_NUMBER") from err
    with new_session() as session:
        rows = adr_rows(session, un)
        if not rows:
            raise click.ClickException(f"ADR 表中无 UN {un} / UN {un} is not in ADR Table A")
        for row in rows:
            click.echo(_adr_text(row))
        _echo_site_products(session, un)


def _adr_text(row: AdrEntry) -> str:
    tanks = " ".join(row.tank_codes) or "-"
    special = " ".join(row.tank_special_provisions)
    provisions = f" ({special})" if special else ""
    status = f"  [{STATUS_TEXT[row.status_code]}]" if row.status_code in STATUS_TEXT else ""
    return (
        f"UN{row.un_number}/{row.variant}  {row.name_zh or '—'}  {row.name_en or row.name_de}\n"
        f"    class {row.adr_class} {row.classification_code or ''}  "
        f"PG {row.packing_group or '-'}  labels {' '.join(row.labels) or '-'}  "
        f"tank {tanks}{provisions}  vehicle {row.tank_vehicle or '-'}  "
        f"category {row.transport_category or '-'} ({row.tunnel_code or '-'})  "
        f"hazard no. {row.hazard_number or '-'}{status}"
    )


def _echo_site_products(session: Session, un: str) -> None:
    query = (select(SiteProduct)
             .where(SiteProduct.un_number == un, SiteProduct.status == "active")
             .order_by(SiteProduct.site_code, SiteProduct.product_code))
    for product in session.scalars(query):
        entry = catalogue_for_cas(session, product.cas) if product.cas else None
        flags = catalogue_flags(session, product.cas)
        marks = " ".join(FLAG_TEXT[flag] for flag, on in flags.items() if on)
        catalogue = (f"目录 {entry.serial} {entry.name}" if entry
                     else "目录中无此 CAS / CAS not in catalogue")
        click.echo(f"  site {product.site_code}/{product.product_code}  {product.name}  "
                   f"CAS {product.cas or '-'}  PG {product.packing_group or '-'}  "
                   f"{catalogue}  {marks}")
