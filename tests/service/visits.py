"""Gate visits against the sample data of site JMS01, as the gate client would send them."""

from __future__ import annotations

import uuid
from typing import Any

GOOD_SCANS = [
    "LG1:VEH:黑D12345",
    "LG1:VEH:黑D6789挂",
    "LG1:TNK:TK-0001",
    "LG1:PSN:黑交危驾230800101",
    "LG1:PSN:230802198505050026",
    "LG1:WBL:YD2026112800001",
]
BAD_SCANS = [
    "LG1:VEH:黑A54321",
    "LG1:VEH:黑A1122挂",
    "LG1:TNK:TK-0002",
    "LG1:PSN:23080419780303003X",
    "LG1:PSN:230804198808080049",
    "LG1:WBL:YD2026112800002",
]
CHECKLIST = {"grounding": True, "no_leaks": True, "placards": True}


def visit(
    scans: list[str] | None = None,
    *,
    gate: str = "G1",
    un: str = "1203",
    quantity: float = 18000,
    key: str | None = None,
    **over: Any,
) -> dict[str, Any]:
    """A verification request body."""
    body = {
        "site": "JMS01",
        "gate": gate,
        "scans": [{"text": t, "symbology": "QRCode"} for t in (scans or GOOD_SCANS)],
        "load": {"un_number": un, "quantity_kg": quantity},
        "checklist": dict(CHECKLIST),
        "idempotency_key": key or uuid.uuid4().hex,
    }
    body.update(over)
    return body
