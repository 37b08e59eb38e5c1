"""Visit assembly: codes read within a window form one visit; its slots fill as classified."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from .verdict import Verdict

# The slots of a visit as the operator sees them; persons fill driver, then escort.
SLOTS = ("vehicle", "trailer", "tank", "driver", "escort", "waybill", "order", "permit")
SLOT_LABELS: dict[str, tuple[str, str]] = {
    "vehicle": ("车辆", "Vehicle"), "trailer": ("挂车", "Trailer"), "tank": ("罐体", "Tank"),
    "driver": ("驾驶员", "Driver"), "escort": ("押运员", "Escort"),
    "waybill": ("电子运单", "Waybill"), "order": ("装货单", "Loading order"),
    "permit": ("许可证", "Permit"),
}
# Always needed before a visit is sent by itself; the trailer and escort depend on the vehicle
# and the profile, which the service knows (its INCOMPLETE answer names what is missing).
BASE_REQUIRED = ("vehicle", "tank", "driver", "waybill")
MAX_SCANS = 50  # the verification API takes at most 50 scans


@dataclass
class Scan:
    """One distinct text read during a visit, however many frames or scanners read it."""

    text: str
    symbology: str | None
    origin: str
    first_seen: float
    last_seen: float
    count: int = 1
    classification: dict[str, Any] | None = None

    @property
    def slot(self) -> str | None:
        """The service's slot for it (vehicle, trailer, tank, person, waybill, permit, order)."""
        return self.classification.get("slot") if self.classification else None

    @property
    def recognised(self) -> bool | None:
        """Whether the service recognised it; None until classified."""
        return bool(self.classification.get("recognised")) if self.classification else None

    def to_json(self) -> dict[str, Any]:
        """The scan as the display shows it."""
        c = self.classification or {}
        return {"text": self.text, "symbology": self.symbology, "origin": self.origin,
                "count": self.count, "classified": self.classification is not None,
                "recognised": c.get("recognised"), "kind": c.get("kind"),
                "identifier": c.get("identifier"), "slot": c.get("slot"),
                "problem": c.get("problem")}


@dataclass
class Visit:
    """The codes, checklist and planned load of one vehicle at the gate."""

    id: str
    started: float
    last_activity: float
    last_new_code: float
    scans: dict[str, Scan] = field(default_factory=dict)
    checklist: dict[str, bool] = field(default_factory=dict)
    load: dict[str, Any] | None = None
    keys: list[str] = field(default_factory=list)
    sent_signature: str | None = None
    sending: bool = False
    verdict: Verdict | None = None
    missing: tuple[str, ...] = ()
    closed_at: float | None = None

    @property
    def closed(self) -> bool:
        """A visit closes on a final decision (ALLOW or REFUSE)."""
        return self.closed_at is not None

    def slots(self) -> dict[str, list[Scan]]:
        """Slot → the scans in it, in reading order (persons: first driver, second escort)."""
        out: dict[str, list[Scan]] = {slot: [] for slot in SLOTS}
        persons = 0
        for scan in sorted(self.scans.values(), key=lambda s: s.first_seen):
            slot = scan.slot
            if slot == "person":
                # For display only: the service works out who is who from the waybill.
                slot = ("driver", "escort")[persons] if persons < 2 else None
                persons += 1
            if slot in out:
                out[slot].append(scan)
        return out

    def filled(self) -> set[str]:
        """The slots holding at least one code."""
        return {slot for slot, scans in self.slots().items() if scans}

    def unclassified(self) -> list[str]:
        """Texts the service has not classified yet."""
        return [s.text for s in self.scans.values() if s.classification is None]

    def signature(self) -> str:
        """What would be sent: the same signature is the same request (same idempotency key)."""
        texts = [[s.text, s.symbology] for s in self.scans.values()]
        return json.dumps([texts, sorted(self.checklist.items()), self.load], ensure_ascii=False)

    def key_for_send(self) -> str:
        """The idempotency key of the next send: a retry of unchanged content reuses the last."""
        signature = self.signature()
        if self.keys and signature == self.sent_signature:
            return self.keys[-1]
        self.sent_signature = signature
        # The API allows [A-Za-z0-9._:-]{8,128}; site and gate codes may hold other characters.
        self.keys.append(f"gc-{uuid.uuid4().hex}")
        return self.keys[-1]

    def body(self, site: str, gate: str, key: str) -> dict[str, Any]:
        """The verification request: every text read, as read, with the checklist and load."""
        scans = list(self.scans.values())
        if len(scans) > MAX_SCANS:
            # Keep what the service recognised; stray reads (posters, stickers) go first.
            scans.sort(key=lambda s: (s.recognised is False, s.first_seen))
            scans = sorted(scans[:MAX_SCANS], key=lambda s: s.first_seen)
        body: dict[str, Any] = {
            "site": site, "gate": gate,
            "scans": [{"text": s.text, "symbology": s.symbology} for s in scans],
            "checklist": dict(self.checklist), "idempotency_key": key,
        }
        if self.load is not None:
            body["load"] = dict(self.load)
        return body


