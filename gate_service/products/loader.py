"""Load the product master (ADR 2025 Table A, 危险化学品目录 2015, 易制爆 2017) idempotently."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from rules import identifiers
from rules.identifiers import IdentifierError
from rules.identifiers import check_cas

from ..models import AdrEntry
from ..models import CasIndex
from ..models import CatalogueEntry
from .names_zh import NAMES_ZH

DATA_DIR = Path(identifiers.__file__).resolve().parent / "data"
ADR_FILE = Path("adr") / "bam-adr2025.tsv"
CATALOGUE_FILE = Path("cn") / "hazchem-catalog-2015.csv"
PRECURSOR_FILE = Path("cn") / "explosive-precursors-2017.csv"

ADR_COLUMNS = 97
CATALOGUE_HEADER = ["serial", "name", "alias", "cas", "highly_toxic", "note"]
PRECURSOR_HEADER = ["serial", "name", "alias", "cas", "note"]

# Progress callback: called once per step with the step's description.
Progress = Callable[[str], None]
LOAD_STEPS = 6


@dataclass(frozen=True)
class HighRiskChemical:
    """A chemical the city plan names for whole-chain control, and its catalogue rows."""

    name: str
    cas: str
    serials: tuple[int, ...]


# The five chemicals of the city's whole-chain control plan (全链条管控), keyed on the 2015
# catalogue's serials and CAS numbers. 硝酸铵 also covers 2287 硝酸铵肥料, which has no CAS.
HIGH_RISK_CHEMICALS: tuple[HighRiskChemical, ...] = (
    HighRiskChemical("硝酸铵", "6484-52-2", (2286, 2287)),
    HighRiskChemical("硝化棉", "9004-70-0", (2208,)),
    HighRiskChemical("液氨", "7664-41-7", (2,)),
    HighRiskChemical("液氯", "7782-50-5", (1381,)),
    HighRiskChemical("氰化钠", "143-33-9", (1688,)),
)


@dataclass(frozen=True)
class Invariants:
    """What the shipped files must contain (rules/data/*/README.md); anything else is refused."""

    adr_rows: int = 3374
    un_numbers: int = 2347
    catalogue_rows: int = 2829
    catalogue_serials: int = 2828
    highly_toxic: int = 148
    precursor_entries: int = 74
    precursors_matched: int = 72  # 易制爆 entries whose CAS is in the catalogue
    precursor_rows: int = 72  # catalogue rows flagged 易制爆 through those CAS numbers
    high_risk_rows: int = 6


EXPECTED = Invariants()


class ProductDataError(ValueError):
    """The data files are missing, malformed, or do not match the documented invariants."""


@dataclass(frozen=True)
class LoadStats:
    """What a load found and wrote.

    ``inserted``, ``updated``, ``unchanged`` and ``deleted`` count rows of all three reference
    tables (ADR entries, catalogue entries and the CAS index); a re-load of the same files gives
    inserted == updated == deleted == 0.
    """

    adr_rows: int
    catalogue_rows: int
    precursors_matched: int
    high_risk: int
    inserted: int
    updated: int
    unchanged: int
    deleted: int = 0

    def as_dict(self) -> dict[str, int]:
        """The figures as a plain dict (for JSON output)."""
        return asdict(self)


@dataclass
class _Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


@dataclass
class _Parsed:
    adr: list[dict[str, Any]]
    catalogue: list[dict[str, Any]]
    precursors: list[dict[str, Any]]
    precursors_matched: int = 0
    high_risk: int = 0


def load_products(
    session: Session, data_dir: Path | None = None, progress: Progress | None = None
) -> LoadStats:
    """Read the three data files, check them, and upsert them into the reference tables.

    Nothing is committed: the caller owns the transaction, so a failed check leaves the tables
    as they were. Rows are matched on (un_number, variant) and (serial, name); only changed rows
    are written, and rows no longer in the files are deleted (no table references these).

    :raises ProductDataError: when a file is missing or malformed, or the counts differ from
        :data:`EXPECTED`, before or after writing.
    """
    step: Progress = progress or (lambda _description: None)
    parsed = _parse(data_dir or DATA_DIR, step)
    counts = _Counts()
    _sync_rows(session, AdrEntry, ("un_number", "variant"), parsed.adr, counts)
    step("ADR Table A written")
    _sync_rows(session, CatalogueEntry, ("serial", "name"), parsed.catalogue, counts)
    step("catalogue written")
    _sync_cas_index(session, _cas_pairs(parsed.catalogue), counts)
    session.flush()
    step("CAS index written")
    _verify_tables(session)
    step("verified")
    return LoadStats(
        adr_rows=len(parsed.adr),
        catalogue_rows=len(parsed.catalogue),
        precursors_matched=parsed.precursors_matched,
        high_risk=parsed.high_risk,
        **asdict(counts),
    )


# --- Reading and checking the files ---------------------------------------------------------


def _parse(data_dir: Path, step: Progress) -> _Parsed:
    parsed = _Parsed(
        adr=read_adr(data_dir / ADR_FILE),
        catalogue=read_catalogue(data_dir / CATALOGUE_FILE),
        precursors=read_precursors(data_dir / PRECURSOR_FILE),
    )
    step("files read")
    parsed.precursors_matched = flag_precursors(parsed.catalogue, parsed.precursors)
    parsed.high_risk = flag_high_risk(parsed.catalogue)
    _check_invariants(parsed)
    step("files checked")
    return parsed


def _open_rows(path: Path, **reader_args: Any) -> Iterator[list[str]]:
    try:
        # utf-8-sig: a file re-saved by a spreadsheet gains a BOM; that must not break the header.
        with path.open(encoding="utf-8-sig", newline="") as fh:
            yield from csv.reader(fh, **reader_args)
    except FileNotFoundError as err:
        raise ProductDataError(f"data file missing: {path}") from err
    except UnicodeDecodeError as err:
        # BAM's own download is ISO-8859-1; the shipped copy is UTF-8 (rules/data/adr/README.md).
        raise ProductDataError(f"{path}: not UTF-8 ({err.reason} at byte {err.start})") from err


_UN = re.compile(r"[0-9]{4}")
# BAM writes tank codes with the German decimal comma (L1,5BN); ADR writes L1.5BN.
_DECIMAL_COMMA = re.compile(r"(?<=[0-9]),(?=[0-9])")


def read_adr(path: Path) -> list[dict[str, Any]]:
    """The rows of BAM's ADR table as AdrEntry column values, in file order."""
    rows = _open_rows(path, delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(rows, [])
    if len(header) != ADR_COLUMNS:
        raise ProductDataError(f"{path.name}: header has {len(header)} columns, expected 97")
    out = []
    for line_no, cells in enumerate(rows, start=2):
        if len(cells) != ADR_COLUMNS:
            raise ProductDataError(f"{path.name} line {line_no}: {len(cells)} fields, expected 97")
        out.append(_adr_row(dict(zip(header, cells, strict=True)), f"{path.name} line {line_no}"))
    return out


def _cell(rec: dict[str, str], column: str) -> str | None:
    value = rec[column].strip()
    return value or None


def _cells(rec: dict[str, str], prefix: str, count: int) -> list[str]:
    return [v for i in range(1, count + 1) if (v := _cell(rec, f"{prefix}{i}"))]


def _full_name(rec: dict[str, str], prefix: str, name: str, spec: str) -> str:
    # The prefix ("1,1-", "n-") is written against the name; the qualifying text follows it.
    head = rec[prefix].strip() + rec[name].strip()
    return " ".join(part for part in (head, rec[spec].strip()) if part)


def _adr_row(rec: dict[str, str], where: str) -> dict[str, Any]:
    un_number = rec["S_UNNR"].strip()
    if not _UN.fullmatch(un_number):
        raise ProductDataError(f"{where}: UN number {un_number!r} is not four digits")
    if rec["N_VERBOT"].strip() not in ("0", "1", "2"):
        raise ProductDataError(f"{where}: N_VERBOT {rec['N_VERBOT']!r} is not 0, 1 or 2")
    if not rec["N_LFDNR"].strip().isdigit() or not rec["S_KLASSE"].strip():
        raise ProductDataError(f"{where}: variant number or class missing")
    return {
        "un_number": un_number,
        "variant": int(rec["N_LFDNR"]),
        # Some variants have only an English (or only a German) name; the columns are NOT NULL.
        "name_de": _full_name(rec, "S_VORSILBE", "S_NAME", "S_SPEZIFIKATION"),
        "name_en": _full_name(rec, "S_VORSILBE_E", "S_NAME_E", "S_SPEZIFIKATION_E"),
        "name_zh": NAMES_ZH.get(un_number),
        "adr_class": rec["S_KLASSE"].strip(),
        "classification_code": _cell(rec, "S_KLASSIFIZIERUNGSCODE"),
        "packing_group": _cell(rec, "S_VP_GRUPPE"),
        "labels": _cells(rec, "S_KENN", 4),
        "portable_tank_instructions": _cells(rec, "S_UN_TANK", 4),
        "tank_codes": [_DECIMAL_COMMA.sub(".", c) for c in _cells(rec, "S_TANK_CODE", 2)],
        "tank_special_provisions": _cells(rec, "S_SV_TANK", 8),
        "tank_vehicle": _cell(rec, "S_TANKFAHRZEUG"),
        "transport_category": _cell(rec, "S_BEFOERDERUNGSKATEGORIE"),
        "tunnel_code": _cell(rec, "S_TUNNEL_CODE"),
        "hazard_number": _cell(rec, "S_GEFAHRNR"),
        "compatibility_group": _cell(rec, "S_VERTRAEGL_GR"),
        # 1 = regular entry, 0 = carriage prohibited, 2 = not subject to ADR.
        "status_code": int(rec["N_VERBOT"]),
        "remark": _cell(rec, "S_BEMERKUNG"),
    }


def _read_csv(path: Path, header: list[str]) -> Iterator[tuple[str, dict[str, str]]]:
    rows = _open_rows(path)
    found = next(rows, [])
    if found != header:
        raise ProductDataError(f"{path.name}: header {found}, expected {header}")
    for line_no, cells in enumerate(rows, start=2):
        if len(cells) != len(header):
            raise ProductDataError(f"{path.name} line {line_no}: {len(cells)} fields")
        yield f"{path.name} line {line_no}", dict(zip(header, (c.strip() for c in cells),
                                                      strict=True))


def _cas(value: str, where: str) -> str:
    try:
        return check_cas(value)
    except IdentifierError as err:
        raise ProductDataError(f"{where}: {err.en}") from err


def read_catalogue(path: Path) -> list[dict[str, Any]]:
    """The rows of 危险化学品目录（2015版） as CatalogueEntry column values (flags still off)."""
    out = []
    for where, rec in _read_csv(path, CATALOGUE_HEADER):
        if not rec["serial"].isdigit() or not rec["name"] or rec["highly_toxic"] not in ("0", "1"):
            raise ProductDataError(f"{where}: serial, name or highly_toxic is malformed")
        out.append({
            "serial": int(rec["serial"]),
            "name": rec["name"],
            "alias": rec["alias"] or None,
            # Ten entries list several CAS numbers joined with ";".
            "cas_numbers": [_cas(c, where) for c in rec["cas"].split(";") if c.strip()],
            "highly_toxic": rec["highly_toxic"] == "1",
            "explosive_precursor": False,
            "precursor_serial": None,
            "high_risk": False,
        })
    return out


def read_precursors(path: Path) -> list[dict[str, Any]]:
    """The entries of 易制爆危险化学品名录（2017年版）: serial (text, "2.10"), name, CAS or None."""
    return [
        {"serial": rec["serial"], "name": rec["name"],
         "cas": _cas(rec["cas"], where) if rec["cas"] else None}
        for where, rec in _read_csv(path, PRECURSOR_HEADER)
    ]


def _rows_by_cas(catalogue: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_cas: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in catalogue:
        for cas in row["cas_numbers"]:
            by_cas[cas].append(row)
    return by_cas


def flag_precursors(catalogue: list[dict[str, Any]], precursors: list[dict[str, Any]]) -> int:
    """Mark the catalogue rows that share a CAS number with a 易制爆 entry; return how many
    易制爆 entries matched (the 2017 list has no 硝酸铵, and 9.7 季戊四醇 is not in the 2015
    catalogue)."""
    by_cas = _rows_by_cas(catalogue)
    matched = 0
    for entry in precursors:
        rows = by_cas.get(entry["cas"] or "", [])
        matched += bool(rows)
        for row in rows:
            row["explosive_precursor"] = True
            row["precursor_serial"] = entry["serial"]
    return matched


def flag_high_risk(catalogue: list[dict[str, Any]]) -> int:
    """Mark the rows of :data:`HIGH_RISK_CHEMICALS` (by serial or CAS); return how many."""
    serials = {s for chem in HIGH_RISK_CHEMICALS for s in chem.serials}
    cas_numbers = {chem.cas for chem in HIGH_RISK_CHEMICALS}
    flagged = 0
    for row in catalogue:
        if row["serial"] in serials or cas_numbers.intersection(row["cas_numbers"]):
            row["high_risk"] = True
            flagged += 1
    return flagged


def _check_invariants(parsed: _Parsed, expected: Invariants = EXPECTED) -> None:
    adr, cat = parsed.adr, parsed.catalogue
    found = {
        "adr_rows": len(adr),
        "un_numbers": len({r["un_number"] for r in adr}),
        "catalogue_rows": len(cat),
        "catalogue_serials": len({r["serial"] for r in cat}),
        "highly_toxic": sum(r["highly_toxic"] for r in cat),
        "precursor_entries": len(parsed.precursors),
        "precursors_matched": parsed.precursors_matched,
        "precursor_rows": sum(r["explosive_precursor"] for r in cat),
        "high_risk_rows": parsed.high_risk,
    }
    problems = [f"{name}: {value}, expected {getattr(expected, name)}"
                for name, value in found.items() if value != getattr(expected, name)]
    problems += _duplicate_keys(adr, ("un_number", "variant"))
    problems += _duplicate_keys(cat, ("serial", "name"))
    problems += _missing_high_risk(cat)
    if problems:
        raise ProductDataError("product data does not match its README: " + "; ".join(problems))


def _duplicate_keys(rows: list[dict[str, Any]], key: tuple[str, ...]) -> list[str]:
    seen: set[tuple[Any, ...]] = set()
    dupes = []
    for row in rows:
        k = tuple(row[c] for c in key)
        if k in seen:
            dupes.append(f"duplicate {'/'.join(key)} {k}")
        seen.add(k)
    return dupes


def _missing_high_risk(catalogue: list[dict[str, Any]]) -> list[str]:
    serials = {r["serial"] for r in catalogue}
    cas_numbers = set(_rows_by_cas(catalogue))
    return [f"high-risk chemical {chem.name} ({chem.cas}, {chem.serials}) not in the catalogue"
            for chem in HIGH_RISK_CHEMICALS
            if chem.cas not in cas_numbers or not serials.issuperset(chem.serials)]


def _cas_pairs(catalogue: list[dict[str, Any]]) -> set[tuple[str, int]]:
    # 三氯化铁 and 三氯化铁溶液 share serial and CAS: one index row.
    return {(cas, row["serial"]) for row in catalogue for cas in row["cas_numbers"]}


# --- Writing only what changed --------------------------------------------------------------


def _sync_rows(
    session: Session, model: Any, key: tuple[str, ...], rows: list[dict[str, Any]],
    counts: _Counts,
) -> None:
    existing = {tuple(r[c] for c in key): r
                for r in session.execute(select(model.__table__)).mappings()}
    new, changed = [], []
    for row in rows:
        old = existing.pop(tuple(row[c] for c in key), None)
        if old is None:
            new.append(row)
        elif any(old[column] != value for column, value in row.items()):
            changed.append({"id": old["id"], **row})
        else:
            counts.unchanged += 1
    # Whatever is left in `existing` is no longer in the files.
    if existing:
        stale = [r["id"] for r in existing.values()]
        session.execute(delete(model).where(model.id.in_(stale)))
    if new:
        session.execute(insert(model), new)
    if changed:
        session.execute(update(model), changed)  # ORM bulk UPDATE by primary key
    counts.inserted += len(new)
    counts.updated += len(changed)
    counts.deleted += len(existing)


def _sync_cas_index(session: Session, wanted: set[tuple[str, int]], counts: _Counts) -> None:
    table = CasIndex.metadata.tables[CasIndex.__tablename__]
    have = {(r.cas, r.serial) for r in session.execute(select(table.c.cas, table.c.serial))}
    stale = [{"b_cas": c, "b_serial": s} for c, s in sorted(have - wanted)]
    new = [{"cas": c, "serial": s} for c, s in sorted(wanted - have)]
    if stale:
        session.execute(
            table.delete().where(table.c.cas == bindparam("b_cas"),
                                 table.c.serial == bindparam("b_serial")),
            stale,
        )
    if new:
        session.execute(insert(CasIndex), new)
    counts.inserted += len(new)
    counts.deleted += len(stale)
    counts.unchanged += len(have & wanted)


def _verify_tables(session: Session, expected: Invariants = EXPECTED) -> None:
    """Count again in the database, so a write that went wrong fails the load."""
    found = {
        "adr_rows": session.scalar(select(func.count()).select_from(AdrEntry)),
        "un_numbers": session.scalar(select(func.count(AdrEntry.un_number.distinct()))),
        "catalogue_rows": session.scalar(select(func.count()).select_from(CatalogueEntry)),
        "highly_toxic": session.scalar(
            select(func.count()).where(CatalogueEntry.highly_toxic.is_(True))),
        "precursor_rows": session.scalar(
            select(func.count()).where(CatalogueEntry.explosive_precursor.is_(True))),
        "high_risk_rows": session.scalar(
            select(func.count()).where(CatalogueEntry.high_risk.is_(True))),
    }
    problems = [f"{name}: {value} in the database, expected {getattr(expected, name)}"
                for name, value in found.items() if value != getattr(expected, name)]
    if problems:
        raise ProductDataError("product master check failed after loading: " + "; ".join(problems))
