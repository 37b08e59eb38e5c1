"""``gate-service relay`` and ``alerts expiring|chain``: publish the outbox, queue alerts."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import new_session
from ..db import writing
from ..decisions.chain import sites_with_chains
from ..decisions.chain import verify_site
from ..relay.alerts import expiring_groups
from ..relay.alerts import queue_chain_broken
from ..relay.alerts import queue_expiring
from ..relay.relay import RelayConfig
from ..relay.startup import build_relay


@click.command("relay")
@click.option("--scans/--no-scans", default=True, show_default=True,
              help="also decide the scans fixed scanners send over MQTT")
@click.option("--poll", default=0.1, show_default=True, type=click.FloatRange(0.01, 60),
              help="seconds between looks at the outbox when it is empty")
@click.option("--log-every", default=60.0, show_default=True, type=click.FloatRange(1),
              help="seconds between status lines in the log")
@with_appcontext
def relay_command(scans: bool, poll: float, log_every: float) -> None:
    """Publish committed outbox events to the MQTT broker until stopped (SIGTERM or Ctrl-C)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    relay = build_relay(app, scans=scans,
                        config=RelayConfig(poll_interval=poll, log_every=log_every)).start()
    stop = threading.Event()

    def _stop(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stop.wait(1.0):
        pass
    relay.stop()


@click.group("alerts")
def alerts_group() -> None:
    """Queue alerts for ``<prefix>/<site>/alerts``; the relay publishes them."""


@alerts_group.command("expiring")
@click.option("--within", "within_days", default=30, show_default=True,
              type=click.IntRange(0, 3650))
@click.option("--site", help="only this site")
@with_appcontext
def expiring_alerts_command(within_days: int, site: str | None) -> None:
    """One alert per site and enterprise listing credentials expired or expiring within N days."""
    prefix = current_app.extensions["gate"].mqtt_topic_prefix
    with new_session() as session, writing(session):
        groups = expiring_groups(session, within_days, site)
        for group in groups:
            queue_expiring(session, group, prefix=prefix, within_days=within_days)
    for group in groups:
        expired = sum(1 for i in group.items if i.expired)
        click.echo(f"{group.site}  {group.enterprise} {group.enterprise_name or ''}: "
                   f"{len(group.items)} item(s), {expired} expired")
    click.echo(f"{len(groups)} alert(s) queued")


@alerts_group.command("chain")
@click.option("--site", help="only this site's chain")
@with_appcontext
def chain_alerts_command(site: str | None) -> None:
    """Verify every decision chain; queue a chain_broken alert per broken site (exit 1 if any)."""
    settings = current_app.extensions["gate"]
    with new_session() as session:
        codes = [site] if site else sites_with_chains(session)
        reports = [verify_site(session, code, settings.secret_key) for code in codes]
    broken = [r for r in reports if not r.ok]
    if broken:
        with new_session() as session, writing(session):
            for report in broken:
                queue_chain_broken(session, report, prefix=settings.mqtt_topic_prefix)
    for report in reports:
        click.echo(report.describe())
    if not reports:
        click.echo("no decisions logged yet")
    if broken:
        click.echo(f"{len(broken)} chain_broken alert(s) queued", err=True)
        sys.exit(1)