class VisitAssembler:
    """Groups reads into visits: dedupe, window, hold after a decision, cool-down of old codes.

    Times are seconds on any monotonic clock the caller uses (wall time, or a video's own).
    """

    def __init__(self, *, window: float, settle: float, hold: float) -> None:
        self.window = window
        self.settle = settle
        self.hold = hold
        self.current: Visit | None = None
        # What every new visit starts with (headless runs tick the checklist on the command line).
        self.preset_checklist: dict[str, bool] = {}
        self.preset_load: dict[str, Any] | None = None
        # Texts of decided visits, with when they were last seen: a camera that still sees the
        # vehicle that was just decided must not start a second visit for it.
        self._cooldown: dict[str, float] = {}

    def add(self, text: str, symbology: str | None, origin: str, now: float, *,
            deliberate: bool = False) -> Scan | None:
        """Add one read; returns the scan if its text is new to the visit, else None.

        `deliberate` reads (typed, or a hand scanner's trigger) bypass the cool-down: the
        operator meant them.
        """
        if not text:
            return None
        self.expire(now)
        visit = self.current
        if not deliberate and self._cooling(text, now):
            if visit is not None and text in visit.scans:
                visit.scans[text].last_seen = now
            return None
        if visit is None or visit.closed:
            visit = self._new(now)
        visit.last_activity = now
        scan = visit.scans.get(text)
        if scan is not None:
            scan.count += 1
            scan.last_seen = now
            return None
        scan = Scan(text, symbology, origin, now, now)
        visit.scans[text] = scan
        visit.last_new_code = now
        return scan

    def _cooling(self, text: str, now: float) -> bool:
        seen = self._cooldown.get(text)
        if seen is None:
            return False
        if now - seen >= self.window:
            del self._cooldown[text]
            return False
        self._cooldown[text] = now
        return True

    def _new(self, now: float) -> Visit:
        self.current = Visit(id=uuid.uuid4().hex[:12], started=now, last_activity=now,
                             last_new_code=now, checklist=dict(self.preset_checklist),
                             load=dict(self.preset_load) if self.preset_load else None)
        return self.current

    def open(self, now: float) -> Visit:
        """The open visit, started if there is none (the operator ticks before scanning)."""
        self.expire(now)
        if self.current is None or self.current.closed:
            return self._new(now)
        return self.current

    def touch(self, now: float) -> None:
        """The operator did something: the visit is not abandoned."""
        if self.current is not None and not self.current.closed:
            self.current.last_activity = now

    def close(self, visit: Visit, now: float) -> None:
        """A final decision: the visit stays on display for `hold` seconds, then resets."""
        visit.closed_at = now
        for text in visit.scans:
            self._cooldown[text] = now

    def reset(self) -> Visit | None:
        """Drop the current visit (the operator starts over); returns it."""
        visit, self.current = self.current, None
        self._cooldown.clear()
        return visit

    def expire(self, now: float) -> str | None:
        """Reset a decided visit after its hold, an abandoned one after the window."""
        visit = self.current
        if visit is None or visit.sending:
            return None
        if visit.closed:
            if now - (visit.closed_at or now) >= self.hold:
                self.current = None
                return "hold"
            return None
        if now - visit.last_activity >= self.window:
            self.current = None
            return "timeout"
        return None

    def due(self, now: float, checklist_items: Iterable[str], *, escort: bool) -> bool:
        """Whether the open visit is complete and settled, so it goes without a confirm."""
        visit = self.current
        if visit is None or visit.closed or visit.sending or not visit.scans:
            return False
        if visit.keys and visit.signature() == visit.sent_signature:
            return False  # already sent as it is: a retry is the operator's call
        if visit.unclassified() or now - visit.last_new_code < self.settle:
            return False
        required = set(BASE_REQUIRED) | ({"escort"} if escort else set())
        required |= {slot for slot in visit.missing if slot in SLOTS}
        if not required <= visit.filled():
            return False
        return all(visit.checklist.get(item) for item in checklist_items)


def slot_table(visit: Visit | None, required: Iterable[str]) -> list[dict[str, Any]]:
    """The slots with their codes and state (filled, empty, missing, conflict) for the display."""
    slots = visit.slots() if visit else {slot: [] for slot in SLOTS}
    missing = set(visit.missing) if visit else set()
    need = set(required)
    rows = []
    for slot in SLOTS:
        scans = slots[slot]
        identifiers = {s.classification.get("identifier") for s in scans if s.classification}
        state = "empty"
        if scans:
            state = "conflict" if len(identifiers) > 1 and slot not in ("driver", "escort") \
                else "filled"
        elif slot in missing:
            state = "missing"
        zh, en = SLOT_LABELS[slot]
        rows.append({"slot": slot, "zh": zh, "en": en, "state": state,
                     "required": slot in need or slot in missing,
                     "codes": [{"text": s.text, "identifier": (s.classification or {}).get(
                         "identifier")} for s in scans]})
    return rows

