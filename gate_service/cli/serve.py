"""``gate-service serve``: run the service under gunicorn (or Flask's server where it is absent)."""

from __future__ import annotations

import gc
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API (and, with ``relay_enabled``, the MQTT outbox relay in this process)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.extensions["gate"].relay_enabled:
        # Only the serving process relays: other commands build the app too, and one relay per
        # database is enough. It runs in gunicorn's master, so forked workers do not copy it.
        from ..relay import start_relay

        start_relay(app)
    # Like the relay, in the master: one checkpointer per database, and workers' commits skip it.
    from ..db import start_wal_checkpointer

    start_wal_checkpointer(app)
    # Everything built so far lives as long as the process: keep it out of the collector's full
    # passes (shorter pauses in requests; workers forked from here share its pages).
    gc.collect()
    gc.freeze()
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        app.run(host=host, port=port, threaded=True)
        return

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", 4)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 30)
            self.cfg.set("accesslog", "-")
            # Each worker opens its own connections rather than sharing the master's pool.
            self.cfg.set(
                "post_fork",
                lambda _server, _worker: app.extensions["gate.engine"].dispose(close=False),
            )

        def load(self) -> Any:
            return app

    _Gunicorn().run()
