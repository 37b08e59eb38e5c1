"""``gate-service create-token``: issue an API token for a role."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..auth import issue_token
from ..db import new_session
from ..models import ROLES


@click.command("create-token")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", required=True, help="who or what holds the token")
@click.option("--site", "site_code", help="site code (operator, supervisor)")
@click.option("--enterprise", "enterprise_uscc", help="organisation USCC (enterprise)")
@with_appcontext
def create_token(role: str, name: str, site_code: str | None, enterprise_uscc: str | None) -> None:
    """Create a token and print it; it is stored hashed and cannot be shown again."""
    with new_session() as session, session.begin():
        try:
            token = issue_token(
                session, name=name, role=role, site_code=site_code, enterprise_uscc=enterprise_uscc
            )
        except ValueError as err:
            raise click.UsageError(str(err)) from err
    click.echo(token)
