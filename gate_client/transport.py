"""HTTP to the gate service: classify codes and verify visits, with timeouts and safe retries."""

from __future__ import annotations

import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from .verdict import OUTCOMES

logger = logging.getLogger(__name__)

# Answers that a repeated request may change: the token may be fixed, the rate limit may pass.
RETRYABLE_STATUS = frozenset({401, 403, 408, 425, 429})
USER_AGENT = "loadgate-gate-client/0.1"


class ServiceUnavailable(Exception):
    """No usable answer: the service is down, timed out, failed (5xx) or answered nonsense."""


class RequestRejected(Exception):
    """The service refused the request itself (4xx): it will not succeed if repeated as is."""

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body if isinstance(body, dict) else {}
        message = self.body.get("message") or f"HTTP {status}"
        super().__init__(f"HTTP {status}: {message}")

    @property
    def retryable(self) -> bool:
        """Whether a later retry may succeed (expired token, rate limit)."""
        return self.status in RETRYABLE_STATUS


class ServiceClient:
    """The service's verification and classification API, as the gate device calls it."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 5.0, retries: int = 2,
                 backoff: float = 0.5) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff

    def classify(self, site: str, texts: list[str]) -> dict[str, Any]:
        """The service's classification of texts: ``{"ruleset": ..., "items": [...]}``."""
        items: list[dict[str, Any]] = []
        ruleset: dict[str, Any] = {}
        # The endpoint takes at most 50 texts per call.
        for start in range(0, len(texts), 50):
            chunk = texts[start:start + 50]
            body = self._call("POST", "/api/v1/codes/classify", {"site": site, "texts": chunk},
                              retries=0)
            got = body.get("items")
            # One item per text, in order: anything else cannot be matched up safely.
            if (not isinstance(got, list) or len(got) != len(chunk)
                    or not all(isinstance(item, dict) for item in got)):
                raise ServiceUnavailable("malformed classify answer")
            items.extend(got)
            answer_ruleset = body.get("ruleset")
            ruleset = answer_ruleset if isinstance(answer_ruleset, dict) else {}
        return {"ruleset": ruleset, "items": items}

    def verify(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST a visit; retried with the same body (so the same idempotency key) on failure.

        :raises ServiceUnavailable: after the last retry, or on an answer that is not a decision.
        :raises RequestRejected: on a 4xx answer.
        """
        answer = self._call("POST", "/api/v1/verifications", body, retries=self.retries)
        return checked_decision(answer, body)

    def _call(self, method: str, path: str, body: Any, *, retries: int) -> dict[str, Any]:
        data = json.dumps(body, ensure_ascii=False).encode()
        last: Exception | None = None
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                return self._once(method, path, data)
            except ServiceUnavailable as exc:
                last = exc
                logger.warning("%s %s failed (attempt %d of %d): %s", method, path, attempt + 1,
                               retries + 1, exc)
            except RequestRejected as exc:
                if not exc.retryable or attempt == retries:
                    raise
                last = exc
        assert last is not None
        raise last

    def _once(self, method: str, path: str, data: bytes) -> dict[str, Any]:
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        request.add_header("Accept", "application/json")
        request.add_header("Authorization", f"Bearer {self._token}")
        request.add_header("User-Agent", USER_AGENT)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as err:
            with err:
                payload = _json_or_none(err.read())
            if err.code >= 500:
                raise ServiceUnavailable(f"HTTP {err.code}") from None
            raise RequestRejected(err.code, payload) from None
        except (OSError, http.client.HTTPException) as exc:
            # URLError, timeouts, refused and reset connections, truncated answers.
            reason = getattr(exc, "reason", exc)
            raise ServiceUnavailable(f"{type(reason).__name__}: {reason}") from None
        payload = _json_or_none(raw)
        if not isinstance(payload, dict):
            raise ServiceUnavailable("the answer is not a JSON object")
        return payload


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None


def checked_decision(answer: dict[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
    """The answer if it is a consistent decision for this request; else ServiceUnavailable.

    Fail closed: an ALLOW that carries refusal reasons or missing slots, or a decision for
    another site or gate, is a doubt, and a doubt never opens the barrier.
    """
    outcome = answer.get("outcome")
    if outcome not in OUTCOMES or not isinstance(answer.get("decision_id"), str):
        raise ServiceUnavailable("the answer is not a decision")
    for key in ("site", "gate"):
        if key in answer and answer[key] != request.get(key):
            raise ServiceUnavailable(f"the decision is for another {key}: {answer[key]!r}")
    if outcome == "ALLOW" and (answer.get("reasons") or answer.get("missing")):
        raise ServiceUnavailable("an ALLOW with refusal reasons or missing codes")
    return answer
