"""``gate-service check-config``: validate the settings and show them."""

from __future__ import annotations

from dataclasses import asdict

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("check-config")
@with_appcontext
def check_config() -> None:
    """Validate the settings (defaults, instance/gate.toml, GATE_*) and print them."""
    settings = asdict(current_app.extensions["gate"])
    for key in ("mqtt_password", "secret_key"):
        if settings.get(key):
            settings[key] = "***"
    for key, value in settings.items():
        click.echo(f"{key} = {value}")
    click.echo("settings OK")
