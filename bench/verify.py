"""Latency of ``POST /api/v1/verifications`` at scale, next to a one-lookup floor, in one run.

Usage:
    python bench/verify.py [--vehicles 100000] [--persons N] [--tanks N] [--waybills 1000000]
                           [--decisions 1000000] [--requests 2000] [--warmup N] [--profile N]
                           [--trace N] [--backends sqlite,postgresql] [--pg-admin-url URL]
                           [--keep DIR]

Quick check (well under a minute on an idle 2-core machine):
    python bench/verify.py --vehicles 2000 --waybills 20000 --decisions 20000 --requests 200

For each backend (a SQLite file first, then PostgreSQL) it creates a fresh database (Alembic
migrations + product master), bulk-seeds valid pre-load files and a decision log, measures, and
drops the database again:

- Seeding: half the vehicles are tractors, half 挂 trailers (GA 36 plates over all provinces);
  half the people are drivers (驾驶员, A2), half escorts (押运员), with GB 11643 ID numbers; every
  trailer carries tanks whose media hold UN1203 汽油 II; waybills name a pair, its tank, a driver
  and an escort and UN1203 汽油 3 II within the tank's limits. All but the last 5% are history
  (``loaded``, spread over 21 sites); the rest are ``issued`` for site JMS01. Plus 0.4% of the
  subjects blacklisted (half since lifted), toxic-goods permits, and the decision log: synthetic
  ALLOW/REFUSE/INCOMPLETE rows for the 21 sites (JMS01 holds its share), hash-chained with the
  service's own ``canonical``/``link_hash`` and PII commitments, so ``audit verify`` passes.
  Rows go in with bulk Core ``insert`` executemany (SQLite) or ``COPY`` (PostgreSQL), plain
  indexes dropped during the load and recreated from their own DDL; the decision log is made in
  a child process while the parent inserts.
- Latency: the app serves over real HTTP (werkzeug threaded server in a background thread, one
  keep-alive ``http.client`` connection; the primary figure is the client's perf_counter round
  trip, the in-server WSGI time is printed beside it). A floor endpoint is registered on the same
  app, ``GET /bench/floor?plate=``: one indexed ``vehicles.plate`` lookup (a Core statement
  built once, as the service builds its own) behind the same ``@require`` token check as the
  verification, so BOTH pay the token lookup. Requests alternate verification / floor; each
  verification has its own waybill and idempotency key. As under ``gate-service serve``, the
  SQLite WAL is checkpointed by a background thread and long-lived objects are frozen out of
  the garbage collector before measuring.
- Where the time goes: verifications under cProfile (test client, top 10 by cumulative and by
  own time), then verifications and floors without the profiler with every SQL statement timed
  (plus the dialect's commit/rollback/pre-ping) and the phases of a verification timed by
  perf_counter wrappers around the service's functions (in this process only).

``--keep DIR`` keeps the SQLite file in DIR and does not drop the PostgreSQL database.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import http.client
import io
import itertools
import json
import multiprocessing
import os
import pstats
import random
import re
import shutil
import statistics
import sys
import tempfile
import textwrap
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from functools import cached_property
from pathlib import Path
from typing import Any

from flask import Flask
from flask import request
from sqlalchemy import JSON
from sqlalchemy import Engine
from sqlalchemy import Table
from sqlalchemy import bindparam
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import rules  # noqa: E402
from gate_service import create_app  # noqa: E402
from gate_service import get_settings  # noqa: E402
from gate_service import models as m  # noqa: E402
from gate_service.api.verifications import VERIFIERS  # noqa: E402
from gate_service.auth import issue_token  # noqa: E402
from gate_service.auth import require  # noqa: E402
from gate_service.db import get_session  # noqa: E402
from gate_service.db import new_session  # noqa: E402
from gate_service.db import start_wal_checkpointer  # noqa: E402
from gate_service.decisions import chain  # noqa: E402
from gate_service.decisions import pii  # noqa: E402
from gate_service.migrate import upgrade  # noqa: E402
from gate_service.products.loader import load_products  # noqa: E402
from tests.factories import id_number  # noqa: E402
from tests.factories import uscc  # noqa: E402

SITE = "JMS01"
OTHER_SITES = tuple(f"S{i:02d}" for i in range(1, 21))
SITES = (SITE, *OTHER_SITES)
GATES = ["G1", "G2", "G3", "G4"]
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # GA 36: no I, no O
SERIAL = "0123456789" + LETTERS
REGIONS = ("230802", "230103", "110101", "310101", "440103", "510104", "320102", "370102")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ("建国", "秀兰", "海涛", "丽娜", "志强", "春梅", "文博", "晓东", "玉珍", "国庆", "红霞",
         "立新")
GASOLINE = {"un_number": "1203", "name": "汽油", "packing_group": "II"}
METHANOL = {"un_number": "1230", "name": "甲醇", "packing_group": "II"}
CHECKLIST = {"grounding": True, "no_leaks": True, "placards": True}
FAR = dt.date(2035, 6, 30)
CHUNK = 20_000


# --- identifiers ------------------------------------------------------------------------------


def _base34(n: int, width: int) -> str:
    out = ""
    for _ in range(width):
        n, r = divmod(n, 34)
        out = SERIAL[r] + out
    return out


def plate(i: int, trailer: bool = False) -> str:
    """A GA 36 plate, spread over provinces and authority letters: 黑D3X7K2, 吉A0B9C挂."""
    province, letter = PROVINCES[i % 31], LETTERS[(i // 31) % 24]
    width = 4 if trailer else 5
    serial = _base34((i // 744 * 7919 + 12345) % 34**width, width)
    return f"{province}{letter}{serial}{'挂' if trailer else ''}"


def person_id(i: int) -> str:
    """A GB 11643 ID number (check character computed), unique for i < 96 million."""
    born = dt.date(1965, 1, 1) + dt.timedelta(days=(i // 8) % 12_000)
    return id_number(f"{REGIONS[i % 8]}{born:%Y%m%d}{(i // 96_000) % 1000:03d}")


def carrier_uscc(c: int) -> str:
    """A GB 32100 unified social credit code of carrier ``c``."""
    return uscc(f"91230800MA{c:07d}")


PLANT = uscc("91230800MA1A00001")
CONSIGNEE = uscc("91230100MA1C00003")


# --- the population -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    """How many records of each kind to seed."""

    vehicles: int
    persons: int
    tanks: int
    waybills: int
    decisions: int


@dataclass(frozen=True)
class Population:
    """Which record is which: pair p = tractor p + trailer p; waybill w travels with pair w % pairs.

    The last ``fresh`` waybills are issued for the benchmark site and never used; the others are
    history (loaded), spread over the 21 sites, and the synthetic decisions refer to them.
    """

    sizes: Sizes
    fresh: int
    today: dt.date

    @property
    def pairs(self) -> int:
        return self.sizes.vehicles // 2

    @property
    def drivers(self) -> int:
        return self.sizes.persons // 2

    @property
    def carriers(self) -> int:
        return max(10, self.sizes.vehicles // 500)

    @property
    def history(self) -> int:
        return self.sizes.waybills - self.fresh

    def waybill_no(self, w: int) -> str:
        return f"YD2026{w:09d}"

    def tank_no(self, t: int) -> str:
        return f"TK{t:07d}"

    def cert_no(self, i: int) -> str:
        return f"{PROVINCES[i % 31]}交危{'驾' if i < self.drivers else '押'}{i:09d}"

    @cached_property
    def tractors(self) -> list[str]:
        return [plate(p) for p in range(self.pairs)]

    @cached_property
    def trailers(self) -> list[str]:
        return [plate(p, trailer=True) for p in range(self.pairs)]

    @cached_property
    def ids(self) -> list[str]:
        return [person_id(i) for i in range(self.sizes.persons)]

    @cached_property
    def certs(self) -> list[str]:
        return [self.cert_no(i) for i in range(self.sizes.persons)]

    @cached_property
    def carrier_codes(self) -> list[str]:
        return [carrier_uscc(c) for c in range(self.carriers)]

    def visit(self, w: int) -> dict[str, Any]:
        """The records waybill ``w`` names."""
        p = w % self.pairs
        per_trailer = max(1, self.sizes.tanks // self.pairs)
        driver = p % self.drivers
        escort = self.drivers + p % (self.sizes.persons - self.drivers)
        return {"pair": p, "vehicle": self.tractors[p], "trailer": self.trailers[p],
                "tank": self.tank_no(p + self.pairs * ((w // self.pairs) % per_trailer)),
                "driver": driver, "escort": escort, "driver_id": self.ids[driver],
                "escort_id": self.ids[escort], "carrier": self.carrier_codes[p % self.carriers],
                "quantity": float(15_000 + (w % 50) * 100),
                "site": SITE if w >= self.history else SITES[w % len(SITES)]}


def _common(owner: str | None, now: dt.datetime) -> dict[str, Any]:
    return {"status": "active", "version": 1, "owner": owner, "created_at": now, "updated_at": now}


def organisation_rows(pop: Population, now: dt.datetime) -> Iterator[dict[str, Any]]:
    yield {"uscc": PLANT, "name": "佳木斯龙江化工有限公司", "kinds": ["loader", "consignor"],
           **_common(PLANT, now)}
    yield {"uscc": CONSIGNEE, "name": "哈尔滨新区化学品经销有限公司", "kinds": ["consignee"],
           **_common(CONSIGNEE, now)}
    for c in range(pop.carriers):
        code = carrier_uscc(c)
        yield {"uscc": code, "name": f"危险货物运输有限公司{c:04d}", "kinds": ["carrier"],
               **_common(code, now)}


def site_rows(now: dt.datetime) -> Iterator[dict[str, Any]]:
    for code in SITES:
        yield {"code": code, "name": f"{code} 装车站", "owner_uscc": PLANT, "profile": "cn-2019",
               "timezone": "Asia/Shanghai", "gates": GATES, **_common(PLANT, now)}


def site_product_rows(now: dt.datetime) -> Iterator[dict[str, Any]]:
    products = (("P-GASOLINE", "汽油", "86290-81-5", "1203", "II"),
                ("P-METHANOL", "甲醇", "67-56-1", "1230", "II"))
    for code in SITES:
        for product_code, name, cas, un, pg in products:
            yield {"site_code": code, "product_code": product_code, "name": name, "cas": cas,
                   "un_number": un, "packing_group": pg, "sds_version": "SDS-2025-03",
                   "label_version": "LBL-2025-03", **_common(PLANT, now)}


def carrier_rows(pop: Population, now: dt.datetime) -> Iterator[dict[str, Any]]:
    for c in range(pop.carriers):
        code = carrier_uscc(c)
        yield {"uscc": code, "name": f"危险货物运输有限公司{c:04d}",
               "license_no": f"黑交运管许可字{c:09d}号", "license_valid_until": FAR,
               "scope": ["2", "3", "8"], **_common(code, now)}


def vehicle_rows(pop: Population, now: dt.datetime) -> Iterator[dict[str, Any]]:
    for i in range(2 * pop.pairs):
        p, trailer = i % pop.pairs, i >= pop.pairs
        owner = pop.carrier_codes[p % pop.carriers]
        yield {"plate": (pop.trailers if trailer else pop.tractors)[p],
               "kind": "trailer" if trailer else "tractor",
               "vin": None, "carrier_uscc": owner, "rated_load_kg": 32_000 if trailer else None,
               "registration_valid_until": FAR, "transport_permit_no": f"黑交运管字{i:09d}",
               "transport_permit_valid_until": FAR, "permit_scope": ["2", "3", "8"],
               "adr_vehicle_type": None, "adr_approval_valid_until": None, **_common(owner, now)}


def tank_rows(pop: Population, now: dt.datetime) -> Iterator[dict[str, Any]]:
    for t in range(pop.sizes.tanks):
        p = t % pop.pairs
        yield {"tank_no": pop.tank_no(t), "kind": "atmospheric",
               "vehicle_plate": pop.trailers[p], "capacity_l": 36_000,
               "max_fill_kg": 25_000, "tank_code": "LGBF",
               "media": [GASOLINE, METHANOL] if t % 3 else [GASOLINE], "registration_no": None,
               "registered_medium": None, "inspection_report_no": f"GJ-2026-{t:07d}",
               "inspected_on": dt.date(2026, 6, 10), "next_inspection_due": FAR,
               "last_cargo_un": "1203", **_common(pop.carrier_codes[p % pop.carriers], now)}


def person_rows(pop: Population, now: dt.datetime) -> Iterator[dict[str, Any]]:
    for i in range(pop.sizes.persons):
        driver = i < pop.drivers
        owner = pop.carrier_codes[i % pop.carriers]
        yield {"id_number": pop.ids[i],
               "name": SURNAMES[i % 20] + GIVEN[(i // 20) % len(GIVEN)],
               "phone": f"139{i:08d}", "carrier_uscc": owner,
               "qualification_cert_no": pop.certs[i],
               "qualification_categories": ["驾驶员"] if driver else ["押运员"],
               "qualification_valid_until": FAR,
               "driving_license_class": "A2" if driver else None,
               "driving_license_valid_until": FAR if driver else None, "adr_cert_no": None,
               "adr_specialisations": [], "adr_valid_until": None, **_common(owner, now)}


def waybill_rows(pop: Population, now: dt.datetime) -> Iterator[dict[str, Any]]:
    for w in range(pop.sizes.waybills):
        v = pop.visit(w)
        fresh = w >= pop.history
        planned = pop.today if fresh else pop.today - dt.timedelta(days=1 + w % 365)
        yield {"waybill_no": pop.waybill_no(w), "waybill_status": "issued" if fresh else "loaded",
               "consignor_uscc": PLANT, "consignor_name": "佳木斯龙江化工有限公司",
               "consignee_uscc": CONSIGNEE, "consignee_name": "哈尔滨新区化学品经销有限公司",
               "carrier_uscc": v["carrier"], "loader_site": v["site"],
               "destination": "哈尔滨市松北区",
               "planned_date": planned, "vehicle_plate": v["vehicle"],
               "trailer_plate": v["trailer"], "tank_no": v["tank"],
               "driver_id_number": v["driver_id"], "escort_id_number": v["escort_id"],
               "goods": [{**GASOLINE, "class": "3", "quantity_kg": v["quantity"]}],
               "permit_no": None, **_common(v["carrier"], now)}


def permit_rows(pop: Population, now: dt.datetime) -> Iterator[dict[str, Any]]:
    """Toxic-goods road passes for every 100th pair (the resolver reads them by plate)."""
    for n, p in enumerate(range(0, pop.pairs, 100)):
        d = p % pop.drivers
        yield {"permit_no": f"JD23{n:08d}", "kind": "toxic_road_pass",
               "goods": [{"un_number": "3414", "name": "氰化钠溶液", "quantity_kg": 10000.0}],
               "vehicle_plate": pop.tractors[p], "driver_id_number": pop.ids[d],
               "escort_id_number": pop.ids[pop.drivers + p % (pop.sizes.persons - pop.drivers)],
               "origin": "佳木斯市", "destination": "哈尔滨市", "route": "G11 鹤大高速",
               "valid_from": dt.date(2026, 1, 1), "valid_until": FAR, **_common(None, now)}


def blacklist_rows(pop: Population, now: dt.datetime) -> Iterator[dict[str, Any]]:
    """About 0.4% of tractors, tanks and people listed (half of them since lifted)."""
    step = 250
    subjects = [("vehicle", pop.tractors[p]) for p in range(7, pop.pairs, step)]
    subjects += [("tank", pop.tank_no(t)) for t in range(11, pop.sizes.tanks, step)]
    subjects += [("person", pop.ids[i]) for i in range(13, pop.sizes.persons, step)]
    for n, (kind, key) in enumerate(subjects):
        row = {"subject_kind": kind, "subject_key": key, "reason": "事故停运整改",
               "source": "佳木斯市交通运输局", "valid_from": dt.date(2026, 1, 1),
               "valid_until": None, **_common(None, now)}
        if n % 2:
            row["status"] = "inactive"
        yield row


# --- the decision log -------------------------------------------------------------------------


REFUSALS = (
    ("C08", "TANK_INSPECTION_EXPIRED", "罐体检验已过期（下次检验日期 2026-10-31）",
     "Tank inspection expired (next inspection due 2026-10-31)"),
    ("C05", "DRIVER_CERT_EXPIRED", "驾驶员从业资格证已过期（有效期至 2026-09-30）",
     "Driver qualification certificate expired (valid until 2026-09-30)"),
    ("C13", "GOODS_MISMATCH", "运单货物与装货计划不符", "Waybill goods do not match the plan"),
)


@dataclass
class ChainState:
    """Running heads of every site's chain while the log is generated."""

    heads: dict[str, tuple[int, str]] = field(default_factory=dict)
    reasons: list[dict[str, Any]] = field(default_factory=list)

    def link(self, site: str) -> tuple[int, str]:
        seq, prev = self.heads.get(site, (0, chain.GENESIS))
        return seq + 1, prev


