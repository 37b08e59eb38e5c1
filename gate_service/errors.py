"""One error hierarchy and one JSON error shape for every 4xx and 5xx."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)


class GateError(Exception):
    """An error the API reports with a stable code and an HTTP status."""

    code = "error"
    status = 400

    def __init__(self, message: str, errors: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


class InvalidInput(GateError):
    """The request body or a file failed validation; ``errors`` names each field."""

    code = "validation_failed"
    status = 422


class NotFound(GateError):
    """No record with that key."""

    code = "not_found"
    status = 404


class VersionConflict(GateError):
    """The record changed since the client read it."""

    code = "version_conflict"
    status = 409


class Conflict(GateError):
    """The request clashes with existing data (a duplicate natural key, say)."""

    code = "conflict"
    status = 409


class Unauthorized(GateError):
    """No valid token."""

    code = "unauthorized"
    status = 401


class Forbidden(GateError):
    """The token's role or scope does not allow this."""

    code = "forbidden"
    status = 403


class Unavailable(GateError):
    """The service cannot decide now (database down); the gate stays closed."""

    code = "unavailable"
    status = 503


def error_body(code: str, message: str, errors: Any = None) -> dict[str, Any]:
    """The JSON shape of every error response."""
    body: dict[str, Any] = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return body


def register_error_handlers(app: Flask) -> None:
    """Render every error as ``{"code", "message", "errors"?}``; never leak database details."""

    @app.errorhandler(GateError)
    def _gate_error(err: GateError) -> tuple[dict[str, Any], int]:
        return error_body(err.code, err.message, err.errors), err.status

    @app.errorhandler(ValidationError)
    def _validation_error(err: ValidationError) -> tuple[dict[str, Any], int]:
        return error_body("validation_failed", "输入有误 / invalid input", err.messages), 422

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> tuple[dict[str, Any], int]:
        status = err.code or 500
        code = (err.name or "error").lower().replace(" ", "_")
        return error_body(code, err.description or err.name), status

    @app.errorhandler(StaleDataError)
    def _stale(_err: StaleDataError) -> tuple[dict[str, Any], int]:
        return error_body("version_conflict", "记录已被他人修改 / record changed meanwhile"), 409

    @app.errorhandler(OperationalError)
    def _db_down(err: OperationalError) -> tuple[dict[str, Any], int]:
        logger.error("database unavailable: %s", err.orig)
        return error_body("unavailable", "数据库不可用 / database unavailable"), 503

    @app.errorhandler(SQLAlchemyError)
    def _db_error(err: SQLAlchemyError) -> tuple[dict[str, Any], int]:
        logger.exception("database error")
        return error_body("database_error", "数据库错误 / database error"), 500

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> tuple[dict[str, Any], int]:
        logger.exception("unhandled error")
        return error_body("internal_error", "内部错误 / internal error"), 500
