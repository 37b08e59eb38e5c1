"""Personal ID numbers: kept out of the hashed log body, which holds masks and commitments."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

ID_LENGTH = 18
ID_NUMBER = re.compile(r"(?<![0-9])([1-8][0-9]{5})([0-9]{8})([0-9]{3})([0-9Xx])(?![0-9])")


def mask(text: str) -> str:
    """Hide the birth date and sequence of every ID number in a text: 230802********0012."""
    return ID_NUMBER.sub(lambda m: f"{m.group(1)}********{m.group(3)}{m.group(4)}", text)


def commit(secret: str, value: str) -> str:
    """A keyed hash of a value, so the log proves what it held without showing it."""
    digest = hmac.new(secret.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{digest}"


def has_id_number(text: str) -> bool:
    """Whether a text contains something shaped like an ID number."""
    return ID_NUMBER.search(text) is not None


def seal(evidence: Any, secret: str) -> tuple[Any, dict[str, str], dict[str, str]]:
    """Mask every ID number in JSON data.

    Returns the masked data, the raw texts by path (kept outside the hashed body) and their
    commitments by path (kept inside it, so an edit of a raw text is found).
    """
    raw: dict[str, str] = {}

    def walk(node: Any, path: tuple[str, ...]) -> Any:
        if isinstance(node, str):
            # An ID number is 18 characters: shorter texts cannot hold one.
            if len(node) >= ID_LENGTH and has_id_number(node):
                raw[".".join(path)] = node
                return mask(node)
            return node
        if isinstance(node, dict):
            return {k: walk(v, (*path, str(k))) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, (*path, str(i))) for i, v in enumerate(node)]
        return node

    masked = walk(evidence, ())
    return masked, raw, {path: commit(secret, text) for path, text in raw.items()}


def unseal(masked: Any, raw: dict[str, str]) -> Any:
    """Put the raw texts back at their paths (for replay on the server that holds them)."""

    def walk(node: Any, path: str) -> Any:
        if path in raw:
            return raw[path]
        if isinstance(node, dict):
            return {k: walk(v, f"{path}.{k}" if path else str(k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, f"{path}.{i}") for i, v in enumerate(node)]
        return node

    return walk(masked, "")
