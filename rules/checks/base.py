"""What every check shares: its declaration, the violation builder and fact look-ups."""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING
from typing import Any

from rules.dates import days_left
from rules.dates import validity
from rules.identifiers import normalise_plate
from rules.model import CheckContext
from rules.model import PersonFacts
from rules.model import PlannedLoad
from rules.model import ProductFacts
from rules.model import Severity
from rules.model import Violation
from rules.model import WaybillFacts

if TYPE_CHECKING:
    from rules.profile import Profile

CheckFn = Callable[[CheckContext], list[Violation]]

UNAVAILABLE = "CHECK_DATA_UNAVAILABLE"

# Parameter kinds a profile may set; `profile.py` validates values against them.
PARAM_KINDS = frozenset(
    {"bool", "int", "number", "str", "choice", "str_list", "pair_list", "str_map", "str_list_map"}
)


def _no_params() -> Mapping[str, ParamSpec]:
    return {}


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One tunable of a check: kind, default, and allowed values (choice) or keys (maps)."""

    kind: str
    default: Any
    choices: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A registered check: id, titles, the function, the codes it may emit and its parameters."""

    id: str
    title: str
    title_en: str
    run: CheckFn
    codes: tuple[str, ...]
    params: Mapping[str, ParamSpec] = field(default_factory=_no_params)


class _KeepMissing(dict[str, Any]):
    # A template naming a fact the check did not supply keeps its placeholder instead of failing:
    # a wording slip in a profile must never turn a refusal into an exception.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _format(template: str, details: Mapping[str, Any]) -> str:
    try:
        return string.Formatter().vformat(template, (), _KeepMissing(details))
    except (ValueError, IndexError, KeyError, AttributeError, TypeError):
        return template


def _plain(value: Any) -> Any:
    # Details travel to JSON logs; keep them JSON-friendly.
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list | set | frozenset):
        return [_plain(v) for v in value]
    return value


def emit_for(
    profile: Profile,
    check: str,
    code: str,
    subject: str,
    *,
    severity: Severity = "refuse",
    **details: Any,
) -> Violation:
    """Build a violation with its messages formatted from the profile's templates."""
    plain = {k: _plain(v) for k, v in details.items()}
    message = profile.messages.get(code)
    zh = _format(message.zh, plain) if message else code
    en = _format(message.en, plain) if message else code
    return Violation(
        check=check,
        code=code,
        severity=severity,
        subject=subject,
        message=zh,
        message_en=en,
        citation=profile.citations.get(check, ""),
        details=plain,
    )


def emit(
    ctx: CheckContext,
    check: str,
    code: str,
    subject: str,
    *,
    severity: Severity = "refuse",
    **details: Any,
) -> Violation:
    """`emit_for` with the context's profile."""
    return emit_for(ctx.profile, check, code, subject, severity=severity, **details)


def unknown(
    ctx: CheckContext, check: str, subject: str, what: str, what_en: str, **details: Any
) -> Violation:
    """A fact the check needs is missing or unreadable: UNKNOWN, which refuses (fail closed)."""
    return emit(ctx, check, UNAVAILABLE, subject, what=what, what_en=what_en, **details)


def params(ctx: CheckContext, check: str) -> Mapping[str, Any]:
    """The check's parameters from the profile, defaults already merged."""
    return ctx.profile.params(check)


def dated(
    ctx: CheckContext,
    check: str,
    subject: str,
    until: date | None,
    *,
    missing: str,
    expired: str,
    expiring: str,
    **details: Any,
) -> list[Violation]:
    """Check an inclusive end date: missing or expired refuses, expiring soon warns.

    `why`/`why_en` in `details` explain a missing date; for an expired one they are replaced by
    the end date, so one template ("…（{plate}：{why}）") reads right in every case.
    """
    if until is None:
        details.setdefault("why", "无有效期")
        details.setdefault("why_en", "no validity date on record")
        return [emit(ctx, check, missing, subject, until="—", **details)]
    state = validity(until, ctx.local_date, ctx.profile.warning_horizon_days)
    left = days_left(until, ctx.local_date)
    if state == "expired":
        details |= {
            "why": f"有效期至 {until.isoformat()}",
            "why_en": f"valid until {until.isoformat()}",
        }
        return [emit(ctx, check, expired, subject, until=until, days=left, **details)]
    if state == "expiring":
        return [
            emit(ctx, check, expiring, subject, severity="warn", until=until, days=left, **details)
        ]
    return []


# --- Normalised comparisons -----------------------------------------------------------------------


def kg(value: float | None) -> str:
    """A mass for a message: "18000", "18000.5", or "—" when unknown."""
    if value is None:
        return "—"
    return f"{value:.3f}".rstrip("0").rstrip(".")