@dataclass
class Sealed:
    """Masked forms and commitments of ID numbers, computed once per person; random ids."""

    secret: str
    rng: random.Random = field(default_factory=lambda: random.Random(1203))
    masks: dict[str, str] = field(default_factory=dict)
    commits: dict[str, str] = field(default_factory=dict)

    def mask(self, value: str) -> str:
        if value not in self.masks:
            self.masks[value] = pii.mask(value)
        return self.masks[value]

    def commit(self, value: str) -> str:
        if value not in self.commits:
            self.commits[value] = pii.commit(self.secret, value)
        return self.commits[value]


def _decision_body(pop: Population, k: int, v: dict[str, Any], when: dt.datetime, version: str,
                   sealed: Sealed) -> dict[str, Any]:
    """A decision body as ``record_decision`` writes it (masked IDs with their commitments),
    without the bulky evidence."""
    w, site = k % pop.history, v["site"]
    waybill = pop.waybill_no(w)
    refusal = REFUSALS[k % 3] if k % 13 == 0 else None
    outcome = "REFUSE" if refusal else "INCOMPLETE" if k % 101 == 0 else "ALLOW"
    scans = [f"LG1:VEH:{v['vehicle']}", f"LG1:VEH:{v['trailer']}", f"LG1:TNK:{v['tank']}",
             f"LG1:PSN:{pop.certs[v['driver']]}", f"LG1:PSN:{pop.certs[v['escort']]}",
             f"LG1:WBL:{waybill}"]
    reasons = [{"check": c, "code": code, "severity": "refuse", "subject": f"tank:{v['tank']}",
                "message": zh, "message_en": en, "citation": "", "details": {}}
               for c, code, zh, en in ([refusal] if refusal else [])]
    local = (when + dt.timedelta(hours=8)).date().isoformat()
    h = f"{sealed.rng.getrandbits(128):032x}"
    decision_id = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"
    return {
        "decision_id": decision_id, "site_code": site, "gate": GATES[k % 2],
        "created_at": when.isoformat(), "local_date": local, "kind": "verification",
        "outcome": outcome, "operator": f"operator:gate-{site}",
        "idempotency_key": f"{sealed.rng.getrandbits(128):032x}", "overrides": None,
        "waybill_no": waybill,
        "carrier_uscc": v["carrier"], "vehicle_plate": v["vehicle"], "un_number": "1203",
        "highly_toxic": False, "high_risk": False, "ruleset_id": "cn-2019",
        "ruleset_version": version,
        "inputs": {"scans": [{"text": s, "symbology": "QRCode"} for s in scans],
                   "load": {"un_number": "1203", "quantity_kg": v["quantity"], "name": None,
                            "packing_group": None}, "checklist": CHECKLIST},
        "unrecognised": [], "evidence": {},
        "resolved": {"vehicle": v["vehicle"], "trailer": v["trailer"], "tank": v["tank"],
                     "driver": sealed.mask(v["driver_id"]), "escort": sealed.mask(v["escort_id"]),
                     "waybill": waybill, "carrier": v["carrier"]},
        "reasons": reasons, "warnings": [],
        "missing": ["escort"] if outcome == "INCOMPLETE" else [],
        "pii_commitments": {"resolved.driver": sealed.commit(v["driver_id"]),
                            "resolved.escort": sealed.commit(v["escort_id"])},
        "latency_ms": round(8 + (k % 50) / 10, 3),
    }


