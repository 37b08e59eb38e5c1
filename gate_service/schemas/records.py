"""Schemas of the pre-load files; field metadata carries the Chinese import header."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from marshmallow import RAISE
from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields as mf
from marshmallow import validate
from marshmallow import validates
from marshmallow import validates_schema

import rules
from rules.portable import portable_code

from . import fields as gf

QUALIFICATION_CATEGORIES = ("驾驶员", "押运员", "装卸管理人员", "剧毒", "爆炸品", "放射性")
ORG_KINDS = ("loader", "carrier", "consignor", "consignee")
ADR_SPECIALISATIONS = ("tank", "class1", "class7")
ADR_VEHICLE_TYPES = ("FL", "AT", "EX/II", "EX/III")
WAYBILL_STATUSES = ("issued", "loading", "loaded", "cancelled")


def zh(header: str, **kw: Any) -> dict[str, Any]:
    """Field keyword arguments carrying the Chinese column header."""
    meta = dict(kw.pop("metadata", {}))
    meta["zh"] = header
    return {"metadata": meta, **kw}


def one_of(choices: tuple[str, ...]) -> validate.OneOf:
    """A choice validator with a bilingual message."""
    listed = "、".join(choices)
    return validate.OneOf(
        choices, error=f"应为 {listed} 之一 / must be one of {', '.join(choices)}"
    )


def positive() -> validate.Range:
    """A strictly positive quantity."""
    return validate.Range(min=0, min_inclusive=False, error="应为正数 / must be positive")


def text(size: int = 255, **kw: Any) -> mf.String:
    """A bounded, non-empty string."""
    return mf.String(
        validate=validate.Length(min=1, max=size, error=f"长度应为 1–{size} / length 1–{size}"),
        **kw,
    )


def opt(field: mf.Field) -> mf.Field:
    """Make a field optional and nullable."""
    field.required = False
    field.allow_none = True
    return field


class StrictSchema(Schema):
    """Unknown fields are errors, with a bilingual message."""

    error_messages = {
        "unknown": "未知字段 / unknown field",
        "type": "输入类型无效 / invalid input type",
    }

    class Meta:
        unknown = RAISE


class RecordSchema(StrictSchema):
    """The columns every record has."""

    id = mf.Integer(dump_only=True)
    status = mf.String(dump_only=True)
    version = mf.Integer(dump_only=True)
    owner = opt(gf.Uscc(**zh("维护企业")))
    created_at = mf.DateTime(dump_only=True)
    updated_at = mf.DateTime(dump_only=True)

    def date_order(self, data: dict[str, Any], first: str, then: str) -> None:
        """Raise when ``then`` is earlier than ``first``."""
        a, b = data.get(first), data.get(then)
        if a is not None and b is not None and b < a:
            raise ValidationError({then: [f"不能早于 {first} / must not be before {first}"]})


class MediumSchema(StrictSchema):
    """One row of a tank's 适装介质列表."""

    un_number = gf.UnNumber(required=True)
    name = text(128, required=True)
    packing_group = opt(gf.PackingGroup())


class GoodsLineSchema(StrictSchema):
    """One goods line of a waybill."""

    un_number = gf.UnNumber(required=True)
    name = text(128, required=True)
    adr_class = mf.String(
        required=True,
        data_key="class",
        attribute="class",
        validate=validate.Regexp(r"^[1-9](\.[1-6])?$", error="类别无效 / bad class"),
    )
    packing_group = opt(gf.PackingGroup())
    quantity_kg = mf.Float(required=True, validate=positive())


