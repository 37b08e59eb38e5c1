"""``gate-service audit verify|replay`` and ``rules show``: check the log, replay, show profiles."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

import rules

from ..db import new_session
from ..decisions import audit
from ..decisions import chain
from ..errors import GateError


@click.group("audit")
def audit_group() -> None:
    """Verify and replay the decision log."""


@audit_group.command("verify")
@click.option("--site", help="only this site's chain")
@with_appcontext
def verify_command(site: str | None) -> None:
    """Recompute every hash chain; name the first broken row (exit 1 if any)."""
    secret = current_app.extensions["gate"].secret_key
    broken = False
    with new_session() as session:
        sites = [site] if site else chain.sites_with_chains(session)
        for code in sites:
            report = chain.verify_site(session, code, secret)
            click.echo(report.describe())
            broken |= not report.ok
    if not sites:
        click.echo("no decisions logged yet")
    if broken:
        sys.exit(1)


@audit_group.command("replay")
@click.argument("decision_id")
@with_appcontext
def replay_command(decision_id: str) -> None:
    """Re-evaluate a decision from its stored inputs under its recorded profile version."""
    with new_session() as session:
        try:
            result = audit.replay(session, decision_id)
        except GateError as err:
            raise click.ClickException(err.message) from err
    click.echo(f"decision {result.decision_id} (ruleset {result.ruleset_version})")
    click.echo(f"recorded: {result.recorded} {', '.join(result.recorded_codes)}")
    click.echo(f"replayed: {result.replayed} {', '.join(result.replayed_codes)}")
    click.echo("same outcome" if result.same else "DIFFERENT outcome")
    if not result.same:
        sys.exit(1)


@click.group("rules")
def rules_group() -> None:
    """Rule-set profiles."""


@rules_group.command("show")
@click.argument("profile", required=False)
def show_command(profile: str | None) -> None:
    """Print a profile (default: the service default) with its checks, severities and version."""
    name = profile or rules.DEFAULT_PROFILE
    try:
        loaded = rules.load_profile(name)
    except rules.ProfileError as err:
        raise click.ClickException(str(err)) from err
    click.echo(rules.show_profile(loaded))


@rules_group.command("list")
def list_command() -> None:
    """The bundled profiles."""
    for name in rules.available_profiles():
        click.echo(f"{name}  {rules.load_profile(name).version}")
