"""The expiry list: what has expired or will within a horizon, by owner."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import current_app
from flask import request

from .. import db
from ..auth import current_caller
from ..auth import require
from ..errors import InvalidInput
from ..records.expiry import by_owner
from ..records.expiry import expiring
from ..records.expiry import local_today

bp = Blueprint("expiring", __name__, url_prefix="/api/v1")


@bp.get("/expiring")
@require("admin", "enterprise", "regulator")
def list_expiring() -> dict[str, Any]:
    """Every certificate, permit and inspection expired or expiring within ``within_days``."""
    raw = request.args.get("within_days", "30")
    if not raw.isdigit() or int(raw) > 3650:
        raise InvalidInput(
            "查询参数有误 / bad query parameter",
            {"within_days": ["应为 0–3650 的整数 / an integer from 0 to 3650"]},
        )
    caller = current_caller()
    owner = caller.enterprise_uscc if caller.role == "enterprise" else None
    today = local_today(current_app.extensions["gate"].timezone)
    items = list(expiring(db.get_session(), today, int(raw), owner))
    return {
        "today": today.isoformat(),
        "within_days": int(raw),
        "total": len(items),
        "by_owner": by_owner(items),
    }
