"""Crew checks: driver (C05), escort (C06) and who is at the gate versus the waybill (C07)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rules.checks.base import CheckSpec
from rules.checks.base import ParamSpec
from rules.checks.base import active
from rules.checks.base import dated
from rules.checks.base import emit
from rules.checks.base import norm_key
from rules.checks.base import params
from rules.checks.base import person_keys
from rules.checks.base import planned_products
from rules.checks.base import presented
from rules.checks.base import product_class
from rules.model import CheckContext
from rules.model import PersonFacts
from rules.model import Violation
from rules.tankcode import main_class

CONDITIONS = ("highly_toxic", "class_1", "class_7")
_KINDS_ZH = {"tractor": "牵引车", "truck": "货车", "trailer": "挂车"}


def _conditions(ctx: CheckContext) -> set[str]:
    """Which extra qualifications the planned goods call for."""
    found: set[str] = set()
    for _, product in planned_products(ctx):
        if product.highly_toxic:
            found.add("highly_toxic")
        cls = main_class(product_class(product))
        if cls in {"1", "7"}:
            found.add(f"class_{cls}")
    return found


def _lacking(ctx: CheckContext, p: Mapping[str, Any], have: tuple[str, ...]) -> list[str]:
    needed = list(p["required_categories"])
    endorsements: Mapping[str, str] = p["endorsements"]
    needed += [endorsements[c] for c in sorted(_conditions(ctx)) if c in endorsements]
    held = {norm_key(h) for h in have}
    return [n for n in dict.fromkeys(needed) if norm_key(n) not in held]


def _not_on_file(ctx: CheckContext, slot: str, wanted: str | None) -> str | None:
    # Without a waybill the driver/escort cannot be known yet: that is INCOMPLETE, not a refusal.
    if ctx.waybill is None or slot in ctx.unavailable:
        return None
    return wanted or presented(ctx, slot)


def check_c05_driver(ctx: CheckContext) -> list[Violation]:
    """Driver's qualification certificate (or ADR certificate), categories and driving licence."""
    p = params(ctx, "C05")
    person = ctx.driver
    if person is None:
        key = _not_on_file(ctx, "driver", ctx.waybill.driver_id_number if ctx.waybill else None)
        if key is None:
            return []
        return [
            emit(
                ctx,
                "C05",
                "DRIVER_CERT_INVALID",
                f"driver:{key}",
                name=key,
                why="无人员档案",
                why_en="no person record on file",
            )
        ]
    subject = f"driver:{person.id_number}"
    if not active(person):
        return [
            emit(
                ctx,
                "C05",
                "DRIVER_CERT_INVALID",
                subject,
                name=person.name,
                why="人员档案已停用",
                why_en="person record is inactive",
            )
        ]
    adr = p["certificate"] == "adr"
    cert_no = person.adr_cert_no if adr else person.qualification_cert_no
    until = person.adr_valid_until if adr else person.qualification_valid_until
    have = person.adr_specialisations if adr else person.qualification_categories
    out: list[Violation] = []
    if not cert_no:
        out.append(
            emit(
                ctx,
                "C05",
                "DRIVER_CERT_INVALID",
                subject,
                name=person.name,
                why="无证件号",
                why_en="no certificate number",
            )
        )
    else:
        out += dated(
            ctx,
            "C05",
            subject,
            until,
            missing="DRIVER_CERT_INVALID",
            expired="DRIVER_CERT_EXPIRED",
            expiring="DRIVER_CERT_EXPIRING",
            name=person.name,
            cert_no=cert_no,
            why="证件有效期缺失",
            why_en="certificate validity date missing",
        )
    lacking = _lacking(ctx, p, have)
    if lacking:
        out.append(
            emit(
                ctx,
                "C05",
                "DRIVER_CERT_CATEGORY_MISMATCH",
                subject,
                name=person.name,
                lacking="、".join(lacking),
                lacking_en=", ".join(lacking),
            )
        )
    return out + _driving_license(ctx, p, person, subject)


def _driving_license(
    ctx: CheckContext, p: Mapping[str, Any], person: PersonFacts, subject: str
) -> list[Violation]:
    out = dated(
        ctx,
        "C05",
        subject,
        person.driving_license_valid_until,
        missing="DRIVER_LICENSE_INVALID",
        expired="DRIVER_LICENSE_INVALID",
        expiring="DRIVER_LICENSE_EXPIRING",
        name=person.name,
        license_class=person.driving_license_class or "—",
    )
    classes: Mapping[str, tuple[str, ...]] = p["license_classes"]
    kind = ctx.vehicle.kind if ctx.vehicle is not None else ""
    allowed = {norm_key(c) for c in classes.get(kind, ())}
    held = person.driving_license_class or "—"
    if allowed and norm_key(person.driving_license_class) not in allowed:
        out.append(
            emit(
                ctx,
                "C05",
                "DRIVER_LICENSE_INVALID",
                subject,
                name=person.name,
                license_class=held,
                why=f"准驾车型 {held} 不能驾驶{_KINDS_ZH.get(kind, kind)}",
                why_en=f"class {held} does not cover a {kind}",
            )
        )
    return out


def _same_person(ctx: CheckContext) -> bool:
    wb = ctx.waybill
    pairs = [
        (wb.driver_id_number if wb else None, wb.escort_id_number if wb else None),
        (
            ctx.driver.id_number if ctx.driver else None,
            ctx.escort.id_number if ctx.escort else None,
        ),
        (presented(ctx, "driver"), presented(ctx, "escort")),
    ]
    return any(a and b and norm_key(a) == norm_key(b) for a, b in pairs)


