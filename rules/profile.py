"""Load, validate and describe rule-set profiles (which checks apply, how, and what they say)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import string
from collections.abc import Hashable
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

import yaml

from rules.checks.base import UNAVAILABLE
from rules.checks.base import ParamSpec
from rules.checks.checklist import CHECKLIST_CODES
from rules.codes import KINDS
from rules.registry import ALL_CHECK_IDS
from rules.registry import CHECKS
from rules.registry import KNOWN_CODES

DEFAULT_PROFILE = "cn-2019"
SEVERITIES = ("refuse", "warn", "off")
# Checks that may never be weakened: switching off fail-closed would make UNKNOWN allow.
ALWAYS_REFUSE = frozenset({"C25"})

_TOP_KEYS = frozenset(
    {
        "id",
        "title",
        "timezone",
        "warning_horizon_days",
        "quantity_tolerance",
        "require_load",
        "checks",
        "messages",
        "citations",
        "checklist",
        "code_formats",
    }
)
_REQUIRED_TOP = ("id", "title", "checks", "messages", "citations")
_ID = re.compile(r"[a-z0-9][a-z0-9.-]{0,63}")
_SLUG = re.compile(r"[a-z][a-z0-9_]{0,63}")


class ProfileError(ValueError):
    """A profile that cannot be used; the message names the file and the offending entry."""


@dataclass(frozen=True, slots=True)
class Message:
    """A reason message template in Chinese and English, with `{placeholders}`."""

    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class CheckSetting:
    """How a profile applies one check: severity and parameters (defaults merged)."""

    severity: str
    params: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """An operator checklist item that must be ticked true, and the code if it is not."""

    item: str
    zh: str
    en: str
    code: str


@dataclass(frozen=True, slots=True)
class CodeFormat:
    """An external scanned-code format: a regex with a named group `id`, mapped to a kind."""

    name: str
    pattern: re.Pattern[str]
    kind: str


@dataclass(frozen=True, slots=True)
class QuantityTolerance:
    """How far a planned quantity may differ from the waybill, in percent of the waybill."""

    over_percent: float = 0.0
    under_percent: float = 0.0


@dataclass(frozen=True, slots=True)
class Profile:
    """A validated rule-set profile; `version` is the content hash stamped on every decision."""

    id: str
    title: str
    version: str
    timezone: str
    warning_horizon_days: int
    quantity_tolerance: QuantityTolerance
    require_load: bool
    checks: Mapping[str, CheckSetting]
    messages: Mapping[str, Message]
    citations: Mapping[str, str]
    checklist: tuple[ChecklistItem, ...]
    code_formats: tuple[CodeFormat, ...]
    source: Mapping[str, Any]

    def severity(self, check: str) -> str:
        """The check's severity; a check the profile does not list is off."""
        setting = self.checks.get(check)
        return setting.severity if setting else "off"

    def params(self, check: str) -> Mapping[str, Any]:
        """The check's parameters with defaults merged."""
        setting = self.checks.get(check)
        return setting.params if setting else MappingProxyType({})

    def to_data(self) -> dict[str, Any]:
        """A mutable deep copy of the profile's content, to derive a variant from."""
        return {key: _thaw(value) for key, value in self.source.items()}

    @property
    def requires_escort(self) -> bool:
        """An escort must be presented whenever the escort check (C06) is on."""
        return self.severity("C06") != "off"


