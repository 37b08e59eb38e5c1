"""``POST /api/v1/codes/classify``: what each scanned text is, by the site's profile."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from marshmallow import fields as mf
from marshmallow import validate

import rules

from .. import db
from ..auth import current_caller
from ..auth import require
from ..decisions.service import profile_for
from ..decisions.service import site_for
from ..schemas.records import StrictSchema
from ..schemas.records import text
from .bodies import json_object

bp = Blueprint("codes", __name__, url_prefix="/api/v1")


class ClassifySchema(StrictSchema):
    """A site and the texts its scanner read."""

    site = text(64, required=True)
    texts = mf.List(
        mf.String(validate=validate.Length(min=1, max=2048)),
        required=True,
        validate=validate.Length(min=1, max=50),
    )


@bp.post("/codes/classify")
@require("operator", "supervisor", "admin")
def classify() -> dict[str, Any]:
    """The kind and identifier of each text; unrecognised texts are said so, never guessed."""
    data = json_object(ClassifySchema())
    site = site_for(db.get_session().connection(), current_caller(), data["site"], None)
    profile = profile_for(site.profile or rules.DEFAULT_PROFILE)
    items = []
    for c in rules.classify(data["texts"], profile):
        slot = None
        if c.recognised and c.kind and c.identifier:
            slot = {
                "TNK": "tank",
                "WBL": "waybill",
                "PMT": "permit",
                "ORD": "order",
                "PSN": "person",
            }.get(c.kind) or rules.codes.vehicle_slot(c.identifier)
        items.append(
            {
                "text": c.raw,
                "recognised": c.recognised,
                "kind": c.kind,
                "identifier": c.identifier,
                "slot": slot,
                "format": c.format_name,
                "problem": c.problem,
            }
        )
    return {
        "site": site.code,
        "ruleset": {"id": profile.id, "version": profile.version},
        "items": items,
    }