def check_c06_escort(ctx: CheckContext) -> list[Violation]:
    """An escort (押运员) other than the driver, with a valid 押运员 certificate."""
    p = params(ctx, "C06")
    wb = ctx.waybill
    out: list[Violation] = []
    if wb is not None and not wb.escort_id_number:
        out.append(
            emit(
                ctx,
                "C06",
                "ESCORT_MISSING",
                f"waybill:{wb.waybill_no}",
                why="运单未列押运员",
                why_en="the waybill names no escort",
            )
        )
    if _same_person(ctx):
        out.append(
            emit(
                ctx,
                "C06",
                "ESCORT_MISSING",
                "escort:same-as-driver",
                why="押运员与驾驶员为同一人",
                why_en="escort and driver are the same person",
            )
        )
    person = ctx.escort
    if person is None:
        key = _not_on_file(ctx, "escort", wb.escort_id_number if wb else None)
        if key is not None:
            out.append(
                emit(
                    ctx,
                    "C06",
                    "ESCORT_CERT_INVALID",
                    f"escort:{key}",
                    name=key,
                    why="无人员档案",
                    why_en="no person record on file",
                )
            )
        return out
    subject = f"escort:{person.id_number}"
    name = person.name

    def invalid(why: str, why_en: str) -> Violation:
        return emit(ctx, "C06", "ESCORT_CERT_INVALID", subject, name=name, why=why, why_en=why_en)

    if not active(person):
        return out + [invalid("人员档案已停用", "person record is inactive")]
    if not person.qualification_cert_no:
        out.append(invalid("无从业资格证号", "no qualification certificate number"))
    else:
        out += dated(
            ctx,
            "C06",
            subject,
            person.qualification_valid_until,
            missing="ESCORT_CERT_INVALID",
            expired="ESCORT_CERT_EXPIRED",
            expiring="ESCORT_CERT_EXPIRING",
            name=person.name,
            cert_no=person.qualification_cert_no,
            why="证件有效期缺失",
            why_en="certificate validity date missing",
        )
    lacking = _lacking(ctx, p, person.qualification_categories)
    if lacking:
        zh_list, en_list = "、".join(lacking), ", ".join(lacking)
        out.append(invalid(f"从业资格类别缺少 {zh_list}", f"qualification lacks {en_list}"))
    return out


def _waybill_keys(wanted: str | None, record: PersonFacts | None) -> set[str]:
    # Certificate numbers count only if the record really is the person the waybill names.
    if not wanted:
        return set()
    keys = {norm_key(wanted)}
    if record is not None and norm_key(record.id_number) == norm_key(wanted):
        keys |= person_keys(record)
    return keys


def check_c07_identity(ctx: CheckContext) -> list[Violation]:
    """Everyone scanned is the waybill's driver or escort, and is the holder of that identity."""
    wb = ctx.waybill
    if wb is None:
        return []
    out: list[Violation] = []
    allowed = _waybill_keys(wb.driver_id_number, ctx.driver) | _waybill_keys(
        wb.escort_id_number, ctx.escort
    )
    shown = [s.identifier for s in ctx.scans if s.kind == "PSN"]
    shown += [v for v in (presented(ctx, "driver"), presented(ctx, "escort")) if v]
    for identifier in dict.fromkeys(shown):
        if norm_key(identifier) not in allowed:
            out.append(
                emit(
                    ctx,
                    "C07",
                    "PERSON_NOT_ON_WAYBILL",
                    f"person:{identifier}",
                    person=identifier,
                    waybill_no=wb.waybill_no,
                )
            )
    for slot, record in (("driver", ctx.driver), ("escort", ctx.escort)):
        read = ctx.id_card_reads.get(slot)
        if read and record is not None and norm_key(read) != norm_key(record.id_number):
            out.append(
                emit(
                    ctx,
                    "C07",
                    "PERSON_IDENTITY_MISMATCH",
                    f"{slot}:{record.id_number}",
                    role=slot,
                    name=record.name,
                    read=read,
                )
            )
    return out


_CN_ENDORSEMENTS = {"highly_toxic": "剧毒", "class_1": "爆炸品", "class_7": "放射性"}

C05 = CheckSpec(
    "C05",
    "驾驶员从业资格与驾驶证",
    "driver qualification and driving licence",
    check_c05_driver,
    (
        "DRIVER_CERT_INVALID",
        "DRIVER_CERT_EXPIRED",
        "DRIVER_CERT_CATEGORY_MISMATCH",
        "DRIVER_CERT_EXPIRING",
        "DRIVER_LICENSE_INVALID",
        "DRIVER_LICENSE_EXPIRING",
    ),
    {
        "certificate": ParamSpec(
            "choice",
            "cn",
            ("cn", "adr"),
            "cn: 从业资格证 and its categories; adr: ADR certificate and specialisations",
        ),
        "required_categories": ParamSpec("str_list", ("驾驶员",)),
        "endorsements": ParamSpec("str_map", _CN_ENDORSEMENTS, CONDITIONS),
        "license_classes": ParamSpec("str_list_map", {}, ("tractor", "truck")),
    },
)
C06 = CheckSpec(
    "C06",
    "押运员在岗且证件有效",
    "escort present with a valid certificate",
    check_c06_escort,
    ("ESCORT_MISSING", "ESCORT_CERT_INVALID", "ESCORT_CERT_EXPIRED", "ESCORT_CERT_EXPIRING"),
    {
        "required_categories": ParamSpec("str_list", ("押运员",)),
        "endorsements": ParamSpec("str_map", _CN_ENDORSEMENTS, CONDITIONS),
    },
)
C07 = CheckSpec(
    "C07",
    "人证一致、人员为运单所列",
    "person matches certificate and waybill",
    check_c07_identity,
    ("PERSON_IDENTITY_MISMATCH", "PERSON_NOT_ON_WAYBILL"),
)
