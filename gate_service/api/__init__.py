"""API blueprints."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint of the service."""
    from . import expiring
    from . import health
    from . import openapi
    from . import products
    from . import records

    app.register_blueprint(health.bp)
    app.register_blueprint(records.bp)
    app.register_blueprint(expiring.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(products.bp)
