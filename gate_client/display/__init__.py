"""The operator display: a small local web page served by the gate client."""

from __future__ import annotations

from .app import DisplayServer
from .app import create_app

__all__ = ["DisplayServer", "create_app"]
