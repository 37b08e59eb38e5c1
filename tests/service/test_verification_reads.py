"""How a verification reads: batched JSON rows, the cached product master, live site products."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from gate_service import models as m
from gate_service.db import get_engine
from gate_service.db import get_engine_of
from gate_service.decisions.batch import Batch
from gate_service.decisions.batch import Part
from gate_service.products.reference import ReferenceCache
from gate_service.products.reference import reference_for
from tests.service.visits import visit

pytestmark = pytest.mark.usefixtures("demo")

RECORD_TABLES = [
    m.Waybill,
    m.Vehicle,
    m.Tank,
    m.Person,
    m.Carrier,
    m.Permit,
    m.BlacklistEntry,
    m.SiteProduct,
]
HYDROGEN_CYANIDE = "74-90-8"  # 剧毒 in the 2015 catalogue


def _awkward_person() -> dict[str, Any]:
    """Text that JSON must escape, a null, an empty list and a timestamp with microseconds."""
    stamp = dt.datetime(2026, 1, 31, 23, 59, 58, 123456, tzinfo=dt.UTC)
    return {
        "id_number": "11010519491231002X",
        "name": '王"小\\明\'',
        "phone": None,
        "qualification_cert_no": "京交危驾\n000001",
        "qualification_categories": [],
        "adr_specialisations": ["tank", "剧毒 / toxic"],
        "qualification_valid_until": dt.date(2026, 2, 28),
        "created_at": stamp,
        "updated_at": stamp,
    }


def test_batched_rows_equal_the_rows_read_one_table_at_a_time(app: Flask) -> None:
    tables = [model.__table__ for model in RECORD_TABLES]
    batch = Batch([Part(t.name, t, t.c.id > 0) for t in tables])
    with app.app_context(), get_engine().begin() as conn:
        conn.execute(insert(m.Person.__table__), _awkward_person())
        batched = batch.run(conn, {})
        for table in tables:
            expected = {row.id: dict(row._mapping) for row in conn.execute(select(table))}
            got = {row.id: vars(row) for row in batched[table.name]}
            assert expected, f"the sample has no {table.name}"
            assert got == expected, table.name
        conn.rollback()


def test_a_table_too_wide_for_one_json_row_is_refused_at_once() -> None:
    from sqlalchemy import Column
    from sqlalchemy import Integer
    from sqlalchemy import MetaData
    from sqlalchemy import Table

    wide = Table("wide", MetaData(), *(Column(f"c{i}", Integer) for i in range(51)))
    with pytest.raises(ValueError, match="at most 50 columns"):
        Batch([Part("wide", wide, wide.c.c0 > 0)])


def test_an_in_list_may_be_empty(app: Flask) -> None:
    from gate_service.decisions.resolve import _NAMED

    empty = {"waybill_nos": [], "plates": [], "tank_nos": [], "person_codes": []}
    with app.app_context(), get_engine().connect() as conn:
        assert _NAMED.run(conn, {**empty, "site": "JMS01", "key": "never-used"}) == {
            "earlier": [],
            "waybills": [],
            "vehicles": [],
            "tanks": [],
            "persons": [],
        }


def test_the_product_master_is_read_again_after_the_ttl(app: Flask) -> None:
    now = [0.0]
    cache = ReferenceCache(ttl=60, clock=lambda: now[0])
    with app.app_context(), get_engine().connect() as conn, conn.begin():
        assert cache.flags(conn, [HYDROGEN_CYANIDE])[HYDROGEN_CYANIDE]["highly_toxic"] is True
        assert cache.adr_rows(conn, ["1203"])["1203"][0].name_en != "CHANGED"
        serials = select(m.CasIndex.serial).where(m.CasIndex.cas == HYDROGEN_CYANIDE)
        conn.execute(
            update(m.CatalogueEntry)
            .where(m.CatalogueEntry.serial.in_(serials))
            .values(highly_toxic=False)
        )
        conn.execute(
            update(m.AdrEntry).where(m.AdrEntry.un_number == "1203").values(name_en="CHANGED")
        )
        now[0] = 59.0
        assert cache.flags(conn, [HYDROGEN_CYANIDE])[HYDROGEN_CYANIDE]["highly_toxic"] is True
        assert cache.adr_rows(conn, ["1203"])["1203"][0].name_en != "CHANGED"
        now[0] = 61.0
        assert cache.flags(conn, [HYDROGEN_CYANIDE])[HYDROGEN_CYANIDE]["highly_toxic"] is False
        assert {r.name_en for r in cache.adr_rows(conn, ["1203"])["1203"]} == {"CHANGED"}
        conn.rollback()  # the reference tables are shared by every test


def test_unknown_numbers_are_cached_as_unknown(app: Flask) -> None:
    cache = ReferenceCache()
    with app.app_context(), get_engine().connect() as conn:
        assert cache.adr_rows(conn, ["9999"]) == {"9999": ()}
        assert cache.flags(conn, ["50-00-0", "1-11-1"])["1-11-1"] == {
            "highly_toxic": False,
            "explosive_precursor": False,
            "high_risk": False,
        }


def test_each_database_has_its_own_cache(app: Flask, tmp_path: Any) -> None:
    from gate_service import create_app

    other = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'other.db'}"})
    assert reference_for(get_engine_of(app)) is reference_for(get_engine_of(app))
    assert reference_for(get_engine_of(app)) is not reference_for(get_engine_of(other))


def test_a_site_product_edit_counts_at_the_next_visit(
    app: Flask, client: FlaskClient, auth: Any
) -> None:
    first = client.post("/api/v1/verifications", json=visit(), headers=auth("operator")).json
    assert first["outcome"] == "ALLOW", first
    # That visit cached the product master; the site's own product records are read every time.
    with app.app_context(), get_engine().begin() as conn:
        conn.execute(
            update(m.SiteProduct)
            .where(m.SiteProduct.site_code == "JMS01", m.SiteProduct.un_number == "1203")
            .values(sds_version=None)
        )
    body = client.post("/api/v1/verifications", json=visit(), headers=auth("operator")).json
    assert "SDS_LABEL_MISSING" in {r["code"] for r in body["reasons"]}, body
