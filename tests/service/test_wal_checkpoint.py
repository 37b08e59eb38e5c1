"""SQLite's WAL is checkpointed by a background thread, not by whichever request commits."""

from __future__ import annotations

import time
from pathlib import Path

from gate_service import create_app
from gate_service.db import get_engine_of
from gate_service.db import start_wal_checkpointer


def test_the_checkpointer_copies_the_wal_into_the_database(tmp_path: Path) -> None:
    path = tmp_path / "gate.db"
    app = create_app({"DATABASE_URL": f"sqlite:///{path}"})
    checkpointer = start_wal_checkpointer(app, interval=0.1)
    assert checkpointer is not None
    engine = get_engine_of(app)
    try:
        with engine.begin() as conn:
            # Connections leave checkpoints to the thread...
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
            conn.exec_driver_sql("CREATE TABLE t (x TEXT)")
            conn.exec_driver_sql("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 500)
        # ...so only the thread can bring the 500 kB of rows from the WAL into the file.
        deadline = time.monotonic() + 10
        while path.stat().st_size < 500_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size >= 500_000
    finally:
        checkpointer.stop()
        checkpointer.join(timeout=5)
        engine.dispose()
    assert not checkpointer.is_alive()


def test_no_checkpointer_for_an_in_memory_database() -> None:
    app = create_app({"DATABASE_URL": "sqlite://"})
    assert start_wal_checkpointer(app) is None
