"""The scanning station: codes in, visits assembled and classified, decisions spooled and shown."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

import cv2
import numpy as np

import rules

from .capture import annotate
from .config import Settings
from .decode import ScannedCode
from .forwarder import Forwarder
from .mqtt import MqttLink
from .spool import Spool
from .transport import RequestRejected
from .transport import ServiceClient
from .transport import ServiceUnavailable
from .verdict import BANNERS
from .verdict import Verdict
from .visit import BASE_REQUIRED
from .visit import Visit
from .visit import VisitAssembler
from .visit import slot_table

logger = logging.getLogger(__name__)

Read = ScannedCode | tuple[str, str | None]
Listener = Callable[[Verdict], None]
# How long to wait before asking the service to classify again after it failed.
CLASSIFY_RETRY = 2.0


class Station:
    """One gate's client: the current visit, its decision, the spool and the links.

    Every method may be called from any thread (capture, display, MQTT, ticker); network calls
    are made outside the lock. Time comes from `clock` (monotonic by default; a video's own
    clock in headless file runs, so that windows mean the same at any decoding speed).
    """

    def __init__(self, settings: Settings, *, client: ServiceClient | None = None,
                 spool: Spool | None = None, clock: Callable[[], float] = time.monotonic,
                 use_mqtt: bool = True, forward_backoff: tuple[float, float] = (2.0, 300.0)
                 ) -> None:
        self.settings = settings
        self.clock = clock
        self.client = client or ServiceClient(settings.service_url, settings.token,
                                              timeout=settings.http_timeout,
                                              retries=settings.http_retries)
        self.spool = spool or Spool(settings.spool)
        self.visits = VisitAssembler(window=settings.visit_window, settle=settings.visit_settle,
                                     hold=settings.decision_hold)
        self.profile = rules.load_profile(settings.profile)
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._late: deque[Verdict] = deque(maxlen=20)
        self._classified: dict[str, dict[str, Any]] = {}
        self._classify_after = 0.0
        self._service: dict[str, Any] = {"reachable": None, "error": None}
        self._spool_error: str | None = None
        self._preview: tuple[np.ndarray, list[ScannedCode]] | None = None
        self._ticker: threading.Thread | None = None
        self._stopping = threading.Event()
        self.forwarder = Forwarder(self.spool, self.client, on_verdict=self._on_late,
                                   held=self._held, backoff_min=forward_backoff[0],
                                   backoff_max=forward_backoff[1])
        self.mqtt = (MqttLink(settings, self._on_mqtt_scans)
                     if settings.mqtt_host and use_mqtt else None)

    # --- life cycle -----------------------------------------------------------------------

    def start(self, *, ticker: bool = True) -> Station:
        """Start the forwarder, MQTT and (unless the caller ticks) a ticker thread."""
        self.forwarder.start()
        if self.mqtt is not None:
            self.mqtt.start()
        if ticker and self._ticker is None:
            self._ticker = threading.Thread(target=self._tick_loop, name="gate-ticker",
                                            daemon=True)
            self._ticker.start()
        return self

    def close(self) -> None:
        """Stop the threads and links (the spool keeps what was not forwarded)."""
        self._stopping.set()
        if self._ticker is not None:
            self._ticker.join(10)
            self._ticker = None
        if self.mqtt is not None:
            self.mqtt.stop()
        self.forwarder.stop()

    def _tick_loop(self) -> None:
        while not self._stopping.wait(0.2):
            try:
                self.tick()
            except Exception:  # keep ticking: a failed tick must not freeze the gate
                logger.exception("tick failed")

    def add_listener(self, listener: Listener) -> None:
        """Call `listener` with every verdict, live or late."""
        self._listeners.append(listener)

    def _notify(self, verdict: Verdict) -> None:
        for listener in list(self._listeners):
            try:
                listener(verdict)
            except Exception:
                logger.exception("verdict listener failed")

    # --- inputs ---------------------------------------------------------------------------

    @property
    def checklist_items(self) -> tuple[str, ...]:
        """The checklist items the profile requires ticked."""
        return tuple(item.item for item in self.profile.checklist)

    def preset(self, *, checklist: Iterable[str] = (), load: dict[str, Any] | None = None
               ) -> None:
        """Tick these items and plan this load for every visit (headless runs)."""
        unknown = sorted(set(checklist) - set(self.checklist_items))
        if unknown:
            raise ValueError(f"unknown checklist item(s): {', '.join(unknown)} "
                             f"(the profile has: {', '.join(self.checklist_items)})")
        with self._lock:
            self.visits.preset_checklist = dict.fromkeys(checklist, True)
            self.visits.preset_load = _checked_load(load) if load else None

    def add_codes(self, codes: Iterable[Read], origin: str, *, deliberate: bool = False,
                  classify: bool = True) -> None:
        """Add reads to the current visit (starting one if needed), then classify new texts."""
        now = self.clock()
        with self._lock:
            for code in codes:
                text, symbology = ((code.text, code.symbology) if isinstance(code, ScannedCode)
                                   else code)
                self.visits.add(text, symbology, origin, now, deliberate=deliberate)
            self._apply_classification()
        if classify:
            self._classify()

    def add_text(self, text: str, symbology: str | None = None, origin: str = "keyboard"
                 ) -> None:
        """A typed code or a keyboard-wedge scanner's read (the operator meant it)."""
        text = text.strip("\r\n\t ")
        if text:
            self.add_codes([(text, symbology)], origin, deliberate=True)

    def _on_mqtt_scans(self, scans: list[tuple[str, str | None]]) -> None:
        # paho's network thread: classification waits for the next tick, not for HTTP here.
        self.add_codes(scans, "mqtt", classify=False)

    def show_frame(self, image: np.ndarray, codes: list[ScannedCode]) -> None:
        """Keep the newest frame and its codes for the preview."""
        self._preview = (image, codes)

    def preview_jpeg(self, quality: int = 75) -> bytes | None:
        """The newest frame as JPEG with the codes outlined, or None without a camera."""
        preview = self._preview
        if preview is None:
            return None
        ok, data = cv2.imencode(".jpg", annotate(*preview), [cv2.IMWRITE_JPEG_QUALITY, quality])
        return data.tobytes() if ok else None

    def set_check(self, item: str, checked: bool) -> None:
        """Tick or untick a checklist item of the current visit."""
        if item not in self.checklist_items:
            raise ValueError(f"unknown checklist item {item!r}")
        now = self.clock()
        with self._lock:
            visit = self.visits.open(now)
            visit.checklist[item] = bool(checked)
            self.visits.touch(now)

    def set_load(self, load: dict[str, Any] | None) -> None:
        """Set (or clear) the planned load of the current visit."""
        checked = _checked_load(load) if load else None
        now = self.clock()
        with self._lock:
            visit = self.visits.open(now)
            visit.load = checked
            self.visits.touch(now)

    def reset(self) -> None:
        """The operator starts over; an unanswered attempt goes to the forwarder."""
        with self._lock:
            self.visits.reset()
        self.forwarder.wake()

    # --- classification ---------------------------------------------------------------------

    def _apply_classification(self) -> None:
        visit = self.visits.current
        if visit is None:
            return
        for scan in visit.scans.values():
            if scan.classification is None and scan.text in self._classified:
                scan.classification = self._classified[scan.text]

    def _classify(self) -> None:
        with self._lock:
            visit = self.visits.current
            texts = visit.unclassified() if visit else []
            if not texts or time.monotonic() < self._classify_after:
                return
        try:
            answer = self.client.classify(self.settings.site, texts)
        except (ServiceUnavailable, RequestRejected) as exc:
            logger.warning("classifying %d code(s) failed: %s", len(texts), exc)
            with self._lock:
                self._service = {"reachable": False, "error": str(exc)}
                self._classify_after = time.monotonic() + CLASSIFY_RETRY
            return
        with self._lock:
            self._service = {"reachable": True, "error": None}
            self._use_ruleset(answer.get("ruleset") or {})
            for text, item in zip(texts, answer["items"], strict=False):
                self._classified[text] = item
            if len(self._classified) > 5000:  # a long-running gate: forget the oldest half
                for text in list(self._classified)[:2500]:
                    del self._classified[text]
            self._apply_classification()

    def _use_ruleset(self, ruleset: dict[str, Any]) -> None:
        """Follow the site's profile (checklist items, escort rule) as the service reports it."""
        profile_id = ruleset.get("id")
        if not isinstance(profile_id, str) or profile_id == self.profile.id:
            return
        try:
            self.profile = rules.load_profile(profile_id)
        except rules.ProfileError:
            logger.warning("the site's profile %r is not bundled here; keeping %r", profile_id,
                           self.profile.id)

    # --- sending ----------------------------------------------------------------------------

    def tick(self) -> Verdict | None:
        """Reset finished or abandoned visits; classify what is pending; send a complete visit."""
        now = self.clock()
        with self._lock:
            if self.visits.expire(now) == "timeout":
                logger.info("visit abandoned after %.0f s without a read",
                            self.settings.visit_window)
        self._classify()
        with self._lock:
            due = self.visits.due(now, self.checklist_items, escort=self.profile.requires_escort)
        return self._send() if due else None

    def confirm(self) -> Verdict | None:
        """The operator confirms: send the visit as it is (or retry it after a failure)."""
        self._classify()
        return self._send()

    def finish_input(self) -> Verdict | None:
        """The end of a file or list of inputs: send the visit unless it went as it is."""
        self._classify()
        with self._lock:
            visit = self.visits.current
            if visit is None or visit.closed or not visit.scans:
                return None
            if visit.keys and visit.signature() == visit.sent_signature:
                return None
        return self._send()

    def _send(self) -> Verdict | None:
        with self._lock:
            visit = self.visits.current
            if visit is None or visit.closed or visit.sending or not visit.scans:
                return None
            key = visit.key_for_send()
            body = visit.body(self.settings.site, self.settings.gate, key)
            # Every required item is stated, ticked or not: an unticked one is a "no".
            body["checklist"] = {item: bool(visit.checklist.get(item))
                                 for item in self.checklist_items} | body["checklist"]
            visit.sending = True
        try:
            verdict = self._deliver(visit, key, body)
        finally:
            with self._lock:
                visit.sending = False
        with self._lock:
            now = self.clock()
            if verdict.live:
                visit.verdict = verdict
                visit.last_activity = now
                visit.missing = verdict.missing
                if verdict.final:
                    self.visits.close(visit, now)
            else:
                self._late.appendleft(verdict)
        # Displays learn of the decision from the service's outbox on the decision topic; the
        # broker lets a gate device read that topic, not write it.
        self._notify(verdict)
        return verdict

    def _deliver(self, visit: Visit, key: str, body: dict[str, Any]) -> Verdict:
        """Spool first, then ask the service; an answer counts as live only for the visit still
        at the gate."""
        spooled = self._spool_first(visit.id, key, body)
        if isinstance(spooled, Verdict):
            return spooled
        try:
            answer = self.client.verify(body)
        except ServiceUnavailable as exc:
            self._mark_service(False, str(exc))
            if spooled:
                self._spool_op(self.spool.release, key, str(exc),
                               time.time() + self.forwarder.backoff_min)
            return Verdict(visit.id, key, "unavailable", live=True, error=str(exc))
        except RequestRejected as exc:
            self._mark_service(True, None)
            if spooled and exc.retryable:
                self._spool_op(self.spool.release, key, str(exc),
                               time.time() + self.forwarder.backoff_min)
            elif spooled:
                self._spool_op(self.spool.reject, key, str(exc))
            return Verdict(visit.id, key, "rejected", live=True, error=str(exc))
        self._mark_service(True, None)
        with self._lock:
            live = self.visits.current is visit and not visit.closed
        if spooled:
            self._spool_op(self.spool.settle, key, answer, live=live)
        return Verdict(visit.id, key, "decided", live=live, response=answer)

    def _spool_first(self, visit_id: str, key: str, body: dict[str, Any]) -> bool | Verdict:
        """Write the attempt before sending it. True if spooled and ours to send; a Verdict if
        the spool already holds its answer; False if the spool is unusable."""
        try:
            if self.spool.write(key, visit_id, body, claimed=True):
                self._spool_error = None
                return True
            entry = self.spool.get(key)
            if entry is not None and entry.state == "sent" and entry.decision is not None:
                return Verdict(visit_id, key, "decided", live=bool(entry.live),
                               response=entry.decision)
            if entry is not None and entry.state == "rejected":
                return Verdict(visit_id, key, "rejected", live=True, error=entry.last_error)
            if self.spool.claim(key):
                return True
            # The forwarder holds it: its answer will be shown as 补传, never as live.
            return Verdict(visit_id, key, "unavailable", live=True,
                           error="the attempt is being forwarded")
        except sqlite3.Error as exc:
            # The service still logs the decision; only the offline record is at risk.
            logger.error("the spool %s cannot be written: %s", self.spool.path, exc)
            self._spool_error = str(exc)
            return False

    def _spool_op(self, operation: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """Update the spool after an answer; a failing disk must not hide the answer."""
        try:
            operation(*args, **kwargs)
        except sqlite3.Error as exc:
            logger.error("the spool %s cannot be updated: %s", self.spool.path, exc)
            self._spool_error = str(exc)

    def _mark_service(self, reachable: bool, error: str | None) -> None:
        with self._lock:
            self._service = {"reachable": reachable, "error": error}

    def _held(self, key: str) -> bool:
        with self._lock:
            visit = self.visits.current
            return visit is not None and not visit.closed and key in visit.keys

    def _on_late(self, verdict: Verdict) -> None:
        with self._lock:
            self._late.appendleft(verdict)
        self._notify(verdict)

    # --- state for the display ----------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything the operator page shows, as JSON."""
        spool = self._spool_counts()  # outside the lock: it is disk I/O
        with self._lock:
            visit = self.visits.current
            verdict = visit.verdict if visit else None
            current = verdict if verdict and visit and (
                visit.closed or visit.signature() == visit.sent_signature) else None
            if visit is None:
                phase = "idle"
            elif visit.sending:
                phase = "sending"
            elif current is not None:
                phase = current.banner
            else:
                phase = "collecting"
            zh, en = BANNERS[phase]
            required = set(BASE_REQUIRED) | ({"escort"} if self.profile.requires_escort else set())
            preview = self._preview
            return {
                "site": self.settings.site, "gate": self.settings.gate,
                "phase": phase, "banner": {"kind": phase, "zh": zh, "en": en},
                "barrier": "may_open" if current is not None and current.opens_barrier
                else "closed",
                "visit": _visit_json(visit),
                "slots": slot_table(visit, required),
                "checklist": [{"item": i.item, "zh": i.zh, "en": i.en,
                               "checked": bool(visit and visit.checklist.get(i.item))}
                              for i in self.profile.checklist],
                "verdict": current.to_json() if current else None,
                "late": [v.to_json() for v in self._late],
                "service": dict(self._service),
                "mqtt": {"configured": self.mqtt is not None,
                         "connected": bool(self.mqtt and self.mqtt.connected.is_set())},
                "spool": spool,
                "preview": preview is not None,
                "in_view": [c.text for c in preview[1]] if preview else [],
                "ruleset": {"id": self.profile.id},
            }

    def _spool_counts(self) -> dict[str, Any]:
        try:
            counts: dict[str, Any] = self.spool.counts()
        except sqlite3.Error as exc:
            return {"error": str(exc)}
        if self._spool_error:
            counts["error"] = self._spool_error
        return counts


def _visit_json(visit: Visit | None) -> dict[str, Any] | None:
    if visit is None:
        return None
    return {"id": visit.id, "scans": [s.to_json() for s in visit.scans.values()],
            "load": visit.load, "missing": list(visit.missing), "attempts": len(visit.keys),
            "closed": visit.closed}


def _checked_load(load: dict[str, Any]) -> dict[str, Any]:
    """A planned load {un_number, quantity_kg}, checked here so the operator hears at once."""
    un = str(load.get("un_number", "")).strip().upper().removeprefix("UN").strip()
    if not (len(un) == 4 and un.isdigit()):
        raise ValueError(f"UN number must be 4 digits, got {load.get('un_number')!r}")
    try:
        kg = float(load.get("quantity_kg"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"quantity must be a number of kg, got {load.get('quantity_kg')!r}") \
            from None
    if not 0 < kg <= 100_000:
        raise ValueError(f"quantity must be between 0 and 100000 kg, got {kg:g}")
    return {"un_number": un, "quantity_kg": kg}
