"""The MQTT event contract: versioned JSON Schemas, a validator and a subscriber's de-duplicator."""

from __future__ import annotations

from .contract import SCAN
from .contract import EventContractError
from .contract import event_errors
from .contract import schemas
from .contract import validate_event
from .dedup import Deduplicator
from .dedup import event_key

DECISION = "loadgate.decision.v1"
BARRIER = "loadgate.barrier.v1"
ALERT = "loadgate.alert.v1"
STATUS = "loadgate.status.v1"

__all__ = ["ALERT", "BARRIER", "DECISION", "SCAN", "STATUS", "Deduplicator",
           "EventContractError", "event_errors", "event_key", "schemas", "validate_event"]
