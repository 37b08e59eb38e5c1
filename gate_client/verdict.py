"""What the gate makes of one attempt to decide a visit, and whether it may open the barrier."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any
from typing import Literal

Status = Literal["decided", "unavailable", "rejected"]
OUTCOMES = ("ALLOW", "REFUSE", "INCOMPLETE")

# The banners the operator sees, in Chinese and English.
BANNERS: dict[str, tuple[str, str]] = {
    "idle": ("请扫码", "Scan the codes"),
    "collecting": ("扫码中", "Scanning"),
    "sending": ("查验中…", "Checking…"),
    "allow": ("允许装货", "Loading permitted"),
    "refuse": ("禁止装货", "Loading refused"),
    "incomplete": ("请补扫", "Codes missing: rescan"),
    "unavailable": ("服务不可用，道闸保持关闭", "Service unavailable: the barrier stays closed"),
    "rejected": ("请求被拒绝，道闸保持关闭", "Request rejected: the barrier stays closed"),
    "late": ("补传", "Forwarded late"),
}


@dataclass(frozen=True)
class Verdict:
    """One attempt to decide a visit: the service's answer, or why there is none.

    `live` is true only for the answer to the request made while the visit was at the gate;
    an answer obtained later (a spooled visit forwarded after an outage) is historical.
    """

    visit_id: str
    idempotency_key: str
    status: Status
    live: bool
    response: Mapping[str, Any] | None = None
    error: str | None = None
    at: float = field(default_factory=time.time)

    @property
    def outcome(self) -> str | None:
        """ALLOW, REFUSE or INCOMPLETE when the service decided; None otherwise."""
        if self.status != "decided" or self.response is None:
            return None
        outcome = self.response.get("outcome")
        return outcome if outcome in OUTCOMES else None

    @property
    def opens_barrier(self) -> bool:
        """True only for a live ALLOW: every error, timeout, doubt or late answer keeps it shut."""
        return self.live and self.outcome == "ALLOW"

    @property
    def missing(self) -> tuple[str, ...]:
        """The slots the service said were not presented."""
        missing = self.response.get("missing") if self.response is not None else None
        return tuple(m for m in missing if isinstance(m, str)) if isinstance(missing, list) else ()

    @property
    def final(self) -> bool:
        """ALLOW and a REFUSE on complete codes end a visit; INCOMPLETE, a REFUSE that names
        missing codes (a late-read trailer), and failures leave it open for a rescan."""
        return self.outcome == "ALLOW" or (self.outcome == "REFUSE" and not self.missing)

    @property
    def banner(self) -> str:
        """The key of the banner to show (see BANNERS)."""
        if not self.live:
            return "late"
        if self.status != "decided":
            return self.status
        return {"ALLOW": "allow", "REFUSE": "refuse"}.get(self.outcome or "", "incomplete")

    def as_late(self) -> Verdict:
        """The same verdict, demoted to historical (its visit left the gate before the answer)."""
        return replace(self, live=False)

    def to_json(self) -> dict[str, Any]:
        """The verdict as one JSON object (a line of headless output, the display's state)."""
        zh, en = BANNERS[self.banner]
        body: dict[str, Any] = {
            "visit": self.visit_id, "idempotency_key": self.idempotency_key,
            "status": self.status, "outcome": self.outcome, "live": self.live,
            "late": not self.live, "barrier": "may_open" if self.opens_barrier else "closed",
            "banner": self.banner, "message": zh, "message_en": en, "at": self.at,
        }
        if self.error:
            body["error"] = self.error
        if self.response is not None:
            for key in ("decision_id", "reasons", "warnings", "missing", "unrecognised",
                        "resolved", "ruleset", "log", "created_at"):
                if key in self.response:
                    body[key] = self.response[key]
        return body
