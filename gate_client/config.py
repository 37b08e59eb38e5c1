"""Gate client settings: defaults, a TOML file and GATE_CLIENT_* variables, validated at start."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "GATE_CLIENT_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Settings that are secrets: never printed in full.
SECRETS = ("token", "mqtt_password")


def default_spool() -> str:
    """The spool file under the XDG state folder (~/.local/state/gate-client/spool.db)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return str(Path(base) / "gate-client" / "spool.db")


class ConfigError(Exception):
    """The settings cannot be used; the message names every bad key and where it came from."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        lines = [f"{key}: {msg}" for key, msg in sorted(self.problems.items())]
        super().__init__("invalid gate client settings:\n  " + "\n  ".join(lines))


@dataclass(frozen=True)
class Settings:
    """The validated settings of one gate client."""

    service_url: str
    token: str = field(repr=False)
    site: str
    gate: str
    mqtt_host: str | None = None
    mqtt_port: int = 1883
    mqtt_username: str | None = None
    mqtt_password: str | None = field(default=None, repr=False)
    mqtt_tls_ca: str | None = None
    mqtt_topic_prefix: str = "loadgate"
    spool: str = field(default_factory=default_spool)
    visit_window: float = 30.0
    visit_settle: float = 3.0
    decision_hold: float = 15.0
    http_timeout: float = 5.0
    http_retries: int = 2
    display_host: str = "127.0.0.1"
    display_port: int = 8765
    profile: str = "cn-2019"
    frame_queue: int = 2
    log_level: str = "INFO"

    def masked(self) -> dict[str, Any]:
        """The settings as a dict with secrets masked, for printing."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRETS and value:
                value = value[:4] + "…" if len(value) > 12 else "***"
            out[f.name] = value
        return out


# --- value parsers: each takes the raw value (typed from TOML, a string from the environment)
# and returns the parsed value or raises ValueError with a message for the operator.


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, got {value!r}")
    return value.strip()


def _optional_text(value: Any) -> str | None:
    # An empty variable (GATE_CLIENT_MQTT_HOST=) switches an optional setting off.
    text = _text(value)
    return text or None


def _number(low: float, high: float | None = None, *, integer: bool = False
            ) -> Callable[[Any], float | int]:
    def parse(value: Any) -> float | int:
        if isinstance(value, bool):
            raise ValueError(f"must be a number, got {value!r}")
        if isinstance(value, str):
            try:
                value = int(value) if integer else float(value)
            except ValueError:
                raise ValueError(f"must be {'an integer' if integer else 'a number'}, "
                                 f"got {value!r}") from None
        if integer and not isinstance(value, int):
            raise ValueError(f"must be an integer, got {value!r}")
        if not isinstance(value, int | float) or value != value:  # NaN is not a setting
            raise ValueError(f"must be a number, got {value!r}")
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ValueError(f"must be {bound}, got {value!r}")
        return int(value) if integer else float(value)

    return parse


def _url(value: Any) -> str:
    text = _text(value).rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
    return text


def _code(value: Any) -> str:
    text = _text(value)
    if not text or len(text) > 64 or any(c in text for c in "/+#\x00") or text != text.split()[0]:
        # Site and gate are MQTT topic levels: no wildcards, separators or spaces.
        raise ValueError(f"must be 1-64 characters without spaces, '/', '+' or '#', got {value!r}")
    return text


def _required_text(value: Any) -> str:
    text = _text(value)
    if not text:
        raise ValueError("must not be empty")
    return text


def _prefix(value: Any) -> str:
    text = _text(value)
    if not text or any(c in text for c in "+# ") or text.startswith("/") or text.endswith("/"):
        raise ValueError(f"must be a topic prefix without '+', '#' or spaces, got {value!r}")
    return text


def _existing_file(value: Any) -> str | None:
    text = _optional_text(value)
    if text is not None and not Path(text).is_file():
        raise ValueError(f"no such file: {text!r}")
    return text


def _spool(value: Any) -> str:
    text = _required_text(value)
    path = Path(text).expanduser()
    if path.is_dir():
        raise ValueError(f"is a folder, expected a file path: {text!r}")
    return str(path)


def _profile(value: Any) -> str:
    import rules

    text = _required_text(value)
    known = rules.available_profiles()
    if text not in known:
        raise ValueError(f"unknown profile {text!r} (bundled: {', '.join(known)})")
    return text


def _log_level(value: Any) -> str:
    text = _text(value).upper()
    if text not in LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return text


PARSERS: dict[str, Callable[[Any], Any]] = {
    "service_url": _url,
    "token": _required_text,
    "site": _code,
    "gate": _code,
    "mqtt_host": _optional_text,
    "mqtt_port": _number(1, 65535, integer=True),
    "mqtt_username": _optional_text,
    "mqtt_password": _optional_text,
    "mqtt_tls_ca": _existing_file,
    "mqtt_topic_prefix": _prefix,
    "spool": _spool,
    "visit_window": _number(0.1, 86400),
    "visit_settle": _number(0, 60),
    "decision_hold": _number(0, 3600),
    "http_timeout": _number(0.1, 300),
    "http_retries": _number(0, 10, integer=True),
    "display_host": _required_text,
    "display_port": _number(0, 65535, integer=True),
    "profile": _profile,
    "frame_queue": _number(1, 100, integer=True),
    "log_level": _log_level,
}
REQUIRED = ("service_url", "token", "site", "gate")


def read_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The keys of a TOML settings file; a missing or malformed file is a ConfigError."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError({"<file>": f"cannot read {os.fspath(path)!r}: {exc.strerror}"}) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError({"<file>": f"{os.fspath(path)}: {exc}"}) from None


def read_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """Every GATE_CLIENT_* variable as a lower-case key (unknown ones are kept, to be reported)."""
    return {name[len(ENV_PREFIX):].lower(): value for name, value in environ.items()
            if name.startswith(ENV_PREFIX)}


def load_settings(path: str | os.PathLike[str] | None = None, *,
                  environ: Mapping[str, str] | None = None,
                  overrides: Mapping[str, Any] | None = None) -> Settings:
    """Merge defaults, the file, GATE_CLIENT_* variables and overrides (command line); validate.

    :raises ConfigError: naming every unknown key, bad value and missing required setting.
    """
    layers: list[tuple[str, Mapping[str, Any]]] = []
    if path is not None:
        layers.append((os.fspath(path), read_file(path)))
    env = read_environ(os.environ if environ is None else environ)
    layers.append(("environment", env))
    layers.append(("command line", {k: v for k, v in (overrides or {}).items() if v is not None}))
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    bad: set[str] = set()
    for source, layer in layers:
        for key, raw in layer.items():
            name = f"{ENV_PREFIX}{key.upper()}" if source == "environment" else key
            parser = PARSERS.get(key)
            if parser is None:
                problems[name] = f"unknown setting (in {source}; check the spelling)"
                continue
            try:
                values[key] = parser(raw)
            except ValueError as exc:
                problems[name] = f"{exc} (in {source})"
                bad.add(key)
    for key in REQUIRED:
        if key not in values and key not in bad:
            problems[key] = f"is required (set {key} in the file or {ENV_PREFIX}{key.upper()})"
    if problems:
        raise ConfigError(problems)
    return Settings(**values)
