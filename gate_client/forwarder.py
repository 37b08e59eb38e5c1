"""The background forwarder: sends spooled visits when the service is back, as history."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from .spool import Entry
from .spool import Spool
from .transport import RequestRejected
from .transport import ServiceClient
from .transport import ServiceUnavailable
from .verdict import Verdict

logger = logging.getLogger(__name__)


class Forwarder:
    """Retries pending spooled attempts with exponential backoff, in a thread or on demand.

    Every answer it gets is a late one (`Verdict.live` is False): the visit has left the gate,
    so a late ALLOW is shown as 补传 and never treated as a live ALLOW.
    """

    def __init__(self, spool: Spool, client: ServiceClient, *,
                 on_verdict: Callable[[Verdict], None] | None = None,
                 held: Callable[[str], bool] | None = None,
                 backoff_min: float = 2.0, backoff_max: float = 300.0) -> None:
        self.spool = spool
        self.client = client
        self.on_verdict = on_verdict
        # Attempts of the visit still at the gate are the operator's to retry, live.
        self.held = held or (lambda key: False)
        self.backoff_min = backoff_min
        self.backoff_max = backoff_max
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._paused_until = 0.0

    def start(self) -> None:
        """Run in a daemon thread until `stop`."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="gate-forwarder", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread (an attempt in flight finishes first)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """Look at the spool now (a visit was just spooled or released)."""
        self._paused_until = 0.0
        self._wake.set()

    def run_once(self, now: float | None = None) -> list[Verdict]:
        """Send every due attempt once; stops at the first sign that the service is down."""
        now = time.time() if now is None else now
        verdicts: list[Verdict] = []
        if now < self._paused_until:
            return verdicts
        for entry in self.spool.due(now):
            if self._stop.is_set():
                break
            if self.held(entry.idempotency_key) or not self.spool.claim(entry.idempotency_key):
                continue
            verdict = self._forward(entry)
            if verdict is None:
                # The service is down: the rest would fail the same way, so wait for the backoff.
                self._paused_until = time.time() + self._delay(entry.attempts)
                break
            verdicts.append(verdict)
            if self.on_verdict is not None:
                try:
                    self.on_verdict(verdict)
                except Exception:  # a display problem must not stop the record being completed
                    logger.exception("verdict listener failed")
        return verdicts

    def _forward(self, entry: Entry) -> Verdict | None:
        key = entry.idempotency_key
        try:
            # Marked offline: the service logs it but opens nothing and keeps the waybill free.
            answer = self.client.verify({**entry.body, "offline": True})
        except ServiceUnavailable as exc:
            self.spool.release(key, str(exc), time.time() + self._delay(entry.attempts))
            logger.info("spooled visit %s not forwarded yet: %s", key, exc)
            return None
        except RequestRejected as exc:
            if exc.retryable:
                self.spool.release(key, str(exc), time.time() + self._delay(entry.attempts))
                return None
            self.spool.reject(key, str(exc))
            logger.error("spooled visit %s rejected by the service: %s", key, exc)
            return Verdict(entry.visit_id, key, "rejected", live=False, error=str(exc))
        self.spool.settle(key, answer, live=False)
        logger.info("spooled visit %s forwarded late: %s", key, answer.get("outcome"))
        return Verdict(entry.visit_id, key, "decided", live=False, response=answer)

    def _delay(self, attempts: int) -> float:
        return float(min(self.backoff_max, self.backoff_min * 2.0 ** min(attempts, 20)))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the spool or the network misbehaved: log, back off, go on
                logger.exception("forwarding failed")
                self._paused_until = time.time() + self.backoff_min
            self._wake.wait(self._sleep_time())
            self._wake.clear()

    def _sleep_time(self) -> float:
        now = time.time()
        try:
            due = self.spool.next_due()
        except Exception:
            due = None
        wake_at = max(due if due is not None else now + 60.0, self._paused_until)
        # At most every half second (held attempts stay due while their visit is at the gate),
        # at least every few seconds (held attempts are released without a wake call).
        return min(max(wake_at - now, 0.5), 5.0)
