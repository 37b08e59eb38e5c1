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

# How long a running service may keep reference rows after ``products load`` changed them.
TTL_SECONDS = 600.0
CATALOGUE_FLAGS = ("highly_toxic", "explosive_precursor", "high_risk")

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


def flags_of(cas: str, entries: Iterable[Any]) -> dict[str, bool]:
    """剧毒 / 易制爆 / high-risk of a CAS number: set if any catalogue row listing it has it.

    A serial can have a variant row with another CAS number; such a row does not count.
    """
    listing = [e for e in entries if cas in e.cas_numbers]
    return {flag: any(bool(getattr(e, flag)) for e in listing) for flag in CATALOGUE_FLAGS}


class ReferenceCache:
    """ADR variants by UN number and catalogue flags by CAS number, read once per TTL."""

    def __init__(self, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic):
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._adr: dict[str, tuple[float, Any]] = {}
        self._flags: dict[str, tuple[float, Any]] = {}

    def _through(
        self,
        cache: dict[str, tuple[float, Any]],
        keys: Iterable[str],
        read: Callable[[list[str]], dict[str, Any]],
    ) -> dict[str, Any]:
        """The value of each key: fresh ones from ``cache``, the others from ``read`` (stored)."""
        wanted = set(keys)
        now = self._clock()
        with self._lock:
            found = {
                k: hit[1]
                for k in wanted
                if (hit := cache.get(k)) is not None and now - hit[0] < self._ttl
            }
        missing = sorted(wanted - found.keys())
        if missing:
            values = read(missing)
            stamp = self._clock()
            with self._lock:
                cache.update((k, (stamp, values[k])) for k in missing)
            found.update((k, values[k]) for k in missing)
        return found

    def adr_rows(
        self, conn: Connection, un_numbers: Iterable[str]
    ) -> dict[str, tuple[Row[Any], ...]]:
        """Every ADR variant of each UN number (by variant; empty for an unknown number)."""

        def read(uns: list[str]) -> dict[str, tuple[Row[Any], ...]]:
            rows = list(conn.execute(_ADR_BY_UN, {"uns": uns}))
            return {un: tuple(r for r in rows if r.un_number == un) for un in uns}

        return self._through(self._adr, un_numbers, read)

    def flags(self, conn: Connection, cas_numbers: Iterable[str]) -> dict[str, dict[str, bool]]:
        """The catalogue flags of each CAS number (see :func:`flags_of`)."""

        def read(numbers: list[str]) -> dict[str, dict[str, bool]]:
            rows = list(conn.execute(_CATALOGUE_BY_CAS, {"cas": numbers}))
            return {cas: flags_of(cas, (r for r in rows if r.cas == cas)) for cas in numbers}

        return self._through(self._flags, cas_numbers, read)


_CACHES: weakref.WeakKeyDictionary[Engine, ReferenceCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def reference_for(engine: Engine) -> ReferenceCache:
    """The reference cache of a database (one per engine, so each database has its own)."""
    with _CACHES_LOCK:
        cache = _CACHES.get(engine)
        if cache is None:
            cache = _CACHES[engine] = ReferenceCache()
        return cache