# --- YAML ----------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    # PyYAML silently keeps the last of two equal keys; a profile must not hide an entry that way.
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable) and key in seen:
                line = key_node.start_mark.line + 1
                raise ProfileError(f"duplicate key {key!r} (line {line})")
            if isinstance(key, Hashable):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _parse_yaml(text: str, origin: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: no arbitrary objects
    except ProfileError as exc:
        raise ProfileError(f"{origin}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ProfileError(f"{origin}: not valid YAML: {exc}") from None


# --- Validation ----------------------------------------------------------------------------------


class _Validator:
    """Checks parsed content piece by piece; the first problem raises with its path."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, path: str, problem: str) -> ProfileError:
        return ProfileError(f"{self.origin}: {path}: {problem}")

    def mapping(self, path: str, value: Any) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"must be a mapping, got {type(value).__name__}")
        for key in value:
            if not isinstance(key, str):
                raise self.fail(path, f"keys must be strings, got {key!r} (quote it in YAML)")
        return value

    def text(self, path: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"must be a non-empty string, got {value!r}")
        return value

    def keys(
        self, path: str, value: Mapping[str, Any], allowed: set[str], required: set[str]
    ) -> None:
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(path, f"unknown key(s) {', '.join(unknown)}")
        absent = sorted(required - set(value))
        if absent:
            raise self.fail(path, f"missing key(s) {', '.join(absent)}")

    def template(self, path: str, value: Any) -> str:
        text = self.text(path, value)
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        except ValueError as exc:
            raise self.fail(path, f"bad placeholder syntax: {exc}") from None
        for name in fields:
            if not name.isidentifier():
                raise self.fail(path, f"placeholders must be names like {{until}}, got {{{name}}}")
        return text

    def param(self, path: str, spec: ParamSpec, value: Any) -> Any:
        ok = {
            "bool": lambda v: isinstance(v, bool),
            "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "str": lambda v: isinstance(v, str),
            "choice": lambda v: v in spec.choices,
            "str_list": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
            "pair_list": lambda v: (
                isinstance(v, list)
                and all(
                    isinstance(p, list) and len(p) == 2 and all(isinstance(i, str) for i in p)
                    for p in v
                )
            ),
            "str_map": lambda v: (
                isinstance(v, dict)
                and all(isinstance(k, str) and isinstance(i, str) for k, i in v.items())
            ),
            "str_list_map": lambda v: (
                isinstance(v, dict)
                and all(
                    isinstance(k, str)
                    and isinstance(i, list)
                    and all(isinstance(s, str) for s in i)
                    for k, i in v.items()
                )
            ),
        }[spec.kind](value)
        if not ok:
            wanted = f"one of {', '.join(spec.choices)}" if spec.kind == "choice" else spec.kind
            raise self.fail(path, f"must be {wanted} (strings quoted), got {value!r}")
        if spec.kind in {"str_map", "str_list_map"} and spec.choices:
            bad = sorted(set(value) - set(spec.choices))
            if bad:
                allowed = ", ".join(spec.choices)
                raise self.fail(path, f"unknown key(s) {', '.join(bad)}; allowed: {allowed}")
        return _freeze(value)


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_thaw(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    return value


def _checks(v: _Validator, raw: Any) -> dict[str, CheckSetting]:
    data = v.mapping("checks", raw)
    specs = {spec.id: spec for spec in CHECKS}
    settings: dict[str, CheckSetting] = {}
    for check_id, entry in data.items():
        path = f"checks.{check_id}"
        if check_id not in ALL_CHECK_IDS:
            raise v.fail(path, "unknown check id")
        body = v.mapping(path, entry)
        v.keys(path, body, {"severity", "params"}, {"severity"})
        severity = body["severity"]
        if severity is False:
            raise v.fail(f"{path}.severity", "got a YAML boolean; write 'off' in quotes")
        if severity not in SEVERITIES:
            raise v.fail(f"{path}.severity", f"must be refuse, warn or off, got {severity!r}")
        if check_id in ALWAYS_REFUSE and severity != "refuse":
            raise v.fail(
                f"{path}.severity", "must be refuse (fail-closed checks cannot be weakened)"
            )
        spec = specs.get(check_id)
        if spec is None and severity != "off":
            raise v.fail(path, "is not implemented by this version; only 'off' is allowed")
        given = v.mapping(f"{path}.params", body.get("params") or {})
        allowed = spec.params if spec else {}
        unknown = sorted(set(given) - set(allowed))
        if unknown:
            raise v.fail(f"{path}.params", f"unknown parameter(s) {', '.join(unknown)}")
        merged = {name: _freeze(p.default) for name, p in allowed.items()}
        for name, value in given.items():
            merged[name] = v.param(f"{path}.params.{name}", allowed[name], value)
        settings[check_id] = CheckSetting(severity, MappingProxyType(merged))
    absent = [spec.id for spec in CHECKS if spec.id not in settings]
    if absent:
        raise v.fail(
            "checks", f"every implemented check must be listed; missing {', '.join(absent)}"
        )
    return settings


def _messages(v: _Validator, raw: Any, checks: Mapping[str, CheckSetting]) -> dict[str, Message]:
    data = v.mapping("messages", raw)
    messages: dict[str, Message] = {}
    for code, entry in data.items():
        path = f"messages.{code}"
        if code not in KNOWN_CODES:
            raise v.fail(path, "unknown reason code")
        body = v.mapping(path, entry)
        v.keys(path, body, {"zh", "en"}, {"zh", "en"})
        messages[code] = Message(
            v.template(f"{path}.zh", body["zh"]), v.template(f"{path}.en", body["en"])
        )
    needed = {UNAVAILABLE}
    for spec in CHECKS:
        if checks[spec.id].severity != "off":
            needed.update(spec.codes)
    absent = sorted(needed - set(messages))
    if absent:
        raise v.fail("messages", f"no message for {', '.join(absent)}")
    return messages


def _citations(v: _Validator, raw: Any, checks: Mapping[str, CheckSetting]) -> dict[str, str]:
    data = v.mapping("citations", raw)
    for check_id, text in data.items():
        if check_id not in ALL_CHECK_IDS:
            raise v.fail(f"citations.{check_id}", "unknown check id")
        v.text(f"citations.{check_id}", text)
    absent = [c for c, s in checks.items() if s.severity != "off" and c not in data]
    if absent:
        raise v.fail("citations", f"no citation for {', '.join(sorted(absent))}")
    return dict(data)


def _checklist(
    v: _Validator, raw: Any, checks: Mapping[str, CheckSetting]
) -> tuple[ChecklistItem, ...]:
    if not isinstance(raw, list):
        raise v.fail("checklist", "must be a list")
    items: list[ChecklistItem] = []
    for i, entry in enumerate(raw):
        path = f"checklist[{i}]"
        body = v.mapping(path, entry)
        v.keys(path, body, {"item", "zh", "en", "code"}, {"item", "zh", "en", "code"})
        item = v.text(f"{path}.item", body["item"])
        if not _SLUG.fullmatch(item):
            raise v.fail(f"{path}.item", "must be a lower-case slug like no_leaks")
        if any(existing.item == item for existing in items):
            raise v.fail(f"{path}.item", f"duplicate item {item}")
        code = body["code"]
        if code not in CHECKLIST_CODES:
            raise v.fail(f"{path}.code", f"must be one of {', '.join(sorted(CHECKLIST_CODES))}")
        owner = CHECKLIST_CODES[code]
        if checks[owner].severity == "off":
            raise v.fail(f"{path}.code", f"{code} belongs to {owner}, which is off")
        items.append(
            ChecklistItem(
                item, v.text(f"{path}.zh", body["zh"]), v.text(f"{path}.en", body["en"]), code
            )
        )
    return tuple(items)


def _code_formats(v: _Validator, raw: Any) -> tuple[CodeFormat, ...]:
    if not isinstance(raw, list):
        raise v.fail("code_formats", "must be a list")
    formats: list[CodeFormat] = []
    for i, entry in enumerate(raw):
        path = f"code_formats[{i}]"
        body = v.mapping(path, entry)
        v.keys(path, body, {"name", "pattern", "kind"}, {"name", "pattern", "kind"})
        name = v.text(f"{path}.name", body["name"])
        if any(f.name == name for f in formats):
            raise v.fail(f"{path}.name", f"duplicate format name {name}")
        try:
            pattern = re.compile(v.text(f"{path}.pattern", body["pattern"]))
        except re.error as exc:
            raise v.fail(f"{path}.pattern", f"bad regex: {exc}") from None
        if "id" not in pattern.groupindex:
            raise v.fail(f"{path}.pattern", "needs a named group (?P<id>...)")
        if body["kind"] not in KINDS:
            raise v.fail(f"{path}.kind", f"must be one of {', '.join(KINDS)}")
        formats.append(CodeFormat(name, pattern, body["kind"]))
    return tuple(formats)


def _tolerance(v: _Validator, raw: Any) -> QuantityTolerance:
    data = v.mapping("quantity_tolerance", raw)
    v.keys("quantity_tolerance", data, {"over_percent", "under_percent"}, set())
    values: dict[str, float] = {}
    for key in ("over_percent", "under_percent"):
        value = data.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            raise v.fail(f"quantity_tolerance.{key}", f"must be a number 0-100, got {value!r}")
        values[key] = float(value)
    return QuantityTolerance(**values)


def _version(data: Mapping[str, Any], v: _Validator) -> str:
    try:
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise v.fail("(content)", f"holds a value JSON cannot carry: {exc}") from None
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_profile(
    raw: Any, *, origin: str = "<profile>", expected_id: str | None = None
) -> Profile:
    """Validate parsed profile content strictly and build a `Profile`.

    :raises ProfileError: naming the first problem (unknown key, unknown check, bad severity,
        bad regex, missing message or citation, ...).
    """
    v = _Validator(origin)
    data = v.mapping("(top level)", raw)
    v.keys("(top level)", data, set(_TOP_KEYS), set(_REQUIRED_TOP))
    profile_id = v.text("id", data["id"])
    if not _ID.fullmatch(profile_id):
        raise v.fail("id", "must be lower-case letters, digits, '.' and '-'")
    if expected_id is not None and profile_id != expected_id:
        raise v.fail("id", f"is {profile_id!r} but the file is for {expected_id!r}")
    timezone = v.text("timezone", data.get("timezone", "Asia/Shanghai"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise v.fail("timezone", f"unknown time zone {timezone!r}") from None
    horizon = data.get("warning_horizon_days", 30)
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 0:
        raise v.fail("warning_horizon_days", f"must be a whole number ≥ 0, got {horizon!r}")
    require_load = data.get("require_load", False)
    if not isinstance(require_load, bool):
        raise v.fail("require_load", f"must be true or false, got {require_load!r}")
    checks = _checks(v, data["checks"])
    return Profile(
        id=profile_id,
        title=v.text("title", data["title"]),
        version=_version(data, v),
        timezone=timezone,
        warning_horizon_days=horizon,
        quantity_tolerance=_tolerance(v, data.get("quantity_tolerance", {})),
        require_load=require_load,
        checks=MappingProxyType(checks),
        messages=MappingProxyType(_messages(v, data["messages"], checks)),
        citations=MappingProxyType(_citations(v, data["citations"], checks)),
        checklist=_checklist(v, data.get("checklist", []), checks),
        code_formats=_code_formats(v, data.get("code_formats", [])),
        source=_freeze(data),
    )


def profile_from_yaml(
    text: str, *, origin: str = "<yaml>", expected_id: str | None = None
) -> Profile:
    """Parse and validate a profile from YAML text."""
    return parse_profile(_parse_yaml(text, origin), origin=origin, expected_id=expected_id)


def available_profiles() -> tuple[str, ...]:
    """Ids of the profiles bundled with the package."""
    folder = resources.files("rules") / "profiles"
    names = (entry.name for entry in folder.iterdir())
    return tuple(sorted(n.removesuffix(".yaml") for n in names if n.endswith(".yaml")))


def load_profile(profile_id: str = DEFAULT_PROFILE) -> Profile:
    """Load a bundled profile (`rules/profiles/<id>.yaml`); cached, as profiles are immutable.

    :raises ProfileError: if there is no such profile or it does not validate.
    """
    return _load_bundled(profile_id)


@lru_cache(maxsize=16)
def _load_bundled(profile_id: str) -> Profile:
    if not _ID.fullmatch(profile_id):
        raise ProfileError(f"{profile_id!r} is not a profile id")
    entry = resources.files("rules") / "profiles" / f"{profile_id}.yaml"
    if not entry.is_file():
        known = ", ".join(available_profiles())
        raise ProfileError(f"no bundled profile {profile_id!r} (bundled: {known})")
    text = entry.read_text(encoding="utf-8")
    return profile_from_yaml(text, origin=f"profiles/{profile_id}.yaml", expected_id=profile_id)


def load_profile_file(path: str | os.PathLike[str]) -> Profile:
    """Load a profile from a YAML file on disk (a site's own rule set)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"{file}: cannot read: {exc.strerror}") from None
    return profile_from_yaml(text, origin=str(file))


def _param_text(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_param_text(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_param_text(v)}" for k, v in value.items()) + "}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def show_profile(profile: Profile) -> str:
    """Render a readable summary of a profile (printed by `gate-service rules show`)."""
    tol = profile.quantity_tolerance
    lines = [
        f"{profile.id}: {profile.title}",
        f"version   {profile.version}",
        f"timezone  {profile.timezone}",
        f"warnings  credentials expiring within {profile.warning_horizon_days} days",
        f"quantity  +{tol.over_percent:g} % / -{tol.under_percent:g} % of the waybill",
        "load      " + ("required" if profile.require_load else "waybill goods stand in if absent"),
        "",
        "checks:",
    ]
    titles = {spec.id: f"{spec.title} / {spec.title_en}" for spec in CHECKS}
    for check_id in ALL_CHECK_IDS:
        setting = profile.checks.get(check_id)
        severity = setting.severity if setting else "off"
        title = titles.get(check_id, "(not implemented)")
        lines.append(f"  {check_id}  {severity:<6}  {title}")
        if setting and severity != "off":
            for name, value in setting.params.items():
                lines.append(f"               {name} = {_param_text(value)}")
            citation = profile.citations.get(check_id)
            if citation:
                lines.append(f"               cites: {citation}")
    lines += ["", "checklist (must be ticked):"]
    lines += [f"  {i.item:<22} {i.zh} / {i.en} → {i.code}" for i in profile.checklist] or [
        "  (none)"
    ]
    lines += ["", "code formats (besides LG1:<KIND>:<ID>):"]
    lines += [f"  {f.name:<22} {f.kind}  {f.pattern.pattern}" for f in profile.code_formats] or [
        "  (none)"
    ]
    lines += ["", f"messages: {len(profile.messages)} reason codes in zh and en"]
    return "\n".join(lines) + "\n"
