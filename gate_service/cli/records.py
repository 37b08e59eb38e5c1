"""``gate-service import`` and ``export``: pre-load files from and to CSV or XLSX."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from ..auth import Caller
from ..db import new_session
from ..db import writing
from ..errors import GateError
from ..records import service
from ..records.importer import ImportRejected
from ..records.importer import import_table
from ..records.registry import RESOURCES
from ..records.tabular import detect_format
from ..records.tabular import read_table
from ..records.tabular import write_table


def _caller(enterprise: str | None) -> Caller:
    import getpass

    user = getpass.getuser()
    if enterprise:
        return Caller(f"cli:{user}", "enterprise", enterprise_uscc=enterprise)
    return Caller(f"cli:{user}", "admin")


@click.command("import")
@click.argument("resource", type=click.Choice(sorted(RESOURCES)))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--partial", is_flag=True, help="write the good rows even if some are bad")
@click.option("--dry-run", is_flag=True, help="validate and count, write nothing")
@click.option("--enterprise", help="import as this organisation (USCC) instead of as admin")
@with_appcontext
def import_command(
    resource: str, path: Path, partial: bool, dry_run: bool, enterprise: str | None
) -> None:
    """Import PATH (CSV or XLSX, English or Chinese headers) into RESOURCE."""
    res = RESOURCES[resource]
    try:
        table = read_table(res, path.read_bytes(), detect_format(path.name, None))
    except GateError as err:
        raise click.ClickException(
            f"{err.message}: {json.dumps(err.errors, ensure_ascii=False)}"
        ) from err
    with (
        new_session() as session,
        tqdm(
            total=len(table.rows), unit="row", file=sys.stderr, desc=f"checking {resource}"
        ) as bar,
    ):

        def progress(phase: str, rows: int) -> None:
            if phase == "write" and not bar.desc.startswith("writing"):
                bar.reset()
                bar.set_description(f"writing {resource}")
            bar.update(rows)

        try:
            with writing(session):
                report = import_table(
                    session,
                    res,
                    table,
                    _caller(enterprise),
                    all_or_nothing=not partial,
                    dry_run=dry_run,
                    progress=progress,
                )
        except ImportRejected as err:
            bar.close()
            for row in err.report.errors:
                click.echo(
                    f"row {row['row']}: {json.dumps(row['errors'], ensure_ascii=False)}", err=True
                )
            raise click.ClickException(err.message) from err
        except GateError as err:
            raise click.ClickException(
                f"{err.message} {json.dumps(err.errors, ensure_ascii=False)}"
            ) from err
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False))


@click.command("export")
@click.argument("resource", type=click.Choice(sorted(RESOURCES)))
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@with_appcontext
def export_command(resource: str, path: Path, lang: str) -> None:
    """Write every active record of RESOURCE to PATH (.csv or .xlsx)."""
    res = RESOURCES[resource]
    fmt = detect_format(path.name, None)
    with new_session() as session:
        rows, _ = service.list_records(
            session, res, {}, page=1, per_page=10**9, caller=_caller(None)
        )
        path.write_bytes(write_table(res, [service.snapshot(res, r) for r in rows], fmt, lang))
    click.echo(f"{len(rows)} {resource} written to {path}")
