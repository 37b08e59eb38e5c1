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
ERRORS = {str(code): {"description": text, "content": {"application/json": {"schema": ERROR}}}
          for code, text in ((401, "no valid token"), (403, "role or scope forbids"),
                             (404, "no such record"), (409, "version conflict or duplicate"),
                             (422, "validation failed; errors name each field"))}
PAGE_PARAMS = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
]


def _json(schema: Any) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _resource_paths(spec: APISpec, name: str) -> None:
    res = RESOURCES[name]
    schema_name = res.schema.__name__.removesuffix("Schema")
    spec.components.schema(schema_name, schema=res.schema)
    ref = {"$ref": f"#/components/schemas/{schema_name}"}
    key = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"},
           "description": "natural key: " + "/".join(res.key)}
    filters = [{"name": f, "in": "query", "schema": {"type": "string"}} for f in res.filters]
    page = {"type": "object", "properties": {"items": {"type": "array", "items": ref},
                                             "page": {"type": "integer"},
                                             "per_page": {"type": "integer"},
                                             "total": {"type": "integer"}}}
    versioned = {"allOf": [ref, {"type": "object", "required": ["version"],
                                 "properties": {"version": {"type": "integer"}}}]}
    spec.path(f"/api/v1/{name}", operations={
        "get": {"summary": f"List {name}", "parameters": PAGE_PARAMS + filters,
                "responses": {"200": _json(page), **ERRORS}},
        "post": {"summary": f"Create one of {name}", "requestBody": _json(ref),
                 "responses": {"201": _json(ref), **ERRORS}},
    })
    spec.path(f"/api/v1/{name}/{{key}}", operations={
        "get": {"summary": "Get one by natural key", "parameters": [key],
                "responses": {"200": _json(ref), **ERRORS}},
        "patch": {"summary": "Update fields; give the version read", "parameters": [key],
                  "requestBody": _json(versioned), "responses": {"200": _json(ref), **ERRORS}},
    })
    spec.path(f"/api/v1/{name}/{{key}}/deactivate", operations={"post": {
        "summary": "Deactivate (records are never deleted)", "parameters": [key],
        "requestBody": _json({"type": "object", "required": ["version"],
                              "properties": {"version": {"type": "integer"}}}),
        "responses": {"200": _json(ref), **ERRORS}}})
    spec.path(f"/api/v1/{name}/{{key}}/history", operations={"get": {
        "summary": "Every change: who, when, before, after", "parameters": [key],
        "responses": {"200": _json({"type": "object"}), **ERRORS}}})
    spec.path(f"/api/v1/{name}/import", operations={"post": {
        "summary": "Import CSV or XLSX (upsert by natural key; all or nothing unless partial=1)",
        "parameters": [{"name": n, "in": "query", "schema": {"type": "string"}}
                       for n in ("format", "partial", "dry_run")],
        "requestBody": {"content": {"multipart/form-data": {"schema": {
            "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}},
            "text/csv": {"schema": {"type": "string"}}}},
        "responses": {"200": _json({"type": "object"}), **ERRORS}}})
    spec.path(f"/api/v1/{name}/export", operations={"get": {
        "summary": "Export as CSV or XLSX",
        "parameters": [{"name": "format", "in": "query", "schema": {"enum": ["csv", "xlsx"]}},
                       {"name": "lang", "in": "query", "schema": {"enum": ["en", "zh"]}}],
        "responses": {"200": {"description": "the file"}, **ERRORS}}})


def build_spec() -> dict[str, Any]:
    """Build the document; other modules add their paths through ``EXTRA_PATHS``."""
    spec = APISpec(title="Loading-gate verification API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "errors": {"type": "object"}}})
    for name in RESOURCES:
        _resource_paths(spec, name)
    spec.path("/api/v1/expiring", operations={"get": {
        "summary": "Expired or expiring credentials by owner",
        "parameters": [{"name": "within_days", "in": "query", "schema": {"type": "integer"}}],
        "responses": {"200": _json({"type": "object"}), **ERRORS}}})
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
