"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import json
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy import text

from gate_service import create_app
from gate_service.migrate import upgrade
from gate_service.models import Base


def test_migrated_database_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()


def test_tanks_on_file_before_0002_list_no_special_provisions(tmp_path: Path) -> None:
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'old.db'}"})
    with app.app_context():
        upgrade("0001")
        engine = app.extensions["gate.engine"]
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO tanks (tank_no, kind, media, status, version, created_at, updated_at)"
                " VALUES ('TK-OLD', 'tank_container', '[]', 'active', 1,"
                " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        upgrade("0002")
        with engine.connect() as conn:
            provisions = conn.execute(text(
                "SELECT special_provisions FROM tanks WHERE tank_no = 'TK-OLD'")).scalar_one()
        assert json.loads(provisions) == []
        engine.dispose()
