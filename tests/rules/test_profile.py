"""Profiles: bundled ones load, validation is strict and names the problem, versions are hashes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from rules import ProfileError
from rules import available_profiles
from rules import load_profile
from rules import load_profile_file
from rules import show_profile
from rules.checks.base import PARAM_KINDS
from rules.profile import parse_profile
from rules.profile import profile_from_yaml
from rules.registry import ALL_CHECK_IDS
from rules.registry import CHECKS
from tests.rules.factory import set_path


def _data() -> dict[str, Any]:
    return load_profile("cn-2019").to_data()


def _fails(data: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ProfileError, match=pattern):
        parse_profile(data, origin="test")


def test_bundled_profiles() -> None:
    assert set(available_profiles()) >= {"cn-2019", "adr-2025"}
    cn, adr = load_profile("cn-2019"), load_profile("adr-2025")
    assert cn.id == "cn-2019" and adr.id == "adr-2025"
    assert load_profile() is cn  # the default, cached
    assert cn.timezone == "Asia/Shanghai"
    assert cn.requires_escort and not adr.requires_escort
    assert cn.params("C05")["certificate"] == "cn" and adr.params("C05")["certificate"] == "adr"
    assert cn.params("C14")["toxic_pass"] and not adr.params("C14")["toxic_pass"]
    for check in ("C10", "C11"):
        assert adr.severity(check) == "refuse"
    five_checks = [f"C{n:02d}" for n in (*range(1, 10), 12, 13, 14, 15, 18, 19, 20, 25)]
    assert all(cn.severity(c) == "refuse" for c in five_checks)


def test_version_is_the_hash_of_the_content() -> None:
    cn = load_profile("cn-2019")
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", cn.version)
    assert parse_profile(_data()).version == cn.version  # same content, same version
    changed = _data()
    changed["warning_horizon_days"] = 31
    assert parse_profile(changed).version != cn.version


def test_load_from_a_path(tmp_path: Path) -> None:
    data = _data()
    data["id"] = "site-jms01"
    file = tmp_path / "site.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    profile = load_profile_file(file)
    assert profile.id == "site-jms01"
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile_file(tmp_path / "absent.yaml")


def test_unknown_bundled_profile() -> None:
    with pytest.raises(ProfileError, match="no bundled profile"):
        load_profile("nowhere-2030")
    with pytest.raises(ProfileError, match="not a profile id"):
        load_profile("../cn-2019")


@pytest.mark.parametrize(
    ("path", "value", "pattern"),
    [
        ("colour", "blue", r"\(top level\): unknown key\(s\) colour"),
        ("checks.C99", {"severity": "refuse"}, r"checks\.C99: unknown check id"),
        ("checks.C01.severity", "maybe", r"checks\.C01\.severity: must be refuse, warn or off"),
        ("checks.C01.severity", False, r"YAML boolean; write 'off' in quotes"),
        ("checks.C01.extra", 1, r"checks\.C01: unknown key\(s\) extra"),
        ("checks.C16.severity", "refuse", r"checks\.C16: is not implemented"),
        ("checks.C25.severity", "warn", r"checks\.C25\.severity: must be refuse"),
        ("checks.C05.params.certficate", "cn", r"unknown parameter\(s\) certficate"),
        ("checks.C05.params.certificate", "eu", r"must be one of cn, adr"),
        ("checks.C05.params.endorsements", {"toxic": "剧毒"}, r"unknown key\(s\) toxic"),
        ("checks.C17.params.incompatible_previous_cargo", [[1203, 1202]], r"must be pair_list"),
        ("code_formats.0.pattern", "(?P<id>[A-Z", r"code_formats\[0\]\.pattern: bad regex"),
        ("code_formats.0.pattern", "[A-Z]+", r"needs a named group \(\?P<id>"),
        ("code_formats.0.kind", "CAR", r"code_formats\[0\]\.kind: must be one of"),
        (
            "code_formats.+",
            {"name": "bare_plate", "pattern": "(?P<id>x)", "kind": "VEH"},
            r"duplicate format name",
        ),
        (
            "messages.NOT_A_CODE",
            {"zh": "x", "en": "x"},
            r"messages\.NOT_A_CODE: unknown reason code",
        ),
        ("messages.PLATE_MISMATCH", {"zh": "x"}, r"messages\.PLATE_MISMATCH: missing key\(s\) en"),
        ("messages.PLATE_MISMATCH.zh", "车牌{plate", r"bad placeholder syntax"),
        ("messages.PLATE_MISMATCH.zh", "车牌{0}", r"placeholders must be names"),
        ("citations.C77", "x", r"citations\.C77: unknown check id"),
        ("checklist.0.code", "GPS_OFFLINE", r"checklist\[0\]\.code: must be one of"),
        ("checklist.0.item", "Grounding!", r"lower-case slug"),
        ("timezone", "Mars/Olympus", r"unknown time zone"),
        ("warning_horizon_days", -1, r"warning_horizon_days: must be a whole number"),
        ("quantity_tolerance.under_percent", 150, r"must be a number 0-100"),
        ("require_load", "yes", r"require_load: must be true or false"),
        ("id", "CN 2019", r"id: must be lower-case"),
        ("local_date", "2026-11-28", r"unknown key\(s\) local_date"),
    ],
)
def test_validation_names_the_problem(path: str, value: Any, pattern: str) -> None:
    data = _data()
    set_path(data, path, value)
    _fails(data, pattern)


def test_missing_entries() -> None:
    data = _data()
    del data["messages"]["TANK_INSPECTION_EXPIRED"]
    _fails(data, r"messages: no message for TANK_INSPECTION_EXPIRED")
    data = _data()
    del data["citations"]["C08"]
    _fails(data, r"citations: no citation for C08")
    data = _data()
    del data["checks"]["C08"]
    _fails(data, r"every implemented check must be listed; missing C08")
    data = _data()
    del data["title"]
    _fails(data, r"missing key\(s\) title")


def test_checklist_item_of_a_switched_off_check() -> None:
    data = _data()
    data["checks"]["C22"]["severity"] = "off"
    _fails(data, r"GROUNDING_NOT_CONFIRMED belongs to C22, which is off")


def test_messages_of_switched_off_checks_are_not_required() -> None:
    data = _data()
    data["checks"]["C20"]["severity"] = "off"
    for code in (
        "BLACKLISTED_CARRIER",
        "BLACKLISTED_VEHICLE",
        "BLACKLISTED_TANK",
        "BLACKLISTED_PERSON",
    ):
        del data["messages"][code]
    assert parse_profile(data).severity("C20") == "off"


def test_yaml_level_errors() -> None:
    with pytest.raises(ProfileError, match="duplicate key 'id'"):
        profile_from_yaml("id: a\nid: b\n")
    with pytest.raises(ProfileError, match="not valid YAML"):
        profile_from_yaml("id: [unclosed\n")
    with pytest.raises(ProfileError, match="must be a mapping"):
        profile_from_yaml("- just\n- a list\n")
    text = yaml.safe_dump(_data(), allow_unicode=True)
    with pytest.raises(ProfileError, match="title: must be a non-empty string"):
        profile_from_yaml(re.sub(r"(?m)^title: .*$", "title: 2026-11-28", text))


def test_file_id_must_match() -> None:
    text = yaml.safe_dump(_data(), allow_unicode=True)
    with pytest.raises(ProfileError, match="is 'cn-2019' but the file is for 'adr-2025'"):
        profile_from_yaml(text, expected_id="adr-2025")


def test_show_profile_lists_every_check() -> None:
    text = show_profile(load_profile("cn-2019"))
    assert text.startswith("cn-2019: ")
    assert load_profile("cn-2019").version in text
    for check_id in ALL_CHECK_IDS:
        assert f"  {check_id}  " in text
    for spec in CHECKS:
        assert spec.title in text
    assert "ewaybill_url" in text and "grounding" in text


def test_every_check_declares_well_formed_parameters() -> None:
    for spec in CHECKS:
        assert spec.codes, spec.id
        for name, param in spec.params.items():
            assert param.kind in PARAM_KINDS, (spec.id, name)
            if param.kind == "choice":
                assert param.default in param.choices, (spec.id, name)
