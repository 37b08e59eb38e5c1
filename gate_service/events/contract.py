"""The event contract: the JSON Schemas (draft 2020-12) of every MQTT payload, and a validator."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema import FormatChecker

# The inbound scan message may leave its schema name out; the listener names it.
SCAN = "loadgate.scan.v1"


class EventContractError(ValueError):
    """A payload that breaks its schema; ``errors`` maps a JSON path to what is wrong there."""

    def __init__(self, schema: str | None, errors: dict[str, list[str]]) -> None:
        self.schema = schema
        self.errors = errors
        lines = "; ".join(f"{path}: {', '.join(msgs)}" for path, msgs in errors.items())
        super().__init__(f"{schema or 'event'} does not match its contract: {lines}")


@cache
def schemas() -> dict[str, dict[str, Any]]:
    """Every shipped schema by name (``loadgate.decision.v1`` …), read once."""
    folder = resources.files(__package__).joinpath("schemas")
    out: dict[str, dict[str, Any]] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            document = json.loads(entry.read_text(encoding="utf-8"))
            out[entry.name.removesuffix(".json")] = document
    return out


@cache
def _validator(name: str) -> Draft202012Validator:
    document = schemas()[name]
    Draft202012Validator.check_schema(document)
    return Draft202012Validator(document, format_checker=FormatChecker())


def event_errors(payload: Any, schema: str | None = None) -> dict[str, list[str]]:
    """What is wrong with a payload, by JSON path (empty when it conforms).

    :param schema: the schema to check against; by default the one the payload names.
    """
    if not isinstance(payload, Mapping):
        return {"$": ["an event is a JSON object"]}
    name = schema or payload.get("schema")
    if not isinstance(name, str) or name not in schemas():
        return {"$.schema": [f"unknown schema {name!r}; one of {', '.join(sorted(schemas()))}"]}
    errors: dict[str, list[str]] = {}
    for error in sorted(_validator(name).iter_errors(payload), key=lambda e: list(e.path)):
        errors.setdefault(error.json_path, []).append(error.message)
    return errors


def validate_event(payload: Any, schema: str | None = None) -> str:
    """Check a payload against its schema; returns the schema name.

    :raises EventContractError: naming every path that breaks the contract.
    """
    errors = event_errors(payload, schema)
    if errors:
        named = schema or (payload.get("schema") if isinstance(payload, Mapping) else None)
        raise EventContractError(named if isinstance(named, str) else None, errors)
    return schema or str(payload["schema"])