class PermitGoodsSchema(StrictSchema):
    """One goods line of a permit, by UN number or CAS number."""

    un_number = opt(gf.UnNumber())
    cas = opt(gf.Cas())
    name = text(128, required=True)
    quantity_kg = mf.Float(required=True, validate=positive())

    @validates_schema
    def _un_or_cas(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("un_number") and not data.get("cas"):
            raise ValidationError("需填写 UN 号或 CAS 号 / give a UN number or a CAS number")


class OrganisationSchema(RecordSchema):
    """An enterprise."""

    uscc = gf.Uscc(required=True, **zh("统一社会信用代码"))
    name = text(required=True, **zh("企业名称"))
    kinds = gf.StringList(choices=ORG_KINDS, **zh("企业类型"))


class SiteSchema(RecordSchema):
    """A loading site."""

    code = text(64, required=True, **zh("站点编码"))
    name = text(required=True, **zh("名称"))
    owner_uscc = gf.Uscc(required=True, **zh("所属企业"))
    profile = mf.String(
        load_default=rules.DEFAULT_PROFILE,
        validate=one_of(rules.available_profiles()),
        **zh("规则集"),
    )
    timezone = mf.String(load_default="Asia/Shanghai", **zh("时区"))
    gates = gf.StringList(**zh("装车口"))

    @validates("timezone")
    def _known_timezone(self, value: str, **_: Any) -> None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValidationError(f"未知时区 {value} / unknown time zone {value}") from err


class SiteProductSchema(RecordSchema):
    """A product a site loads, with 一书一签 versions."""

    site_code = text(64, required=True, **zh("站点编码"))
    product_code = text(64, required=True, **zh("产品编码"))
    name = text(required=True, **zh("品名"))
    cas = opt(gf.Cas(**zh("CAS号")))
    un_number = opt(gf.UnNumber(**zh("UN号")))
    packing_group = opt(gf.PackingGroup(**zh("包装类别")))
    sds_version = opt(text(64, **zh("安全技术说明书版本")))
    label_version = opt(text(64, **zh("安全标签版本")))


class CarrierSchema(RecordSchema):
    """A carrier and its licence."""

    uscc = gf.Uscc(required=True, **zh("统一社会信用代码"))
    name = text(required=True, **zh("企业名称"))
    license_no = opt(text(64, **zh("道路运输经营许可证号")))
    license_valid_until = opt(gf.FlexDate(**zh("许可证有效期至")))
    scope = gf.StringList(**zh("经营范围"))


class VehicleSchema(RecordSchema):
    """A tractor, truck or trailer."""

    plate = gf.Plate(required=True, **zh("车牌号"))
    kind = mf.String(
        required=True, validate=one_of(("tractor", "truck", "trailer")), **zh("车辆类型")
    )
    vin = opt(gf.Vin(**zh("车辆识别代号")))
    carrier_uscc = opt(gf.Uscc(**zh("承运人统一社会信用代码")))
    rated_load_kg = opt(mf.Integer(validate=positive(), **zh("核定载质量(kg)")))
    registration_valid_until = opt(gf.FlexDate(**zh("行驶证检验有效期至")))
    transport_permit_no = opt(text(64, **zh("道路运输证号")))
    transport_permit_valid_until = opt(gf.FlexDate(**zh("道路运输证有效期至")))
    permit_scope = gf.StringList(**zh("道路运输证经营范围"))
    adr_vehicle_type = opt(mf.String(validate=one_of(ADR_VEHICLE_TYPES), **zh("ADR车辆类型")))
    adr_approval_valid_until = opt(gf.FlexDate(**zh("ADR批准证书有效期至")))

    @validates_schema
    def _trailer_plate(self, data: dict[str, Any], **_: Any) -> None:
        plate, kind = data.get("plate"), data.get("kind")
        if plate and kind and plate.endswith("挂") != (kind == "trailer"):
            raise ValidationError(
                {
                    "kind": [
                        "挂车车牌以“挂”结尾，类型应一致 / "
                        "trailer plates end in 挂 and only trailers"
                    ]
                }
            )


class TankSchema(RecordSchema):
    """A tank with its inspection and 适装介质列表."""

    tank_no = text(64, required=True, **zh("罐体编号"))
    kind = mf.String(
        required=True,
        validate=one_of(("atmospheric", "pressure", "tank_container", "portable")),
        **zh("罐体类型"),
    )
    vehicle_plate = opt(gf.Plate(**zh("安装车辆车牌号")))
    capacity_l = opt(mf.Integer(validate=positive(), **zh("罐体容积(L)")))
    max_fill_kg = opt(mf.Integer(validate=positive(), **zh("允许充装量(kg)")))
    tank_code = opt(gf.TankCode(**zh("罐体代码")))
    media = gf.RowList(
        MediumSchema(), gf.MEDIUM_RE, ("un_number", "name", "packing_group"), **zh("适装介质列表")
    )
    registration_no = opt(text(64, **zh("使用登记证号")))
    registered_medium = opt(text(128, **zh("登记介质")))
    inspection_report_no = opt(text(64, **zh("检验报告编号")))
    inspected_on = opt(gf.FlexDate(**zh("检验日期")))
    next_inspection_due = opt(gf.FlexDate(**zh("下次检验日期")))
    last_cargo_un = opt(gf.UnNumber(**zh("上次装运介质UN号")))
    special_provisions = gf.StringList(**zh("罐体特殊规定"))

    @validates_schema
    def _dates(self, data: dict[str, Any], **_: Any) -> None:
        self.date_order(data, "inspected_on", "next_inspection_due")

    @validates_schema
    def _code_of_kind(self, data: dict[str, Any], **_: Any) -> None:
        # A portable tank is built to a UN portable-tank instruction, other tanks to an ADR code.
        code, portable = data.get("tank_code"), data.get("kind") == "portable"
        if code and portable != (portable_code(code) is not None):
            raise ValidationError({"tank_code": [
                "可移动罐柜填可移动罐柜导则（如 T11），其他罐体填罐体代码（如 LGBF） / "
                "portable tanks take a portable-tank instruction (e.g. T11), "
                "other tanks an ADR tank code (e.g. LGBF)"]})


class PersonSchema(RecordSchema):
    """A driver or escort."""

    id_number = gf.IdNumber(required=True, **zh("身份证号"))
    name = text(64, required=True, **zh("姓名"))
    phone = opt(
        mf.String(
            validate=validate.Regexp(r"^[0-9+\- ]{5,20}$", error="电话号码无效 / bad phone number"),
            **zh("电话"),
        )
    )
    carrier_uscc = opt(gf.Uscc(**zh("所属承运人")))
    qualification_cert_no = opt(text(64, **zh("从业资格证号")))
    qualification_categories = gf.StringList(choices=QUALIFICATION_CATEGORIES, **zh("从业资格类别"))
    qualification_valid_until = opt(gf.FlexDate(**zh("从业资格证有效期至")))
    driving_license_class = opt(
        mf.String(
            validate=validate.Regexp(
                r"^(A[123]|B[12]|C[1-6]|D|E|F|M|N|P)(\s*[,;，；]?\s*(A[123]|B[12]|C[1-6]|D|E|F|M|N|P))*$",
                error="准驾车型无效 / unknown licence class",
            ),
            **zh("准驾车型"),
        )
    )
    driving_license_valid_until = opt(gf.FlexDate(**zh("驾驶证有效期至")))
    adr_cert_no = opt(text(64, **zh("ADR证书号")))
    adr_specialisations = gf.StringList(choices=ADR_SPECIALISATIONS, **zh("ADR专项"))
    adr_valid_until = opt(gf.FlexDate(**zh("ADR证书有效期至")))


class WaybillSchema(RecordSchema):
    """A dangerous-goods waybill."""

    waybill_no = text(64, required=True, **zh("运单编号"))
    status = mf.String(
        attribute="waybill_status",
        load_default="issued",
        validate=one_of(WAYBILL_STATUSES),
        **zh("运单状态"),
    )
    record_status = mf.String(attribute="status", dump_only=True)
    consignor_uscc = opt(gf.Uscc(**zh("托运人统一社会信用代码")))
    consignor_name = opt(text(**zh("托运人")))
    consignee_uscc = opt(gf.Uscc(**zh("收货人统一社会信用代码")))
    consignee_name = opt(text(**zh("收货人")))
    carrier_uscc = opt(gf.Uscc(**zh("承运人")))
    loader_site = opt(text(64, **zh("装货站点")))
    destination = opt(text(**zh("目的地")))
    planned_date = opt(gf.FlexDate(**zh("计划起运日期")))
    vehicle_plate = opt(gf.Plate(**zh("车牌号")))
    trailer_plate = opt(gf.Plate(**zh("挂车车牌号")))
    tank_no = opt(text(64, **zh("罐体编号")))
    driver_id_number = opt(gf.IdNumber(**zh("驾驶员身份证号")))
    escort_id_number = opt(gf.IdNumber(**zh("押运员身份证号")))
    goods = gf.RowList(
        GoodsLineSchema(),
        gf.GOODS_RE,
        ("un_number", "name", "class", "packing_group", "quantity_kg"),
        **zh("货物"),
    )
    permit_no = opt(text(64, **zh("通行证号")))

    @validates_schema
    def _people(self, data: dict[str, Any], **_: Any) -> None:
        d, e = data.get("driver_id_number"), data.get("escort_id_number")
        if d and e and d == e:
            raise ValidationError(
                {"escort_id_number": ["押运员不能是驾驶员本人 / escort must not be the driver"]}
            )
        trailer = data.get("trailer_plate")
        if trailer and not trailer.endswith("挂"):
            raise ValidationError(
                {"trailer_plate": ["挂车车牌应以“挂”结尾 / a trailer plate ends in 挂"]}
            )


class PermitSchema(RecordSchema):
    """A special permit (剧毒化学品道路运输通行证 and the like)."""

    permit_no = text(64, required=True, **zh("证件编号"))
    kind = mf.String(
        required=True,
        validate=one_of(("toxic_road_pass", "explosives", "radioactive")),
        **zh("证件类型"),
    )
    goods = gf.RowList(
        PermitGoodsSchema(),
        gf.PERMIT_GOODS_RE,
        ("un_number", "cas", "name", "quantity_kg"),
        **zh("货物"),
    )
    vehicle_plate = opt(gf.Plate(**zh("车牌号")))
    driver_id_number = opt(gf.IdNumber(**zh("驾驶员身份证号")))
    escort_id_number = opt(gf.IdNumber(**zh("押运员身份证号")))
    origin = opt(text(**zh("起运地")))
    destination = opt(text(**zh("目的地")))
    route = opt(text(1024, **zh("路线")))
    valid_from = opt(gf.FlexDate(**zh("有效期自")))
    valid_until = opt(gf.FlexDate(**zh("有效期至")))

    @validates_schema
    def _dates(self, data: dict[str, Any], **_: Any) -> None:
        self.date_order(data, "valid_from", "valid_until")


class BlacklistSchema(RecordSchema):
    """A blacklist entry."""

    subject_kind = mf.String(
        required=True, validate=one_of(("carrier", "vehicle", "tank", "person")), **zh("对象类型")
    )
    subject_key = text(64, required=True, **zh("对象标识"))
    reason = text(1024, required=True, **zh("原因"))
    source = opt(text(**zh("来源")))
    valid_from = gf.FlexDate(required=True, **zh("生效日期"))
    valid_until = opt(gf.FlexDate(**zh("截止日期")))

    @validates_schema
    def _subject(self, data: dict[str, Any], **_: Any) -> None:
        self.date_order(data, "valid_from", "valid_until")
        kind, key = data.get("subject_kind"), data.get("subject_key")
        check = {
            "carrier": gf.ids.check_uscc,
            "vehicle": gf.ids.check_plate,
            "person": gf.ids.check_id_number,
        }.get(kind or "")
        if check and key:
            try:
                data["subject_key"] = check(key)
            except gf.ids.IdentifierError as err:
                raise ValidationError({"subject_key": [str(err)]}) from err
