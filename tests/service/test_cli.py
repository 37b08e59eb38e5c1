"""The gate-service command line, run as a user would, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests import factories as f
from tests.service.cli import gate

pytestmark = pytest.mark.usefixtures("database_url")


def test_check_config_names_a_misspelt_key(database_url: str) -> None:
    good = gate(database_url, "check-config")
    assert "settings OK" in good.stdout
    bad = gate(database_url, "check-config", env={"GATE_TIMEZNE": "UTC"}, ok=False)
    assert bad.returncode != 0 and "timezne" in bad.stderr and "unknown setting" in bad.stderr


def test_db_upgrade_is_idempotent(database_url: str) -> None:
    assert "database at 0002" in gate(database_url, "db", "upgrade").stdout


def test_create_token_roles(database_url: str) -> None:
    token = gate(
        database_url, "create-token", "--role", "operator", "--site", "JMS01", "--name", "gate G1"
    ).stdout.strip()
    assert token.startswith("lg_") and len(token) > 40
    bad = gate(database_url, "create-token", "--role", "operator", "--name", "x", ok=False)
    assert bad.returncode != 0 and "--site" in bad.stderr


def test_import_xlsx_with_progress_then_export(database_url: str, tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["车牌号", "车辆类型", "承运人统一社会信用代码", "核定载质量(kg)"])
    for i in range(300):
        book.active.append([f"黑D{i:05d}", "tractor", f.CARRIER, 30000])
    path = tmp_path / "vehicles.xlsx"
    book.save(path)
    proc = gate(database_url, "import", "vehicles", str(path))
    assert '"created": 300' in proc.stdout
    assert "row" in proc.stderr and "300/300" in proc.stderr  # the progress bar
    again = gate(database_url, "import", "vehicles", str(path))
    assert '"unchanged": 300' in again.stdout
    out = tmp_path / "out.csv"
    assert (
        "300 vehicles" in gate(database_url, "export", "vehicles", str(out), "--lang", "zh").stdout
    )
    assert out.read_text(encoding="utf-8-sig").startswith("维护企业,车牌号")


def test_import_rejects_bad_file_naming_rows(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text("plate,kind\n黑D00001,tractor\n黑I00002,tractor\n", encoding="utf-8")
    proc = gate(database_url, "import", "vehicles", str(path), ok=False)
    assert proc.returncode != 0
    assert "row 3" in proc.stderr and "plate" in proc.stderr


def test_seed_demo_is_idempotent_and_expiring_lists(database_url: str, tmp_path: Path) -> None:
    first = gate(database_url, "seed-demo", "--token-file", str(tmp_path / "tok"))
    assert "'created': 4" in first.stdout  # vehicles
    assert (tmp_path / "tok").read_text().startswith("lg_")
    second = gate(database_url, "seed-demo")
    assert "'created': 0" in second.stdout and "'updated': 0" in second.stdout
    listing = gate(database_url, "expiring", "--within", "30").stdout
    assert "TK-0002" in listing and "已过期" in listing


def test_serve_runs_gunicorn(database_url: str) -> None:
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gate_service", "serve", "--port", str(port), "--workers", "1"],
        env={**os.environ, "GATE_DATABASE_URL": database_url},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.3)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert "gunicorn" in output.lower() or "Booting worker" in output
