"""`rules` is pure: importing it pulls in no framework, and evaluating does no I/O."""

from __future__ import annotations

import builtins
import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rules import evaluate
from rules import load_profile
from tests.rules.factory import make_context

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("flask", "sqlalchemy", "paho", "cv2", "numpy", "gate_service", "gate_client")

PROBE = """
import importlib, json, pkgutil, sys
import rules
names = [m.name for m in pkgutil.walk_packages(rules.__path__, "rules.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": sorted(sys.modules), "imported": names}))
"""


def test_importing_every_rules_module_pulls_in_no_framework() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    report = json.loads(result.stdout)
    assert "rules.registry" in report["imported"] and "rules.checks.tank" in report["imported"]
    loaded = {name.split(".")[0] for name in report["modules"]}
    assert not loaded & set(FORBIDDEN), sorted(loaded & set(FORBIDDEN))


def test_evaluate_does_no_io(monkeypatch: pytest.MonkeyPatch) -> None:
    load_profile("cn-2019")  # loading the profile may read the package; evaluating may not
    ctx = make_context()

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("I/O during evaluation")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(socket, "socket", refuse)
    assert evaluate(ctx).outcome == "ALLOW"
