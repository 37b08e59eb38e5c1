"""Run the Alembic migrations shipped in the package against the app's database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from .db import get_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migrations and the app's engine."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = get_engine()
    return cfg


def upgrade(revision: str = "head") -> None:
    """Migrate the database (idempotent)."""
    command.upgrade(alembic_config(), revision)


def current_revision() -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    with get_engine().connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
