"""Fixtures: a migrated database with the product master (SQLite, or PostgreSQL), app, tokens."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine
from sqlalchemy import text

from gate_service import create_app
from gate_service.auth import issue_token
from gate_service.db import new_session
from gate_service.migrate import upgrade
from gate_service.models import Base
from tests import factories as f

# Tables that migrations and the product master fill once per test session.
KEPT_TABLES = {"adr_entries", "catalogue_entries", "catalogue_cas", "alembic_version"}
BACKEND = os.environ.get("LOADGATE_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get(
    "LOADGATE_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1/postgres"
)


def _prepare(url: str) -> None:
    from gate_service.products.loader import load_products

    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        upgrade("head")
        with new_session() as session, session.begin():
            load_products(session)
        app.extensions["gate.engine"].dispose()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database holding the product master, made once per test session."""
    if BACKEND == "postgresql":
        name = f"gate_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        _prepare(url)
        yield url
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        return
    path = tmp_path_factory.mktemp("template") / "gate.db"
    _prepare(f"sqlite:///{path}")
    yield str(path)


@pytest.fixture
def database_url(template_db: str, tmp_path: Path) -> str:
    """A database for one test: a copy of the template (SQLite) or the template emptied (PG)."""
    if BACKEND == "postgresql":
        engine = create_engine(template_db)
        tables = [t.name for t in Base.metadata.sorted_tables if t.name not in KEPT_TABLES]
        with engine.begin() as conn:
            # Fail loudly, not hang, if a connection of the previous test still holds a lock.
            conn.execute(text("SET LOCAL lock_timeout = '30s'"))
            conn.execute(
                text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                )
            )
        engine.dispose()
        return template_db
    path = tmp_path / "gate.db"
    shutil.copyfile(template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """The service on a fresh database."""
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    yield app
    app.extensions["gate.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture
def tokens(app: Flask) -> dict[str, str]:
    """One token per role (enterprise = the carrier; enterprise2 = another carrier)."""
    specs: dict[str, dict[str, Any]] = {
        "admin": {"role": "admin"},
        "enterprise": {"role": "enterprise", "enterprise_uscc": f.CARRIER},
        "enterprise2": {"role": "enterprise", "enterprise_uscc": f.OTHER_CARRIER},
        "plant": {"role": "enterprise", "enterprise_uscc": f.PLANT},
        "operator": {"role": "operator", "site_code": "JMS01"},
        "supervisor": {"role": "supervisor", "site_code": "JMS01"},
        "regulator": {"role": "regulator"},
    }
    out = {}
    with app.app_context(), new_session() as session, session.begin():
        for name, spec in specs.items():
            out[name] = issue_token(session, name=f"test-{name}", **spec)
    return out


@pytest.fixture
def auth(tokens: dict[str, str]) -> Any:
    """``auth("admin")`` → the Authorization header of that role's token."""
    return lambda role: {"Authorization": f"Bearer {tokens[role]}"}


@pytest.fixture
def demo(app: Flask) -> None:
    """The sample pre-load files of site JMS01 (gate_service/sample)."""
    from gate_service.cli.demo import seed_sample

    with app.app_context():
        seed_sample()
