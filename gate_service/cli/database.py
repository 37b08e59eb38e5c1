"""``gate-service db upgrade|current`` and ``init-db``: the schema, by Alembic migrations."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..migrate import current_revision
from ..migrate import upgrade


@click.group("db")
def db_group() -> None:
    """Database schema migrations."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    upgrade(revision)
    click.echo(f"database at {current_revision()}")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Print the database's migration revision."""
    click.echo(current_revision() or "empty (run: gate-service db upgrade)")


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Migrate to the newest schema and load the product master (both idempotent)."""
    from ..db import new_session
    from ..products.loader import load_products

    upgrade("head")
    with new_session() as session, session.begin():
        stats = load_products(session)
    click.echo(f"database at {current_revision()}; products: {stats}")
