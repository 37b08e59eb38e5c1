"""``gate-service expiring``: credentials expired or expiring soon, by owner."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import new_session
from ..records.expiry import expiring
from ..records.expiry import local_today


@click.command("expiring")
@click.option(
    "--within", "within_days", default=30, show_default=True, type=click.IntRange(0, 3650)
)
@click.option("--enterprise", help="only this organisation's records (USCC)")
@with_appcontext
def expiring_command(within_days: int, enterprise: str | None) -> None:
    """List every certificate, permit and inspection expired or expiring within N days."""
    today = local_today(current_app.extensions["gate"].timezone)
    with new_session() as session:
        items = sorted(
            expiring(session, today, within_days, enterprise),
            key=lambda e: (e.owner or "", e.valid_until),
        )
    owner = None
    for item in items:
        if item.owner != owner:
            owner = item.owner
            click.echo(f"\n{owner or '(no owner)'}")
        state = (
            "已过期 expired" if item.expired else f"{item.days_left} 天后到期 in {item.days_left} d"
        )
        click.echo(
            f"  {item.valid_until}  {state:<22} {item.what} / {item.what_en}  "
            f"{item.resource}:{item.key} {item.name}"
        )
    click.echo(f"\n{len(items)} item(s) expired or expiring within {within_days} days of {today}")
