"""De-duplication for subscribers: QoS 1 means at least once, so the same event may come twice."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

EventKey = tuple[str, str, str]


def event_key(payload: Mapping[str, Any]) -> EventKey:
    """What makes an event the same event.

    A decision is one event per ``decision_id``; a barrier command per ``decision_id`` and
    command (one decision opens, then releases or holds); an alert per ``alert_id``.
    """
    schema = str(payload.get("schema", ""))
    ident = payload.get("decision_id") or payload.get("alert_id")
    if not ident:
        raise ValueError(f"{schema or 'event'} carries no decision_id or alert_id")
    return schema, str(ident), str(payload.get("command") or "")


class Deduplicator:
    """Remembers the most recent ``capacity`` events and says whether one is new.

    Thread-safe, so one instance can serve a paho callback thread and a worker.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self.duplicates = 0
        self._seen: OrderedDict[EventKey, None] = OrderedDict()
        self._lock = threading.Lock()

    def first(self, payload: Mapping[str, Any]) -> bool:
        """True the first time an event is seen; False for a redelivery."""
        key = event_key(payload)
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                self.duplicates += 1
                return False
            self._seen[key] = None
            if len(self._seen) > self.capacity:
                self._seen.popitem(last=False)
            return True

    def __len__(self) -> int:
        return len(self._seen)
