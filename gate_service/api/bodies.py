"""Request bodies: the JSON object every write endpoint expects."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema

from ..errors import InvalidInput


def json_object(schema: Schema | None = None) -> dict[str, Any]:
    """The body as a JSON object (422 otherwise), loaded through ``schema`` when one is given."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise InvalidInput(
            "请求体应为 JSON 对象 / the body must be a JSON object",
            {"body": ["无效 JSON 对象 / not a JSON object"]},
        )
    if schema is None:
        return payload
    data: dict[str, Any] = schema.load(payload)
    return data