@lru_cache(maxsize=4096)
def norm_key(value: str | None) -> str:
    """Fold width, case and spaces, so keys typed or scanned differently still compare."""
    if value is None:
        return ""
    return "".join(unicodedata.normalize("NFKC", value).upper().split())


def norm_un(value: str | None) -> str:
    """ "UN 1203", "un1203" and "1203" all become "1203"."""
    key = norm_key(value)
    return key[2:] if key.startswith("UN") else key


def norm_name(value: str | None) -> str:
    """Names compare without width, case and whitespace differences."""
    return norm_key(value)


def same_plate(a: str | None, b: str | None) -> bool:
    """Whether two plates are the same after normalisation (both must be present)."""
    return bool(a and b) and normalise_plate(a or "") == normalise_plate(b or "")


def person_keys(person: PersonFacts | None) -> set[str]:
    """The identifiers a scan may carry for a person: ID number and certificate numbers."""
    if person is None:
        return set()
    keys = {person.id_number, person.qualification_cert_no, person.adr_cert_no}
    return {norm_key(k) for k in keys if k}


def active(record: Any) -> bool:
    """Inactive (deactivated) records count as not on file."""
    if isinstance(record, WaybillFacts):  # its `status` is the waybill state
        return record.record_status == "active"
    return getattr(record, "status", "active") == "active"


def presented(ctx: CheckContext, slot: str) -> str | None:
    """The identifier scanned for a slot, or None when the slot was not presented."""
    value = ctx.presented.get(slot)
    return value if isinstance(value, str) and value.strip() else None


# --- The plan and its products --------------------------------------------------------------------


def planned_loads(ctx: CheckContext) -> tuple[PlannedLoad, ...]:
    """The plan: the given load, else the waybill's goods when the profile lets them stand in."""
    if ctx.load is not None:
        return (ctx.load,)
    if ctx.profile.require_load or ctx.waybill is None:
        return ()
    return tuple(
        PlannedLoad(
            un_number=line.un_number,
            quantity_kg=line.quantity_kg or 0,
            packing_group=line.packing_group,
            name=line.name or None,
        )
        for line in ctx.waybill.goods
    )


def load_packing_group(ctx: CheckContext, load: PlannedLoad) -> str | None:
    """The load's packing group, else the one on the waybill line with the same UN number."""
    if load.packing_group:
        return load.packing_group
    if ctx.waybill is not None:
        for line in ctx.waybill.goods:
            if norm_un(line.un_number) == norm_un(load.un_number) and line.packing_group:
                return line.packing_group
    return None


def product_for(
    ctx: CheckContext, un_number: str, packing_group: str | None
) -> ProductFacts | None:
    """The active product-master entry: "UN/PG" key first, then the UN number alone."""
    wanted = norm_un(un_number)
    pg = norm_key(packing_group)
    by_un: ProductFacts | None = None
    for key, product in ctx.products.items():
        un_part, _, pg_part = key.partition("/")
        if norm_un(un_part) != wanted or not active(product):
            continue
        if pg and norm_key(pg_part) == pg:
            return product
        if not pg_part:
            by_un = product
    return by_un


def planned_products(ctx: CheckContext) -> list[tuple[PlannedLoad, ProductFacts]]:
    """Each planned load with its product; loads without one are C25's to report."""
    pairs = []
    for load in planned_loads(ctx):
        product = product_for(ctx, load.un_number, load_packing_group(ctx, load))
        if product is not None:
            pairs.append((load, product))
    return pairs


def product_subject(product: ProductFacts) -> str:
    """Subject string of a product: "product:UN1203"."""
    return f"product:UN{norm_un(product.un_number)}"


def product_class(product: ProductFacts) -> str:
    """The product's class or division as written ("3", "6.1"); empty when unknown."""
    return (product.adr_class or "").strip()


def product_divisions(product: ProductFacts) -> set[str]:
    """Class and division keys of a product: {"2", "2.1"}, {"6", "6.1"}, {"1", "1.1"}, {"3"}."""
    cls = product_class(product)
    if not cls:
        return set()
    keys = {cls, cls.split(".")[0]}
    code = (product.classification_code or "").strip().upper()
    if cls == "1" and code[:3].count(".") == 1:
        keys.add(code[:3])  # "1.1D" → division 1.1
    if cls == "2" and code:
        # ADR class 2 has no divisions; Chinese scopes use GB 6944's: toxic 2.3, else
        # flammable 2.1, else 2.2 (the letters of the classification code say which).
        letters = code.lstrip("0123456789")
        keys.add("2.3" if "T" in letters else "2.1" if "F" in letters else "2.2")
    return keys
