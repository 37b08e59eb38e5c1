"""Run the gate-service command line as a user would: in a subprocess, on a given database."""

from __future__ import annotations

import os
import subprocess
import sys


def gate(
    database_url: str,
    *args: str,
    env: dict[str, str] | None = None,
    ok: bool = True,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``gate-service ARGS`` with ``GATE_DATABASE_URL`` set; with ``ok``, it must exit 0."""
    full_env = {**os.environ, "GATE_DATABASE_URL": database_url, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "gate_service", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )
    if ok:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc
