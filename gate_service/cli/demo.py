"""``gate-service seed-demo``: import the sample pre-load files shipped with the service."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..auth import Caller
from ..auth import issue_token
from ..db import new_session
from ..db import writing
from ..records.importer import import_table
from ..records.registry import RESOURCES
from ..records.tabular import read_table

SAMPLE = Path(__file__).resolve().parent.parent / "sample"
ORDER = (
    "organisations",
    "sites",
    "site_products",
    "carriers",
    "vehicles",
    "tanks",
    "persons",
    "waybills",
    "permits",
    "blacklist",
)


def seed_sample() -> dict[str, dict[str, int]]:
    """Import every sample file as admin; returns the per-resource import counts."""
    caller = Caller("seed-demo", "admin")
    counts: dict[str, dict[str, int]] = {}
    with new_session() as session, writing(session):
        for name in ORDER:
            res = RESOURCES[name]
            table = read_table(res, (SAMPLE / f"{name}.csv").read_bytes(), "csv")
            report = import_table(session, res, table, caller)
            counts[name] = {k: v for k, v in report.as_dict().items() if k != "errors"}
    return counts


@click.command("seed-demo")
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="also issue an operator token for site JMS01 and write it here",
)
@with_appcontext
def seed_demo(token_file: Path | None) -> None:
    """Import the sample pre-load files (site JMS01); running it again changes nothing."""
    for name, count in seed_sample().items():
        click.echo(f"{name:<14} {count}")
    if token_file:
        with new_session() as session, session.begin():
            token = issue_token(
                session, name="demo-gate-JMS01-G1", role="operator", site_code="JMS01"
            )
        token_file.write_text(token + "\n", encoding="utf-8")
        token_file.chmod(0o600)
        click.echo(f"operator token for JMS01 written to {token_file}")
