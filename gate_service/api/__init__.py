"""API blueprints."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint of the service."""
    from . import audit
    from . import codes
    from . import expiring
    from . import health
    from . import openapi
    from . import products
    from . import records
    from . import relay
    from . import verifications

    app.register_blueprint(health.bp)
    app.register_blueprint(records.bp)
    app.register_blueprint(expiring.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(products.bp)
    app.register_blueprint(verifications.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(codes.bp)
    app.register_blueprint(relay.bp)
