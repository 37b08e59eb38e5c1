"""End to end: generated videos through `gate-client scan --video --headless` into the service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.client.media import visit_video
from tests.live import call
from tests.live import serve
from tests.service.visits import BAD_SCANS
from tests.service.visits import GOOD_SCANS

pytestmark = pytest.mark.usefixtures("demo")
CHECKS = ["--check", "grounding", "--check", "no_leaks", "--check", "placards"]


def gate_client(args: list[str], env: dict[str, str], timeout: float = 120
                ) -> subprocess.CompletedProcess[str]:
    """Run the installed console script (or the module where the script is not installed)."""
    script = Path(sys.executable).with_name("gate-client")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "gate_client"]
    return subprocess.run(command + args, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def client_env(url: str, token: str, spool: Path, **extra: str) -> dict[str, str]:
    """The process environment with the gate client's settings as GATE_CLIENT_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATE_CLIENT_")}
    env.update({"GATE_CLIENT_SERVICE_URL": url, "GATE_CLIENT_TOKEN": token,
                "GATE_CLIENT_SITE": "JMS01", "GATE_CLIENT_GATE": "G1",
                "GATE_CLIENT_SPOOL": str(spool), "GATE_CLIENT_LOG_LEVEL": "WARNING"})
    env.update({f"GATE_CLIENT_{k.upper()}": v for k, v in extra.items()})
    return env


def decisions(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert result.stdout.strip(), result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_video_of_a_good_visit_is_allowed(app: Flask, tokens: dict[str, str],
                                          tmp_path: Path) -> None:
    clip = visit_video(tmp_path / "good.avi", GOOD_SCANS, photos=2)
    assert clip.photo_texts, "no real photo found under tests/data/barcodes/zxing/qrcode-*"
    with serve(app) as url:
        env = client_env(url, tokens["operator"], tmp_path / "spool.db")
        result = gate_client(["scan", "--video", str(clip.path), "--headless",
                              "--load-un", "1203", "--load-kg", "18000", *CHECKS], env)
        assert result.returncode == 0, result.stderr
        lines = decisions(result)
        # One visit, one decision: each code was read in several frames but counts once.
        assert len(lines) == 1, lines
        (decision,) = lines
        assert decision["outcome"] == "ALLOW" and decision["live"] is True
        assert decision["barrier"] == "may_open" and decision["spooled"] is True
        assert decision["resolved"]["vehicle"] == "黑D12345"
        assert decision["resolved"]["trailer"] == "黑D6789挂"
        # The real photos' code was read too, and sent as read (the service lists it).
        assert {u["text"] for u in decision["unrecognised"]} == set(clip.photo_texts)
        status, logged = call("GET", f"{url}/api/v1/decisions/{decision['decision_id']}",
                              tokens["admin"])
        assert status == 200 and logged["outcome"] == "ALLOW"
        sent = logged["inputs"]["scans"]
        assert len(sent) == len(GOOD_SCANS) + len(set(clip.photo_texts))
        load = logged["inputs"]["load"]
        assert (load["un_number"], load["quantity_kg"]) == ("1203", 18000.0)


def test_video_of_a_bad_visit_is_refused_with_reasons(app: Flask, tokens: dict[str, str],
                                                      tmp_path: Path) -> None:
    clip = visit_video(tmp_path / "bad.avi", BAD_SCANS, photos=0)
    with serve(app) as url:
        env = client_env(url, tokens["operator"], tmp_path / "spool.db")
        result = gate_client(["scan", "--video", str(clip.path), "--headless", *CHECKS], env)
    assert result.returncode == 0, result.stderr
    (decision,) = decisions(result)
    assert decision["outcome"] == "REFUSE" and decision["barrier"] == "closed"
    assert decision["message"] == "禁止装货"
    codes = {r["code"] for r in decision["reasons"]}
    assert {"TANK_INSPECTION_EXPIRED", "ESCORT_CERT_EXPIRED", "VEHICLE_PERMIT_EXPIRED"} <= codes
    tank = next(r for r in decision["reasons"] if r["code"] == "TANK_INSPECTION_EXPIRED")
    assert "罐体检验已过期" in tank["message"] and tank["message_en"]
