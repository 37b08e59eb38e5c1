"""A per-engine, time-limited cache of the static product master (ADR rows, catalogue flags).

The ADR table and the catalogue change only when ``products load`` runs, once in a few years;
reading them on every verification costs a round trip each. Site products are not cached: an
enterprise edits them during the day and a verification must see the edit at once.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import Row
from sqlalchemy import bindparam
from sqlalchemy import select

from ..models import AdrEntry
from ..models import CasIndex
from ..models import CatalogueEntry
from .lookup import CATALOGUE_FLAGS

# How long a running service may keep reference rows after ``products load`` changed them.
TTL_SECONDS = 600.0

_ADR = AdrEntry.__table__
_CATALOGUE = CatalogueEntry.__table__
_CAS = CasIndex.__table__
# Built once: composing and cache-keying a statement costs more than running it on SQLite.
_ADR_BY_UN = (
    select(_ADR)
    .where(_ADR.c.un_number.in_(bindparam("uns", expanding=True)))
    .order_by(_ADR.c.variant)
)
_CATALOGUE_BY_CAS = (
    select(_CAS.c.cas, _CATALOGUE)
    .join(_CATALOGUE, _CATALOGUE.c.serial == _CAS.c.serial)
    .where(_CAS.c.cas.in_(bindparam("cas", expanding=True)))
)


class ReferenceCache:
    """ADR variants by UN number and catalogue flags by CAS number, read once per TTL."""

    def __init__(self, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic):
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._adr: dict[str, tuple[float, tuple[Row[Any], ...]]] = {}
        self._flags: dict[str, tuple[float, dict[str, bool]]] = {}

    def _fresh(self, cache: dict[str, tuple[float, Any]], key: str) -> Any | None:
        hit = cache.get(key)
        return hit[1] if hit is not None and self._clock() - hit[0] < self._ttl else None

    def adr_rows(
        self, conn: Connection, un_numbers: Iterable[str]
    ) -> dict[str, tuple[Row[Any], ...]]:
        """Every ADR variant of each UN number (by variant; empty for an unknown number)."""
        wanted = set(un_numbers)
        with self._lock:
            found = {un: rows for un in wanted if (rows := self._fresh(self._adr, un)) is not None}
        missing = wanted - found.keys()
        if missing:
            read: dict[str, list[Row[Any]]] = {un: [] for un in missing}
            for row in conn.execute(_ADR_BY_UN, {"uns": sorted(missing)}):
                read[row.un_number].append(row)
            stamp = self._clock()
            with self._lock:
                for un, rows in read.items():
                    self._adr[un] = (stamp, tuple(rows))
                    found[un] = tuple(rows)
        return found

    def flags(self, conn: Connection, cas_numbers: Iterable[str]) -> dict[str, dict[str, bool]]:
        """剧毒 / 易制爆 / high-risk per CAS number: set if any catalogue row listing it has it."""
        wanted = set(cas_numbers)
        with self._lock:
            found = {c: f for c in wanted if (f := self._fresh(self._flags, c)) is not None}
        missing = wanted - found.keys()
        if missing:
            read = {cas: dict.fromkeys(CATALOGUE_FLAGS, False) for cas in missing}
            for row in conn.execute(_CATALOGUE_BY_CAS, {"cas": sorted(missing)}):
                # A serial can have a variant row with another CAS; only rows listing it count.
                if row.cas in row.cas_numbers:
                    for flag in CATALOGUE_FLAGS:
                        read[row.cas][flag] = read[row.cas][flag] or bool(getattr(row, flag))
            stamp = self._clock()
            with self._lock:
                for cas, flags in read.items():
                    self._flags[cas] = (stamp, flags)
                    found[cas] = flags
        return found

    def clear(self) -> None:
        """Forget everything (after this process loaded a new product master)."""
        with self._lock:
            self._adr.clear()
            self._flags.clear()


_CACHES: weakref.WeakKeyDictionary[Engine, ReferenceCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def reference_for(engine: Engine) -> ReferenceCache:
    """The reference cache of a database (one per engine, so each database has its own)."""
    with _CACHES_LOCK:
        cache = _CACHES.get(engine)
        if cache is None:
            cache = _CACHES[engine] = ReferenceCache()
        return cache
