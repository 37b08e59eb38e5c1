"""The product master loader: counts, invariants, idempotency, conversions, flags and lookups."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from gate_service.models import AdrEntry
from gate_service.models import Base
from gate_service.models import CasIndex
from gate_service.models import CatalogueEntry
from gate_service.models import SiteProduct
from gate_service.products import lookup
from gate_service.products.loader import DATA_DIR
from gate_service.products.loader import HIGH_RISK_CHEMICALS
from gate_service.products.loader import ProductDataError
from gate_service.products.loader import load_products
from gate_service.products.names_zh import NAMES_ZH


def _engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    return engine


def _load(engine: Engine, data_dir: Path | None = None) -> Any:
    with Session(engine) as session, session.begin():
        return load_products(session, data_dir)


def _snapshot(engine: Engine) -> dict[str, list[Any]]:
    with engine.connect() as conn:
        return {t.name: sorted(tuple(map(repr, row)) for row in conn.execute(select(t)))
                for t in (AdrEntry.__table__, CatalogueEntry.__table__, CasIndex.__table__)}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Any]]:
    """A database loaded once, shared by the read-only tests of this module."""
    engine = _engine(tmp_path_factory.mktemp("products") / "t.db")
    stats = _load(engine)
    yield engine, stats
    engine.dispose()


@pytest.fixture
def session(loaded: tuple[Engine, Any]) -> Iterator[Session]:
    """A session on the loaded database whose changes are rolled back."""
    with Session(loaded[0]) as s:
        yield s
        s.rollback()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Engine]:
    """An empty database with the schema."""
    engine = _engine(tmp_path / "t.db")
    yield engine
    engine.dispose()


def test_first_load_counts_and_invariants(loaded: tuple[Engine, Any], session: Session) -> None:
    _, stats = loaded
    assert (stats.adr_rows, stats.catalogue_rows) == (3374, 2829)
    assert (stats.precursors_matched, stats.high_risk) == (72, 6)
    cas_rows = session.scalar(select(func.count()).select_from(CasIndex))
    assert stats.inserted == 3374 + 2829 + cas_rows
    assert (stats.updated, stats.unchanged, stats.deleted) == (0, 0, 0)
    assert session.scalar(select(func.count(AdrEntry.un_number.distinct()))) == 2347
    assert session.scalar(select(func.count()).where(CatalogueEntry.highly_toxic.is_(True))) == 148
    assert session.scalar(select(func.count(CatalogueEntry.serial.distinct()))) == 2828
    statuses = dict(session.execute(
        select(AdrEntry.status_code, func.count()).group_by(AdrEntry.status_code)).all())
    assert statuses == {0: 14, 1: 3347, 2: 13}


def test_second_load_changes_nothing(fresh: Engine) -> None:
    first = _load(fresh)
    before = _snapshot(fresh)
    second = _load(fresh)
    assert (second.inserted, second.updated, second.deleted) == (0, 0, 0)
    assert second.unchanged == first.inserted
    assert _snapshot(fresh) == before


def test_reload_repairs_edited_added_and_removed_rows(fresh: Engine) -> None:
    _load(fresh)
    before = _snapshot(fresh)
    with Session(fresh) as s, s.begin():
        s.execute(update(AdrEntry).where(AdrEntry.un_number == "1203", AdrEntry.variant == 1)
                  .values(tank_codes=["L4BN"], name_zh=None))
        s.execute(update(CatalogueEntry).where(CatalogueEntry.serial == 1381)
                  .values(highly_toxic=False))
        s.add(AdrEntry(un_number="9999", variant=1, name_de="X", name_en="X", adr_class="9",
                       status_code=1))
        s.delete(s.scalars(select(CasIndex).where(CasIndex.cas == "143-33-9")).one())
    stats = _load(fresh)
    assert (stats.updated, stats.inserted, stats.deleted) == (2, 1, 1)
    assert _snapshot(fresh) == before


def test_german_decimal_comma_becomes_a_point(session: Session) -> None:
    crude = lookup.adr_row(session, "1267", "II")
    assert crude is not None and crude.tank_codes == ["L1.5BN"]
    codes = {c for (codes,) in session.execute(select(AdrEntry.tank_codes)) for c in codes}
    assert "S2.65AN(+)" in codes and "L2.65CN(+)" in codes
    assert not [c for c in codes if "," in c]


def test_columns_and_empty_cells(session: Session) -> None:
    ammonia = lookup.adr_row(session, "1005")
    assert ammonia is not None
    assert ammonia.packing_group is None and ammonia.remark is None
    assert ammonia.labels == ["2.3", "8"]
    assert ammonia.tank_codes == ["PxBH(M)"]
    assert ammonia.tank_special_provisions == ["TA4", "TT8", "TT9"]
    assert ammonia.portable_tank_instructions == ["T50", "(M)"]
    assert (ammonia.tank_vehicle, ammonia.transport_category, ammonia.tunnel_code) == (
        "AT", "1", "C/D")
    assert (ammonia.hazard_number, ammonia.classification_code) == ("268", "2TC")
    picrate = lookup.adr_row(session, "0004")
    assert picrate is not None and picrate.compatibility_group == "D"
    assert picrate.tank_codes == [] and picrate.tank_vehicle is None
    prohibited = lookup.adr_row(session, "1798")
    assert prohibited is not None and prohibited.status_code == 0
    assert prohibited.remark == "BEFÖRDERUNG VERBOTEN"
    # The prefix is joined to the name, the qualifying text follows it.
    difluoroethane = lookup.adr_row(session, "1030")
    assert difluoroethane is not None and difluoroethane.name_en.startswith("1,1-DIFLUOROETHANE")


def test_chinese_names_are_curated_for_known_un_numbers(session: Session) -> None:
    known = set(session.scalars(select(AdrEntry.un_number).distinct()))
    assert set(NAMES_ZH) <= known
    assert 30 <= len(NAMES_ZH) <= 70
    petrol = lookup.adr_rows(session, "1203")
    assert [r.name_zh for r in petrol] == ["汽油"] * 3
    assert lookup.adr_row(session, "1017").name_zh == "氯（液氯）"  # type: ignore[union-attr]
    assert lookup.adr_row(session, "0004").name_zh is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("cas", "serial", "toxic", "precursor", "high_risk"),
    [
        ("7782-50-5", 1381, True, False, True),  # 液氯
        ("143-33-9", 1688, True, False, True),  # 氰化钠
        ("7664-41-7", 2, False, False, True),  # 氨 / 液氨
        ("9004-70-0", 2208, False, True, True),  # 硝化棉
        ("6484-52-2", 2286, False, False, True),  # 硝酸铵: not on the 2017 易制爆 list
        ("7697-37-2", None, False, True, False),  # 硝酸: 易制爆 1.1
        ("67-56-1", None, False, False, False),  # 甲醇
    ],
)
def test_catalogue_flags(session: Session, cas: str, serial: int | None, toxic: bool,
                         precursor: bool, high_risk: bool) -> None:
    entry = lookup.catalogue_for_cas(session, cas)
    assert entry is not None
    if serial is not None:
        assert entry.serial == serial
    assert (entry.highly_toxic, entry.explosive_precursor, entry.high_risk) == (
        toxic, precursor, high_risk)


def test_precursor_serial_and_high_risk_rows(session: Session) -> None:
    nitrocellulose = lookup.catalogue_for_cas(session, "9004-70-0")
    assert nitrocellulose is not None and nitrocellulose.precursor_serial == "9.1"
    flagged = set(session.scalars(select(CatalogueEntry.serial)
                                  .where(CatalogueEntry.high_risk.is_(True))))
    assert flagged == {s for chem in HIGH_RISK_CHEMICALS for s in chem.serials}
    assert 2287 in flagged  # 硝酸铵肥料, which has no CAS number


def test_several_cas_numbers_and_shared_cas(session: Session) -> None:
    silicide = lookup.catalogue_for_cas(session, "39404-03-0")
    assert silicide is not None and silicide.serial == 840
    assert silicide.cas_numbers == ["22831-39-6", "39404-03-0"]
    hydrogen_chloride = lookup.catalogue_entries_for_cas(session, "7647-01-0")
    assert [e.serial for e in hydrogen_chloride] == [1475, 2507]  # 氯化氢[无水] and 盐酸
    assert len(lookup.catalogue_entries_for_cas(session, "7705-08-0")) == 2  # 1850 and its variant
    assert lookup.catalogue_for_cas(session, "7732-18-5") is None  # water


def test_adr_row_chooses_variant(session: Session) -> None:
    assert lookup.adr_row(session, "1202").variant == 1  # type: ignore[union-attr]
    assert lookup.adr_row(session, "UN 3414", "2").variant == 2  # type: ignore[union-attr]
    assert lookup.adr_row(session, "3414", "III").variant == 3  # type: ignore[union-attr]
    assert lookup.adr_row(session, "1203", "I") is None
    assert lookup.adr_row(session, "9999") is None
    assert [r.variant for r in lookup.adr_rows(session, "1202")] == list(range(1, 10))


def _site_product(session: Session, **over: Any) -> SiteProduct:
    data = {"site_code": "JMS01", "product_code": "P-CL2", "name": "液氯", "cas": "7782-50-5",
            "un_number": "1017", "packing_group": None, "sds_version": "SDS-2025-3",
            "label_version": "LBL-7", **over}
    product = SiteProduct(**data)
    session.add(product)
    session.flush()
    return product


def test_product_facts_bridge_site_catalogue_and_adr(session: Session) -> None:
    _site_product(session)
    facts = lookup.product_facts(session, "JMS01", "UN1017")
    assert facts == {
        "un_number": "1017", "packing_group": None, "name": "液氯", "adr_class": "2",
        "classification_code": "2TOC", "labels": ("2.3", "5.1", "8"), "tank_codes": ("P22DH(M)",),
        "tank_special_provisions": ("TA4", "TT9", "TT10"),
        "portable_tank_instructions": ("T50", "(M)"), "tank_vehicle": "AT",
        "highly_toxic": True, "explosive_precursor": False, "high_risk": True,
        "sds_version": "SDS-2025-3", "label_version": "LBL-7", "carriage_prohibited": False,
        "known": True,
    }


def test_product_facts_uses_packing_group_and_site(session: Session) -> None:
    _site_product(session, product_code="P-NACN-2", name="氰化钠溶液", cas="143-33-9",
                  un_number="3414", packing_group="II")
    _site_product(session, product_code="P-NACN-3", name="氰化钠溶液（稀）", cas="143-33-9",
                  un_number="3414", packing_group="III")
    facts = lookup.product_facts(session, "JMS01", "3414", "III")
    assert (facts["name"], facts["packing_group"], facts["tank_codes"]) == (
        "氰化钠溶液（稀）", "III", ("L4BH",))
    assert facts["highly_toxic"] and facts["high_risk"]
    other_site = lookup.product_facts(session, "XYZ01", "3414", "II")
    assert other_site["name"] == "氰化钠溶液" and other_site["sds_version"] is None  # ADR name
    assert not other_site["highly_toxic"]  # no site product, so no CAS to look up
    assert lookup.site_product(session, "JMS01", "3414").product_code == "P-NACN-2"  # type: ignore[union-attr]


def test_product_facts_unknown_and_prohibited(session: Session) -> None:
    unknown = lookup.product_facts(session, "JMS01", "9999")
    assert unknown["known"] is False and unknown["adr_class"] is None
    assert unknown["tank_codes"] == ()
    prohibited = lookup.product_facts(session, "JMS01", "1798")
    assert prohibited["known"] and prohibited["carriage_prohibited"]
    wrong_group = lookup.product_facts(session, "JMS01", "1203", "III")
    assert wrong_group["known"] and wrong_group["adr_class"] is None


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target, ignore=shutil.ignore_patterns("*.md"))
    return target


def _drop_last_line(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")


def test_missing_rows_fail_loudly_and_write_nothing(fresh: Engine, tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    _drop_last_line(data / "adr" / "bam-adr2025.tsv")
    with pytest.raises(ProductDataError, match="adr_rows: 3373, expected 3374"):
        _load(fresh, data)
    with Session(fresh) as s:
        assert s.scalar(select(func.count()).select_from(AdrEntry)) == 0


def test_changed_catalogue_fails_loudly_and_keeps_previous_load(fresh: Engine,
                                                                tmp_path: Path) -> None:
    _load(fresh)
    before = _snapshot(fresh)
    data = _copy_data(tmp_path)
    path = data / "cn" / "hazchem-catalog-2015.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",1,剧毒\n", ",0,\n", 1),
                    encoding="utf-8")
    with pytest.raises(ProductDataError, match="highly_toxic: 147, expected 148"):
        _load(fresh, data)
    assert _snapshot(fresh) == before


@pytest.mark.parametrize(
    ("relative", "old", "new", "message"),
    [
        ("adr/bam-adr2025.tsv", "\tBENZIN\t", "\tBENZIN\tX\t", "fields, expected 97"),
        ("cn/hazchem-catalog-2015.csv", "67-56-1", "67-56-2", "check digit"),
        ("cn/explosive-precursors-2017.csv", "serial,name", "serial,title", "header"),
    ],
)
def test_malformed_files_fail_loudly(fresh: Engine, tmp_path: Path, relative: str, old: str,
                                     new: str, message: str) -> None:
    data = _copy_data(tmp_path)
    path = data / relative
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ProductDataError, match=message):
        _load(fresh, data)


def test_missing_file_fails_loudly(fresh: Engine, tmp_path: Path) -> None:
    with pytest.raises(ProductDataError, match="data file missing"):
        _load(fresh, tmp_path)