def decision_rows(pop: Population, state: ChainState, version: str, secret: str
                  ) -> Iterator[dict[str, Any]]:
    """``sizes.decisions`` chained decisions over the last year, per site in time order."""
    total = pop.sizes.decisions
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=365)
    step = dt.timedelta(days=365) / max(total, 1)
    sealed = Sealed(secret)
    for k in range(total):
        when = start + step * k
        v = pop.visit(k % pop.history)
        body = _decision_body(pop, k, v, when, version, sealed)
        seq, prev = state.link(v["site"])
        body |= {"seq": seq, "prev_hash": prev}
        body_text = chain.canonical(body)
        digest = chain.link_hash(prev, body_text)
        state.heads[v["site"]] = (seq, digest)
        for reason in body["reasons"]:
            state.reasons.append({"decision_id": k + 1, "code": reason["code"],
                                  "severity": "refuse"})
        yield {"id": k + 1, **{name: body[name] for name in chain.MIRRORED}, "created_at": when,
               "local_date": dt.date.fromisoformat(body["local_date"]),
               "latency_ms": body["latency_ms"], "body": body_text,
               "pii": {"resolved.driver": v["driver_id"], "resolved.escort": v["escort_id"]},
               "hash": digest}


def _produce(send: Any, pop: Population, version: str, secret: str) -> None:
    """Child process: generate the decision log, send it in chunks, then the chain heads."""
    gc.disable()
    state = ChainState()
    for chunk in _chunks(decision_rows(pop, state, version, secret), 2000):
        send.send(chunk)
    send.send(None)
    send.send((state.heads, state.reasons))
    send.close()


