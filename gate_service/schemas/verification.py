"""Schemas of the verification, completion and override requests."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError
from marshmallow import fields as mf
from marshmallow import validate
from marshmallow import validates

from . import fields as gf
from .records import StrictSchema
from .records import positive
from .records import text


class ScanSchema(StrictSchema):
    """One decoded code as the client read it."""

    text = mf.String(required=True, validate=validate.Length(min=1, max=2048))
    symbology = mf.String(load_default=None, allow_none=True, validate=validate.Length(max=32))


class LoadSchema(StrictSchema):
    """What the plant intends to load."""

    un_number = gf.UnNumber(required=True)
    quantity_kg = mf.Float(required=True, validate=[positive(), validate.Range(max=100_000)])
    packing_group = gf.PackingGroup(load_default=None, allow_none=True)
    name = mf.String(load_default=None, allow_none=True, validate=validate.Length(max=128))


class VerificationSchema(StrictSchema):
    """``POST /api/v1/verifications``."""

    site = text(64, required=True)
    gate = text(64, required=True)
    scans = mf.List(mf.Nested(ScanSchema), required=True, validate=validate.Length(max=50))
    load = mf.Nested(LoadSchema, load_default=None, allow_none=True)
    checklist = mf.Dict(
        keys=mf.String(validate=validate.Length(max=64)), values=mf.Boolean(), load_default=dict
    )
    # A visit the gate client spooled during an outage and forwards later: it is logged for the
    # record, but the vehicle has left, so it neither opens a barrier nor takes the waybill.
    offline = mf.Boolean(load_default=False)
    idempotency_key = mf.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9._:-]{8,128}$",
            error="应为 8–128 位字母数字 / 8–128 letters, digits, . _ : -",
        ),
    )

    @validates("checklist")
    def _small(self, value: dict[str, Any], **_: Any) -> None:
        if len(value) > 50:
            raise ValidationError("检查项过多 / too many checklist items")


class CompletionSchema(StrictSchema):
    """``POST /api/v1/verifications/<id>/completion``: what was actually loaded."""

    quantity_kg = mf.Float(required=True, validate=[positive(), validate.Range(max=100_000)])
    seals = mf.List(
        mf.String(validate=validate.Length(min=1, max=64)),
        load_default=list,
        validate=validate.Length(max=50),
    )
    loaded_at = mf.AwareDateTime(load_default=None, allow_none=True)


class OverrideSchema(StrictSchema):
    """``POST /api/v1/verifications/<id>/override``: a supervisor's written reason."""

    reason = mf.String(
        required=True,
        validate=validate.Length(
            min=10, max=2000, error="理由应为 10–2000 字 / the reason must be 10–2000 characters"
        ),
    )


class ApprovalSchema(StrictSchema):
    """``POST /api/v1/verifications/<id>/approval``: a second supervisor for 剧毒 goods."""

    reason = mf.String(load_default="", validate=validate.Length(max=2000))
