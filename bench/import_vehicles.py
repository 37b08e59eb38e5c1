"""Time a bulk import of generated vehicles from XLSX through the command line (with progress bar).

Usage: python bench/import_vehicles.py [--rows 10000] [--database-url URL]
Prints the wall time of the first import and of the re-import (which must change nothing), and
their ratio to a baseline measured in the same run: reading the same workbook with openpyxl alone.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.factories import CARRIER  # noqa: E402


def make_workbook(path: Path, rows: int) -> None:
    """Write ``rows`` valid vehicles with Chinese headers."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("vehicles")
    sheet.append(
        [
            "车牌号",
            "车辆类型",
            "承运人统一社会信用代码",
            "核定载质量(kg)",
            "行驶证检验有效期至",
            "道路运输证号",
            "道路运输证有效期至",
            "道路运输证经营范围",
        ]
    )
    provinces = "黑吉辽京津冀鲁豫苏浙"
    for i in range(rows):
        plate = f"{provinces[i % 10]}{'ABCDEFGHJK'[i // 10 % 10]}{i // 100:05d}"
        sheet.append(
            [
                plate,
                "tractor",
                CARRIER,
                30000 + i % 5000,
                "2030-05",
                f"P{i:08d}",
                "2030-06-30",
                "2;3;8",
            ]
        )
    book.save(path)


def gate(url: str, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "gate_service", *args],
        check=True,
        env={**os.environ, "GATE_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        xlsx = Path(tmp) / "vehicles.xlsx"
        make_workbook(xlsx, args.rows)
        gate(url, "init-db")
        start = time.perf_counter()
        rows = sum(
            1 for _ in load_workbook(xlsx, read_only=True).active.iter_rows(values_only=True)
        )
        baseline = time.perf_counter() - start
        first = gate(url, "import", "vehicles", str(xlsx))
        again = gate(url, "import", "vehicles", str(xlsx))
    print(f"rows: {rows - 1}  database: {url.split(':')[0]}")
    print(f"openpyxl read alone: {baseline:6.2f} s")
    print(
        f"first import:        {first:6.2f} s  ({first / baseline:4.1f}x the read, "
        f"{(rows - 1) / first:,.0f} rows/s)"
    )
    print(f"re-import (no-op):   {again:6.2f} s  ({again / baseline:4.1f}x the read)")


if __name__ == "__main__":
    main()
