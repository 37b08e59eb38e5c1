"""The loading-gate verification service: a Flask application factory."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from .settings import Settings
from .settings import load_settings

# Flask's own keys that a test may pass beside the service settings.
FLASK_KEYS = {"TESTING", "DEBUG", "SERVER_NAME"}


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Create the service: settings, database, API blueprints, error handlers.

    :param overrides: settings that win over the instance file and the environment
        (tests pass the database URL here); Flask keys such as ``TESTING`` go to ``app.config``.
    :raises SettingsError: when a setting is unknown or invalid.
    """
    app = Flask(__name__, instance_relative_config=True)
    overrides = dict(overrides or {})
    app.config.update({k: overrides.pop(k) for k in list(overrides) if k in FLASK_KEYS})
    instance = Path(app.instance_path)
    settings = load_settings(instance, overrides)
    if settings.database_url.startswith("sqlite") and "instance" in settings.database_url:
        instance.mkdir(parents=True, exist_ok=True)
    app.config["SECRET_KEY"] = settings.secret_key
    app.config["MAX_CONTENT_LENGTH"] = settings.import_max_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["gate"] = settings
    logging.basicConfig(level=settings.log_level)

    from . import db
    from .api import register_blueprints
    from .errors import register_error_handlers

    db.init_app(app, settings.database_url)
    register_error_handlers(app)
    register_blueprints(app)
    return app


def get_settings(app: Flask) -> Settings:
    """The validated settings of an app."""
    settings: Settings = app.extensions["gate"]
    return settings