def decision_rows_offloaded(pop: Population, state: ChainState, version: str, secret: str
                            ) -> Iterator[dict[str, Any]]:
    """:func:`decision_rows`, made in a child process so JSON and hashing overlap the inserts."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_produce, args=(send, pop, version, secret), daemon=True)
    child.start()
    send.close()
    try:
        while (chunk := receive.recv()) is not None:
            yield from chunk
        state.heads, state.reasons = receive.recv()
    finally:
        receive.close()
        child.join(timeout=30)


# --- bulk loading ---------------------------------------------------------------------------


def _chunks(rows: Iterable[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def sqlite_load(engine: Engine, table: Table, rows: Iterable[dict[str, Any]]) -> int:
    """Bulk ``INSERT`` (executemany) in chunks, one transaction."""
    count = 0
    with engine.begin() as conn:
        for chunk in _chunks(rows):
            conn.execute(insert(table), chunk)
            count += len(chunk)
    return count


def pg_load(engine: Engine, table: Table, rows: Iterable[dict[str, Any]]) -> int:
    """``COPY ... FROM STDIN`` through psycopg; JSON columns are sent as JSON text."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    columns = list(first)
    as_json = [isinstance(table.c[c].type, JSON) for c in columns]
    count = 0
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur, cur.copy(  # type: ignore[attr-defined]
                f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for item in itertools.chain([first], iterator):
                copy.write_row([json.dumps(item[c], ensure_ascii=False) if j else item[c]
                                for c, j in zip(columns, as_json, strict=True)])
                count += 1
        raw.commit()
    finally:
        raw.close()
    return count


@dataclass
class Database:
    """A benchmark database: where it is and how to drop it."""

    backend: str
    url: str
    drop: Callable[[], None]


def create_database(backend: str, workdir: Path, pg_admin_url: str, keep: bool) -> Database:
    """A new empty database: a SQLite file in ``workdir`` or ``loadgate_bench_<random>``."""
    if backend == "sqlite":
        path = workdir / "verify-bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return Database(backend, f"sqlite:///{path}", lambda: None)
    name = f"loadgate_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        if keep:
            return
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return Database(backend, pg_admin_url.rsplit("/", 1)[0] + "/" + name, drop)


def seed_engine(db: Database) -> Engine:
    """An engine for seeding; SQLite gets a big cache and no journal while it loads."""
    if db.backend == "postgresql":
        return create_engine(db.url)
    engine = create_engine(db.url)

    @event.listens_for(engine, "connect")
    def _fast(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        for pragma in ("journal_mode=MEMORY", "synchronous=OFF", "cache_size=-1000000",
                       "temp_store=MEMORY"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    return engine


SECONDARY_INDEXES = {
    "sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
              "AND sql IS NOT NULL",
    # Indexes that back no constraint (primary keys and UNIQUE constraints stay).
    "postgresql": "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = :t AND NOT "
                  "EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = "
                  "quote_ident(i.indexname)::regclass)",
}


@contextmanager
def without_secondary_indexes(engine: Engine, backend: str, table: str) -> Iterator[None]:
    """Drop a table's plain indexes while it is loaded and create them again from their own
    DDL afterwards (sorting once is faster than a million random index inserts)."""
    with engine.begin() as conn:
        indexes = conn.execute(text(SECONDARY_INDEXES[backend]), {"t": table}).all()
        for name, _ddl in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    with engine.begin() as conn:
        for _name, ddl in indexes:
            conn.exec_driver_sql(ddl)


def seed(app: Flask, db: Database, pop: Population) -> dict[str, float]:
    """Migrate, load the product master and bulk-seed every table; returns seconds per step."""
    times: dict[str, float] = {}
    started = time.perf_counter()
    with app.app_context():
        upgrade("head")
        with new_session() as session, session.begin():
            load_products(session)
        app.extensions["gate.engine"].dispose()
    times["migrate + product master"] = time.perf_counter() - started
    now = dt.datetime.now(dt.UTC)
    secret = get_settings(app).secret_key
    profile = rules.load_profile("cn-2019")
    state = ChainState()
    engine = seed_engine(db)
    load = pg_load if db.backend == "postgresql" else sqlite_load
    steps: list[tuple[str, type[Any], Callable[[], Iterable[dict[str, Any]]]]] = [
        ("organisations", m.Organisation, lambda: organisation_rows(pop, now)),
        ("sites", m.Site, lambda: site_rows(now)),
        ("site_products", m.SiteProduct, lambda: site_product_rows(now)),
        ("carriers", m.Carrier, lambda: carrier_rows(pop, now)),
        ("vehicles", m.Vehicle, lambda: vehicle_rows(pop, now)),
        ("tanks", m.Tank, lambda: tank_rows(pop, now)),
        ("persons", m.Person, lambda: person_rows(pop, now)),
        ("waybills", m.Waybill, lambda: waybill_rows(pop, now)),
        ("permits", m.Permit, lambda: permit_rows(pop, now)),
        ("blacklist", m.BlacklistEntry, lambda: blacklist_rows(pop, now)),
        ("ruleset_versions", m.RulesetVersion, lambda: [{
            "version": profile.version, "ruleset_id": profile.id, "content": profile.to_data(),
            "first_used_at": now - dt.timedelta(days=366)}]),
        ("decisions", m.DecisionRow,
         lambda: decision_rows_offloaded(pop, state, profile.version, secret)),
        ("decision_reasons", m.DecisionReason, lambda: state.reasons),
        ("chain_heads", m.ChainHead, lambda: [
            {"site_code": s, "seq": seq, "hash": h} for s, (seq, h) in state.heads.items()]),
    ]
    gc.disable()  # millions of short-lived rows; no cycles to collect
    try:
        for name, model, rows in steps:
            began = time.perf_counter()
            with without_secondary_indexes(engine, db.backend, model.__tablename__):
                count = load(engine, model.__table__, rows())
            times[f"{name} ({count:,})"] = time.perf_counter() - began
        began = time.perf_counter()
        finish_database(engine, db.backend)
        times["finish (sequences, analyze / WAL)"] = time.perf_counter() - began
    finally:
        gc.enable()
        engine.dispose()
    times["total"] = time.perf_counter() - started
    return times


def finish_database(engine: Engine, backend: str) -> None:
    """PostgreSQL: move the id sequence past the explicit ids, VACUUM ANALYZE (as autovacuum
    would), then CHECKPOINT, so that writing out the bulk load does not overlap the timed
    requests; SQLite: back to WAL (no ANALYZE: the service never runs it)."""
    if backend == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('decisions', 'id'), "
                              "(SELECT coalesce(max(id), 1) FROM decisions))"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            conn.execute(text("CHECKPOINT"))
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")


# --- the app under test -----------------------------------------------------------------------


VEHICLES = m.Vehicle.__table__
# Built once, as the service builds the statements of its hot path.
FLOOR_LOOKUP = select(VEHICLES).where(VEHICLES.c.plate == bindparam("plate"))


def floor_view() -> dict[str, Any]:
    """The floor: one indexed lookup (``vehicles.plate``), behind the same token check."""
    conn = get_session().connection()
    found = conn.execute(FLOOR_LOOKUP, {"plate": request.args["plate"]}).first()
    if found is None:
        return {"found": False}
    return {"found": True, "plate": found.plate, "status": found.status, "version": found.version}


class TimedWsgi:
    """WSGI middleware keeping the in-server time of the last request (body included)."""

    def __init__(self, wsgi: Callable[..., Any]) -> None:
        self.wsgi = wsgi
        self.last = 0.0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        began = time.perf_counter()
        body = list(self.wsgi(environ, start_response))
        self.last = time.perf_counter() - began
        return body


class QuietHandler(WSGIRequestHandler):
    """No access log line per request."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def build_app(url: str) -> tuple[Flask, TimedWsgi]:
    """The service plus the floor endpoint on the same app, timed in-server."""
    app = create_app({"DATABASE_URL": url})
    app.add_url_rule("/bench/floor", "bench_floor", require(*VERIFIERS)(floor_view))
    timer = TimedWsgi(app.wsgi_app)
    app.wsgi_app = timer  # type: ignore[method-assign]
    return app, timer


def operator_token(app: Flask) -> str:
    with app.app_context(), new_session() as session, session.begin():
        return issue_token(session, name="bench-gate", role="operator", site_code=SITE)


def visit_body(pop: Population, w: int, rng: random.Random) -> dict[str, Any]:
    """A verification request for waybill ``w``: every code scanned, the waybill's goods as load."""
    v = pop.visit(w)
    driver = pop.certs[v["driver"]] if rng.random() < 0.5 else v["driver_id"]
    codes = [f"LG1:VEH:{v['vehicle']}", f"LG1:VEH:{v['trailer']}", f"LG1:TNK:{v['tank']}",
             f"LG1:PSN:{driver}", f"LG1:PSN:{v['escort_id']}",
             f"LG1:WBL:{pop.waybill_no(w)}"]
    return {"site": SITE, "gate": rng.choice(GATES),
            "scans": [{"text": c, "symbology": "QRCode"} for c in codes],
            "load": {"un_number": "1203", "quantity_kg": v["quantity"]},
            "checklist": dict(CHECKLIST), "idempotency_key": uuid.uuid4().hex}


class Client:
    """One keep-alive HTTP/1.1 connection to the in-process server."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.auth = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None
             ) -> tuple[float, int, dict[str, Any]]:
        headers = dict(self.auth)
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        began = time.perf_counter()
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - began
        return elapsed, response.status, json.loads(payload)

    def close(self) -> None:
        self.conn.close()


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Samples:
    """Round-trip and in-server times (seconds) of one endpoint."""

    http: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)


@dataclass
class Run:
    """What one backend's measurement produced."""

    verification: Samples = field(default_factory=Samples)
    floor: Samples = field(default_factory=Samples)
    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    load: list[float] = field(default_factory=list)


def _pair(client: Client, timer: TimedWsgi, pop: Population, w: int, rng: random.Random,
          run: Run | None) -> None:
    """One verification, then one floor lookup of the same tractor."""
    took, status, body = client.call("POST", "/api/v1/verifications", visit_body(pop, w, rng))
    if status != 200:
        raise RuntimeError(f"verification answered {status}: {body}")
    verification_server = timer.last
    path = "/bench/floor?plate=" + urllib.parse.quote(pop.visit(w)["vehicle"])
    floor_took, floor_status, floor_body = client.call("GET", path)
    if floor_status != 200 or not floor_body.get("found"):
        raise RuntimeError(f"floor answered {floor_status}: {floor_body}")
    if run is None:
        return
    run.verification.http.append(took)
    run.verification.server.append(verification_server)
    run.floor.http.append(floor_took)
    run.floor.server.append(timer.last)
    run.outcomes[body["outcome"]] += 1
    run.reasons.update(r["code"] for r in body["reasons"])
    run.reasons.update(f"missing:{slot}" for slot in body["missing"])


def measure(app: Flask, timer: TimedWsgi, token: str, pop: Population, waybills: list[int],
            warmup: int, rng: random.Random) -> Run:
    """Serve over HTTP, alternate verification / floor; the first ``warmup`` pairs are dropped."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client = Client(server.server_port, token)
    run = Run(load=[os.getloadavg()[0]])
    try:
        for n, w in enumerate(waybills):
            _pair(client, timer, pop, w, rng, run if n >= warmup else None)
    finally:
        client.close()
        server.shutdown()
        thread.join()
    run.load.append(os.getloadavg()[0])
    return run


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p90, p99 in milliseconds."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[89] * 1000, cuts[98] * 1000


# --- where the time goes ----------------------------------------------------------------------

# Phases of a verification: (label, module, function, depth). Each is timed (inclusive) by a
# wrapper put in place of the module attribute while the SQL is traced; a missing one is skipped.
PHASES = (
    ("token lookup (@require)", "gate_service.auth", "lookup_caller", 0),
    ("parse + validate body (marshmallow)", "gate_service.api.verifications", "json_object", 0),
    ("verify()", "gate_service.api.verifications", "verify", 0),
    ("site_for", "gate_service.decisions.service", "site_for", 1),
    ("chain.lock_head (both calls)", "gate_service.decisions.chain", "lock_head", 1),
    ("remember_ruleset", "gate_service.decisions.service", "remember_ruleset", 1),
    ("resolve()", "gate_service.decisions.service", "resolve", 1),
    ("rules.classify (scans)", "rules", "classify", 2),
    ("_by (waybill, vehicle + trailer, tank, carrier)", "gate_service.decisions.resolve", "_by",
     2),
    ("_people (scanned people, driver, escort)", "gate_service.decisions.resolve", "_people", 2),
    ("_products (site product + ADR + catalogue)", "gate_service.decisions.resolve", "_products",
     2),
    ("from_record (records -> facts)", "gate_service.decisions.resolve", "from_record", 2),
    ("rules.evaluate", "rules", "evaluate", 1),
    ("_claim_waybill (UPDATE)", "gate_service.decisions.service", "_claim_waybill", 1),
    ("record_decision()", "gate_service.decisions.service", "record_decision", 1),
    ("_evidence (facts -> JSON)", "gate_service.decisions.service", "_evidence", 2),
    ("pii.seal", "gate_service.decisions.pii", "seal", 2),
    ("chain.append (canonical JSON, hash, INSERT, head UPDATE)", "gate_service.decisions.chain",
     "append", 2),
    ("_outbox (2 events, response_of)", "gate_service.decisions.service", "_outbox", 2),
    ("response_of (API response)", "gate_service.api.verifications", "response_of", 0),
    ("Session.flush, all calls (overlaps the above)", "sqlalchemy.orm.session", "Session.flush",
     -1),
)


@dataclass
class PhaseTimer:
    """Inclusive perf_counter time and calls of each phase function while attached."""

    spent: dict[str, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0, 0]))
    saved: list[tuple[Any, str, Any]] = field(default_factory=list)

    def attach(self) -> None:
        for label, module_name, dotted, _depth in PHASES:
            owner: Any = sys.modules.get(module_name)
            *path, name = dotted.split(".")
            for part in path:
                owner = getattr(owner, part, None)
            if owner is not None and hasattr(owner, name):
                original = getattr(owner, name)
                self.saved.append((owner, name, original))
                setattr(owner, name, self._timed(label, original))

    def detach(self) -> None:
        for module, name, original in reversed(self.saved):
            setattr(module, name, original)
        self.saved.clear()

    def _timed(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                slot = self.spent[label]
                slot[0] += time.perf_counter() - began
                slot[1] += 1

        return timed

    def report(self, count: int, wall: float, commit: float) -> None:
        print(f"  phases of a verification (perf_counter, no profiler; ms per request, "
              f"inclusive, {count} requests):")
        print(f"    {wall / count * 1000:7.2f}        whole request (test client)")
        for label, _module, _name, depth in PHASES:
            if label in self.spent:
                took, calls = self.spent[label]
                print(f"    {took / count * 1000:7.2f}  {calls / count:4.1f}x  "
                      f"{'  ' * max(depth, 0)}{label}")
        top = sum(self.spent[label][0] for label, _m, _n, depth in PHASES
                  if depth == 0 and label in self.spent)
        print(f"    {commit / count * 1000:7.2f}        DBAPI commit")
        print(f"    {(wall - top - commit) / count * 1000:7.2f}        rest: Flask/test client, "
              "JSON response, session close")


PLUMBING = ("werkzeug/", "flask/", "contextlib.py", "bench/verify.py", "api/verifications.py")


def _plumbing(filename: str, func: str) -> bool:
    """Frames around the view (test client, Flask dispatch, the auth wrapper, the view)."""
    return (any(p in filename for p in PLUMBING) or func == "wrapped" and filename.endswith(
        "auth.py") or "disable" in func)


def _stat_rows(stats: pstats.Stats, skip_plumbing: bool) -> list[tuple[str, float, float, int]]:
    rows = []
    for (filename, line, func), (_cc, calls, tottime, cumtime, _callers) in \
            stats.stats.items():  # type: ignore[attr-defined]
        if not (skip_plumbing and _plumbing(filename, func)):
            rows.append((f"{filename}:{line}({func})", cumtime, tottime, calls))
    return rows


def _short(name: str) -> str:
    for marker in ("site-packages/", "/work/main/", str(Path(sys.prefix))):
        if marker in name:
            name = name.split(marker, 1)[1]
    return name


def print_profile(stats: pstats.Stats, count: int) -> None:
    """Top 10 by cumulative and by own time (request plumbing left out of the first)."""
    rows = _stat_rows(stats, skip_plumbing=False)
    useful = _stat_rows(stats, skip_plumbing=True)
    print(f"  top 10 by cumulative time, ms per verification ({count} under cProfile; the "
          "request plumbing of werkzeug/flask left out):")
    for name, cum, own, calls in sorted(useful, key=lambda r: -r[1])[:10]:
        print(f"    {cum / count * 1000:7.2f} cum {own / count * 1000:6.2f} own "
              f"{calls / count:5.1f} calls  {_short(name)}")
    print("  top 10 by own time:")
    for name, cum, own, calls in sorted(rows, key=lambda r: -r[2])[:10]:
        print(f"    {own / count * 1000:7.2f} own {cum / count * 1000:6.2f} cum "
              f"{calls / count:5.1f} calls  {_short(name)}")


def profile_verifications(app: Flask, token: str, pop: Population, waybills: list[int],
                          rng: random.Random) -> None:
    """Run verifications in this thread under cProfile (through the test client)."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    profiler = cProfile.Profile()
    profiler.enable()
    for w in waybills:
        client.post("/api/v1/verifications", json=visit_body(pop, w, rng), headers=headers)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    print_profile(stats, len(waybills))


@dataclass
class SqlTrace:
    """Statements executed, grouped by their text, with their time; the dialect's commit,
    rollback and pool pre-ping (which bypass the cursor events) are timed by wrapping them.
    Only the thread that attached counts (not the WAL checkpointer's)."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    began: dict[int, float] = field(default_factory=dict)
    thread: int = 0
    wrapped: tuple[str, ...] = ("do_commit", "do_rollback", "do_ping")

    def attach(self, engine: Engine) -> None:
        self.thread = threading.get_ident()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        for name in self.wrapped:
            setattr(engine.dialect, name, self._timed(name, getattr(engine.dialect, name)))

    def detach(self, engine: Engine) -> None:
        event.remove(engine, "before_cursor_execute", self._before)
        event.remove(engine, "after_cursor_execute", self._after)
        for name in self.wrapped:
            delattr(engine.dialect, name)

    def _timed(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        label = f"({name[3:].upper()})"

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                if threading.get_ident() == self.thread:
                    self.times[label].append(time.perf_counter() - began)

        return timed

    def _before(self, conn: Any, _cur: Any, _stmt: str, *_: Any) -> None:
        self.began[id(conn)] = time.perf_counter()

    def _after(self, conn: Any, _cur: Any, statement: str, *_: Any) -> None:
        took = time.perf_counter() - self.began.pop(id(conn), time.perf_counter())
        if threading.get_ident() == self.thread:
            self.times[" ".join(statement.split())].append(took)


def _label(statement: str) -> str:
    """``SELECT persons WHERE persons.id_number = ...``: the verb, the table, the condition."""
    if statement.startswith("("):
        return statement
    if " UNION ALL " in statement:
        parts = re.findall(r"'(\w+)' AS part", statement)
        return f"SELECT batch of {len(parts)} parts: {', '.join(parts)}"
    words = statement.split()
    marker = {"SELECT": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE", "DELETE": "FROM"}
    key = marker.get(words[0].upper())
    table = words[words.index(key) + 1] if key in words[:-1] else ""
    where = " WHERE " + statement.split(" WHERE ", 1)[1] if " WHERE " in statement else ""
    return f"{words[0]} {table}{where}"


def trace_sql(app: Flask, token: str, pop: Population, waybills: list[int],
              rng: random.Random) -> None:
    """Count and time the statements of verifications and of floor lookups, and the phases of
    the verifications (no profiler)."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    engine = app.extensions["gate.engine"]
    for name, call in (
        ("verification", lambda w: client.post("/api/v1/verifications",
                                               json=visit_body(pop, w, rng), headers=headers)),
        ("floor", lambda w: client.get("/bench/floor?plate="
                                       + urllib.parse.quote(pop.visit(w)["vehicle"]),
                                       headers=headers)),
    ):
        trace, phases = SqlTrace(), PhaseTimer()
        trace.attach(engine)
        if name == "verification":
            phases.attach()
        began = time.perf_counter()
        for w in waybills:
            call(w)
        wall = time.perf_counter() - began
        phases.detach()
        trace.detach(engine)
        n = len(waybills)
        total = sum(sum(t) for t in trace.times.values())
        calls = sum(len(t) for k, t in trace.times.items() if not k.startswith("("))
        other = sum(len(t) for k, t in trace.times.items() if k.startswith("("))
        print(f"  SQL per {name}: {calls / n:.1f} statements + {other / n:.1f} "
              f"commit/rollback/ping, {total / n * 1000:.2f} ms in the driver of "
              f"{wall / n * 1000:.2f} ms per request (test client, {n} requests, no profiler)")
        ranked = sorted(trace.times.items(), key=lambda kv: -sum(kv[1]))
        for statement, times in ranked[:24]:
            print(f"    {sum(times) / n * 1000:6.3f} ms  {len(times) / n:4.1f}x  "
                  f"avg {statistics.fmean(times) * 1000:6.3f}  {_label(statement)[:100]}")
        if name == "verification":
            phases.report(n, wall, sum(trace.times.get("(COMMIT)", [])))


# --- reporting ------------------------------------------------------------------------------


def print_latency(run: Run) -> None:
    """The percentile table and the target verdict."""
    for title, kind in (("round trip over HTTP (keep-alive; primary)", "http"),
                        ("in-server WSGI time", "server")):
        floor = percentiles(getattr(run.floor, kind))
        verification = percentiles(getattr(run.verification, kind))
        ratios = [v / f for v, f in zip(verification, floor, strict=True)]
        print(f"  {title}, {len(run.floor.http)} interleaved pairs:")
        print(f"    {'':24}{'p50':>9}{'p90':>9}{'p99':>9}  ms")
        print(f"    {'floor (1 lookup)':24}" + "".join(f"{x:9.2f}" for x in floor))
        print(f"    {'verification':24}" + "".join(f"{x:9.2f}" for x in verification))
        print(f"    {'ratio':24}" + "".join(f"{x:8.1f}x" for x in ratios))
        verdict = "MET" if ratios[2] <= 3 else "NOT MET"
        print(f"    target p99 <= 3x floor p99: {verdict} ({ratios[2]:.1f}x)")
    outcomes = ", ".join(f"{k} {v}" for k, v in run.outcomes.most_common())
    reasons = ", ".join(f"{k} {v}" for k, v in run.reasons.most_common(6))
    print(f"  outcomes: {outcomes}" + (f"  (reasons: {reasons})" if reasons else ""))
    print(f"  machine load average (1 min) before / after: {run.load[0]:.1f} / {run.load[1]:.1f} "
          f"on {os.cpu_count()} CPUs")


def audit(app: Flask) -> None:
    """Recompute the benchmark site's chain: the seeded history plus the decisions just made."""
    began = time.perf_counter()
    with app.app_context(), new_session() as session:
        report = chain.verify_site(session, SITE, get_settings(app).secret_key)
    print(f"  audit verify {report.describe()} ({time.perf_counter() - began:.1f} s)")


def fresh_waybills(pop: Population, needed: int, rng: random.Random) -> list[int]:
    """``needed`` distinct issued waybills of the site, in random order."""
    return rng.sample(range(pop.history, pop.sizes.waybills), needed)


def bench_backend(backend: str, sizes: Sizes, args: argparse.Namespace, workdir: Path) -> None:
    """Create, seed, measure, profile and drop one database."""
    needed = args.warmup + args.requests + args.profile + args.trace
    fresh = max(int(needed * 1.2), sizes.waybills // 20)
    if fresh > sizes.waybills:
        raise SystemExit(f"--waybills must be at least {fresh} for {needed} verifications")
    pop = Population(sizes, fresh, rules.local_date(dt.datetime.now(dt.UTC), "Asia/Shanghai"))
    rng = random.Random(20261128)
    db = create_database(backend, workdir, args.pg_admin_url, keep=args.keep is not None)
    app: Flask | None = None
    try:
        app, timer = build_app(db.url)
        print(f"\n== {backend}: {sizes.vehicles:,} vehicles, {sizes.persons:,} persons, "
              f"{sizes.tanks:,} tanks, {sizes.waybills:,} waybills, {sizes.decisions:,} "
              f"decisions ==")
        times = seed(app, db, pop)
        print(f"  seeding: {times.pop('total'):.1f} s")
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in times.items() if v >= 0.05)
        print(textwrap.fill(steps, 100, initial_indent="    ", subsequent_indent="    "))
        # As ``gate-service serve`` does (here after seeding, which uses a rollback journal):
        # WAL checkpoints off the request path, long-lived objects out of the collector's way.
        start_wal_checkpointer(app)
        gc.collect()
        gc.freeze()
        token = operator_token(app)
        order = fresh_waybills(pop, needed, rng)
        timed = order[: args.warmup + args.requests]
        print("  method: werkzeug threaded server, one keep-alive http.client connection; both "
              f"endpoints behind @require (token lookup); {args.warmup} warm-up pairs dropped")
        run = measure(app, timer, token, pop, timed, args.warmup, rng)
        print_latency(run)
        rest = order[len(timed):]
        if args.profile:
            profile_verifications(app, token, pop, rest[: args.profile], rng)
        if args.trace:
            trace_sql(app, token, pop, rest[args.profile:], rng)
        audit(app)
        if args.keep is not None:
            print(f"  kept: {db.url}")
    finally:
        if app is not None:
            app.extensions["gate.engine"].dispose()
        db.drop()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vehicles", type=int, default=100_000)
    parser.add_argument("--persons", type=int, help="default: as many as vehicles")
    parser.add_argument("--tanks", type=int, help="default: as many as vehicles")
    parser.add_argument("--waybills", type=int, default=1_000_000)
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=2000, help="timed verification/floor pairs")
    parser.add_argument("--warmup", type=int,
                        help="untimed pairs first; default min(100, requests/4)")
    parser.add_argument("--profile", type=int,
                        help="verifications under cProfile; default min(200, requests/2)")
    parser.add_argument("--trace", type=int,
                        help="verifications and floors with SQL traced; "
                        "default min(100, requests/4)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep the SQLite file here and do not drop the PostgreSQL database")
    args = parser.parse_args(argv)
    if args.vehicles < 20 or args.requests < 10:
        parser.error("need at least 20 vehicles and 10 requests")
    if (args.tanks or args.vehicles) < args.vehicles // 2 or (args.persons or args.vehicles) < 2:
        parser.error("need a tank per trailer (--tanks >= vehicles/2) and at least 2 persons")
    for name, default in (("warmup", min(100, args.requests // 4)),
                          ("profile", min(200, args.requests // 2)),
                          ("trace", min(100, args.requests // 4))):
        if getattr(args, name) is None:
            setattr(args, name, default)
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sizes = Sizes(args.vehicles, args.persons or args.vehicles, args.tanks or args.vehicles,
                  args.waybills, args.decisions)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for backend in backends:
        if backend not in ("sqlite", "postgresql"):
            raise SystemExit(f"unknown backend {backend!r}")
    began = time.perf_counter()
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        workdir, tmp = args.keep, None
    else:
        tmp = tempfile.mkdtemp(prefix="verify-bench-")
        workdir = Path(tmp)
    try:
        for backend in backends:
            bench_backend(backend, sizes, args, workdir)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\ntotal {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
