"""The ``gate-service`` command line."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

from ..settings import SettingsError


def _make_app(*_: Any) -> Flask:
    from .. import create_app

    try:
        return create_app()
    except SettingsError as err:
        raise click.ClickException(str(err)) from err


@click.group(
    cls=FlaskGroup,
    create_app=_make_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)
def main() -> None:
    """Loading-gate verification service."""


def _register() -> None:
    from .audit import audit_group
    from .audit import rules_group
    from .config import check_config
    from .database import db_group
    from .database import init_db
    from .demo import seed_demo
    from .expiring import expiring_command
    from .products import products_group
    from .records import export_command
    from .records import import_command
    from .relay import alerts_group
    from .relay import relay_command
    from .serve import serve
    from .tokens import create_token

    for command in (
        check_config,
        db_group,
        init_db,
        expiring_command,
        export_command,
        import_command,
        serve,
        create_token,
        seed_demo,
        products_group,
        audit_group,
        rules_group,
        relay_command,
        alerts_group,
    ):
        main.add_command(command)


_register()
