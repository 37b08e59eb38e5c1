"""The OpenAPI document of the API, built from the marshmallow schemas."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint
from flask import current_app

from ..records.registry import RESOURCES

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

ERROR = {"$ref": "#/components/schemas/Error"}
ERRORS = {
    str(code): {"description": text, "content": {"application/json": {"schema": ERROR}}}
    for code, text in (
        (401, "no valid token"),
        (403, "role or scope forbids"),
        (404, "no such record"),
        (409, "version conflict or duplicate"),
        (422, "validation failed; errors name each field"),
    )
}
PAGE_PARAMS = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 500},
    },
]


def _json(schema: Any) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _resource_paths(spec: APISpec, name: str) -> None:
    res = RESOURCES[name]
    schema_name = res.schema.__name__.removesuffix("Schema")
    spec.components.schema(schema_name, schema=res.schema)
    ref = {"$ref": f"#/components/schemas/{schema_name}"}
    key = {
        "name": "key",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "natural key: " + "/".join(res.key),
    }
    filters = [{"name": f, "in": "query", "schema": {"type": "string"}} for f in res.filters]
    page = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ref},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    }
    versioned = {
        "allOf": [
            ref,
            {
                "type": "object",
                "required": ["version"],
                "properties": {"version": {"type": "integer"}},
            },
        ]
    }
    spec.path(
        f"/api/v1/{name}",
        operations={
            "get": {
                "summary": f"List {name}",
                "parameters": PAGE_PARAMS + filters,
                "responses": {"200": _json(page), **ERRORS},
            },
            "post": {
                "summary": f"Create one of {name}",
                "requestBody": _json(ref),
                "responses": {"201": _json(ref), **ERRORS},
            },
        },
    )
    spec.path(
        f"/api/v1/{name}/{{key}}",
        operations={
            "get": {
                "summary": "Get one by natural key",
                "parameters": [key],
                "responses": {"200": _json(ref), **ERRORS},
            },
            "patch": {
                "summary": "Update fields; give the version read",
                "parameters": [key],
                "requestBody": _json(versioned),
                "responses": {"200": _json(ref), **ERRORS},
            },
        },
    )
    spec.path(
        f"/api/v1/{name}/{{key}}/deactivate",
        operations={
            "post": {
                "summary": "Deactivate (records are never deleted)",
                "parameters": [key],
                "requestBody": _json(
                    {
                        "type": "object",
                        "required": ["version"],
                        "properties": {"version": {"type": "integer"}},
                    }
                ),
                "responses": {"200": _json(ref), **ERRORS},
            }
        },
    )
    spec.path(
        f"/api/v1/{name}/{{key}}/history",
        operations={
            "get": {
                "summary": "Every change: who, when, before, after",
                "parameters": [key],
                "responses": {"200": _json({"type": "object"}), **ERRORS},
            }
        },
    )
    spec.path(
        f"/api/v1/{name}/import",
        operations={
            "post": {
                "summary": "Import CSV or XLSX (upsert by natural key; all or nothing "
                "unless partial=1)",
                "parameters": [
                    {"name": n, "in": "query", "schema": {"type": "string"}}
                    for n in ("format", "partial", "dry_run")
                ],
                "requestBody": {
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {"file": {"type": "string", "format": "binary"}},
                            }
                        },
                        "text/csv": {"schema": {"type": "string"}},
                    }
                },
                "responses": {"200": _json({"type": "object"}), **ERRORS},
            }
        },
    )
    spec.path(
        f"/api/v1/{name}/export",
        operations={
            "get": {
                "summary": "Export as CSV or XLSX",
                "parameters": [
                    {"name": "format", "in": "query", "schema": {"enum": ["csv", "xlsx"]}},
                    {"name": "lang", "in": "query", "schema": {"enum": ["en", "zh"]}},
                ],
                "responses": {"200": {"description": "the file"}, **ERRORS},
            }
        },
    )


def _decision_paths(spec: APISpec) -> None:
    """The verification, code classification and audit endpoints."""
    from ..schemas import verification as v

    for schema in (v.VerificationSchema, v.CompletionSchema, v.OverrideSchema, v.ApprovalSchema):
        spec.components.schema(schema.__name__.removesuffix("Schema"), schema=schema)
    decision = {"type": "object", "required": ["decision_id", "outcome", "reasons", "log"]}
    did = {"name": "decision_id", "in": "path", "required": True, "schema": {"type": "string"}}

    def post(summary: str, body: str, ok: str, params: list[Any]) -> dict[str, Any]:
        ref = {"$ref": f"#/components/schemas/{body}"}
        return {
            "post": {
                "summary": summary,
                "parameters": params,
                "requestBody": _json(ref),
                "responses": {ok: _json(decision), **ERRORS},
            }
        }

    spec.path(
        "/api/v1/verifications",
        operations=post(
            "Decide a visit: ALLOW, REFUSE or INCOMPLETE (a refusal is a 200)",
            "Verification",
            "200",
            [],
        ),
    )
    spec.path(
        "/api/v1/verifications/{decision_id}",
        operations={
            "get": {
                "summary": "One decision as the gate saw it",
                "parameters": [did],
                "responses": {"200": _json(decision), **ERRORS},
            }
        },
    )
    spec.path(
        "/api/v1/verifications/{decision_id}/completion",
        operations=post(
            "Record the loading (装货记录), re-checking the actual mass", "Completion", "201", [did]
        ),
    )
    spec.path(
        "/api/v1/verifications/{decision_id}/override",
        operations=post(
            "A supervisor overrides a refusal with a written reason", "Override", "201", [did]
        ),
    )
    spec.path(
        "/api/v1/verifications/{decision_id}/approval",
        operations=post("A second supervisor approves a 剧毒 override", "Approval", "201", [did]),
    )
    spec.path(
        "/api/v1/codes/classify",
        operations={
            "post": {
                "summary": "Kind and identifier of each scanned text",
                "requestBody": _json(
                    {
                        "type": "object",
                        "required": ["site", "texts"],
                        "properties": {
                            "site": {"type": "string"},
                            "texts": {"type": "array", "items": {"type": "string"}},
                        },
                    }
                ),
                "responses": {"200": _json({"type": "object"}), **ERRORS},
            }
        },
    )
    filters = [
        {"name": n, "in": "query", "schema": {"type": "string"}}
        for n in (
            "since",
            "until",
            "site",
            "gate",
            "outcome",
            "reason",
            "carrier",
            "plate",
            "un_number",
            "high_risk",
            "highly_toxic",
        )
    ]
    spec.path(
        "/api/v1/decisions",
        operations={
            "get": {
                "summary": "Decisions by filter, newest first",
                "parameters": PAGE_PARAMS + filters,
                "responses": {"200": _json({"type": "object"}), **ERRORS},
            }
        },
    )
    spec.path(
        "/api/v1/decisions/{decision_id}",
        operations={
            "get": {
                "summary": "One decision in full, personal ID numbers masked",
                "parameters": [did],
                "responses": {"200": _json({"type": "object"}), **ERRORS},
            }
        },
    )
    spec.path(
        "/api/v1/decisions/stats",
        operations={
            "get": {
                "summary": "Counts by reason, carrier, site, day or outcome",
                "parameters": [
                    {
                        "name": "by",
                        "in": "query",
                        "schema": {"enum": ["reason", "carrier", "site", "day", "outcome"]},
                    },
                    *filters,
                ],
                "responses": {"200": _json({"type": "object"}), **ERRORS},
            }
        },
    )
    spec.path(
        "/api/v1/relay",
        operations={
            "get": {
                "summary": "Outbox relay lag: pending events, oldest age, publish rate",
                "responses": {"200": _json({"type": "object"}), **ERRORS},
            }
        },
    )
    spec.path(
        "/api/v1/decisions/export",
        operations={
            "get": {
                "summary": "Rows, chain links and heads as JSON or CSV (ID numbers masked)",
                "parameters": [
                    {"name": "format", "in": "query", "schema": {"enum": ["json", "csv"]}},
                    *filters,
                ],
                "responses": {"200": {"description": "the export"}, **ERRORS},
            }
        },
    )


def build_spec() -> dict[str, Any]:
    """Build the document; other modules add their paths through ``EXTRA_PATHS``."""
    spec = APISpec(
        title="Loading-gate verification API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema(
        "Error",
        {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "errors": {"type": "object"},
            },
        },
    )
    for name in RESOURCES:
        _resource_paths(spec, name)
    spec.path(
        "/api/v1/expiring",
        operations={
            "get": {
                "summary": "Expired or expiring credentials by owner",
                "parameters": [
                    {"name": "within_days", "in": "query", "schema": {"type": "integer"}}
                ],
                "responses": {"200": _json({"type": "object"}), **ERRORS},
            }
        },
    )
    _decision_paths(spec)
    for path, operations in EXTRA_PATHS:
        spec.path(path, operations=operations)
    doc = spec.to_dict()
    doc["security"] = [{"bearer": []}]
    return doc


# (path, operations) that other blueprints contribute to the document.
EXTRA_PATHS: list[tuple[str, dict[str, Any]]] = []


@bp.get("/openapi.json")
def openapi() -> dict[str, Any]:
    """The OpenAPI 3 document of this API."""
    doc = current_app.extensions.get("gate.openapi")
    if doc is None:
        doc = current_app.extensions["gate.openapi"] = build_spec()
    return doc
