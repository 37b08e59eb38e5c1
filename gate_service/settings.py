"""Service settings: defaults, an instance file and GATE_* variables, validated once at start."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields as mf
from marshmallow import validate
from marshmallow import validates

ENV_PREFIX = "GATE_"
# The gate client reads GATE_CLIENT_*; those are not the service's settings.
FOREIGN_PREFIXES = ("GATE_CLIENT_",)
INSTANCE_FILE = "gate.toml"


class SettingsError(Exception):
    """Raised when the settings cannot be loaded; the message names every bad key."""

    def __init__(self, problems: Mapping[str, list[str]], source: str = "") -> None:
        self.problems = dict(problems)
        lines = [f"{key}: {'; '.join(msgs)}" for key, msgs in sorted(self.problems.items())]
        where = f" ({source})" if source else ""
        super().__init__(f"invalid settings{where}:\n  " + "\n  ".join(lines))


@dataclass(frozen=True)
class Settings:
    """The validated settings of one service instance."""

    database_url: str
    timezone: str
    default_profile: str
    page_size_max: int
    import_max_bytes: int
    log_level: str
    mqtt_host: str
    mqtt_port: int
    mqtt_username: str | None
    mqtt_password: str | None
    mqtt_tls_ca: str | None
    mqtt_topic_prefix: str
    relay_enabled: bool
    secret_key: str


class SettingsSchema(Schema):
    """Marshmallow schema of the service settings; unknown keys are errors."""

    database_url = mf.String(required=True, validate=validate.Length(min=1))
    timezone = mf.String(load_default="Asia/Shanghai")
    default_profile = mf.String(load_default="cn-2019", validate=validate.Length(min=1))
    page_size_max = mf.Integer(load_default=500, validate=validate.Range(min=1, max=10_000))
    import_max_bytes = mf.Integer(load_default=64 * 1024 * 1024, validate=validate.Range(min=1))
    log_level = mf.String(
        load_default="INFO",
        validate=validate.OneOf(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]),
    )
    mqtt_host = mf.String(load_default="127.0.0.1")
    mqtt_port = mf.Integer(load_default=1883, validate=validate.Range(min=1, max=65535))
    mqtt_username = mf.String(load_default=None, allow_none=True)
    mqtt_password = mf.String(load_default=None, allow_none=True)
    mqtt_tls_ca = mf.String(load_default=None, allow_none=True)
    mqtt_topic_prefix = mf.String(
        load_default="loadgate", validate=validate.Regexp(r"^[A-Za-z0-9_\-/]+$")
    )
    relay_enabled = mf.Boolean(load_default=False)
    secret_key = mf.String(load_default="dev-only-not-secret")

    @validates("timezone")
    def _known_timezone(self, value: str, **_: Any) -> None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(f"unknown time zone {value!r}") from exc

    @validates("database_url")
    def _known_database(self, value: str, **_: Any) -> None:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValidationError("only sqlite:// and postgresql:// URLs are supported")


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """Read every GATE_* variable; values that parse as JSON get their JSON type."""
    out: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name.startswith(FOREIGN_PREFIXES):
            continue
        key = name[len(ENV_PREFIX) :].lower()
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        # A bare number-looking password or token stays a string where a string is wanted.
        out[key] = (
            raw if isinstance(value, (int, float)) and key.endswith(("password", "key")) else value
        )
    return out


def _instance_file(instance_path: Path) -> dict[str, Any]:
    path = instance_path / INSTANCE_FILE
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError({"<file>": [str(exc)]}, str(path)) from exc


def default_database_url(instance_path: Path) -> str:
    """The embedded default: a SQLite file in the instance folder."""
    return f"sqlite:///{instance_path / 'gate.db'}"


def load_settings(
    instance_path: Path,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Merge defaults, the instance file, GATE_* variables and overrides, then validate."""
    merged: dict[str, Any] = {"database_url": default_database_url(instance_path)}
    merged.update(_instance_file(instance_path))
    merged.update(_env_overrides(os.environ if environ is None else environ))
    merged.update({k.lower(): v for k, v in (overrides or {}).items()})
    try:
        loaded = SettingsSchema().load(merged)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"<settings>": exc.messages}
        problems = {
            key: (["unknown setting (check the spelling)"] if msgs == ["Unknown field."] else msgs)
            for key, msgs in messages.items()
        }
        raise SettingsError(problems, "defaults, instance/gate.toml, GATE_* environment") from exc
    return Settings(**{f.name: loaded[f.name] for f in fields(Settings)})
