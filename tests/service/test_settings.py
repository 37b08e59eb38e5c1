"""Settings: defaults, instance file, GATE_* variables, and validation that names the bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate_service.settings import SettingsError
from gate_service.settings import load_settings


def test_defaults_use_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    assert settings.database_url == f"sqlite:///{tmp_path / 'gate.db'}"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.default_profile == "cn-2019"


def test_instance_file_then_environment_then_overrides(tmp_path: Path) -> None:
    (tmp_path / "gate.toml").write_text('timezone = "Europe/Berlin"\npage_size_max = 100\n')
    env = {"GATE_PAGE_SIZE_MAX": "200", "GATE_CLIENT_TOKEN": "ignored", "OTHER": "x"}
    settings = load_settings(tmp_path, {"log_level": "DEBUG"}, environ=env)
    assert (settings.timezone, settings.page_size_max, settings.log_level) == (
        "Europe/Berlin",
        200,
        "DEBUG",
    )


@pytest.mark.parametrize(
    ("env", "key", "text"),
    [
        ({"GATE_DATABSE_URL": "sqlite://"}, "databse_url", "unknown setting"),
        ({"GATE_TIMEZONE": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"GATE_PAGE_SIZE_MAX": "lots"}, "page_size_max", "integer"),
        ({"GATE_DATABASE_URL": "mysql://x"}, "database_url", "postgresql"),
        ({"GATE_MQTT_PORT": "70000"}, "mqtt_port", ""),
    ],
)
def test_bad_settings_name_the_key(
    tmp_path: Path, env: dict[str, str], key: str, text: str
) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(tmp_path, environ=env)
    assert key in info.value.problems
    assert key in str(info.value)
    assert text in " ".join(info.value.problems[key])


def test_broken_instance_file(tmp_path: Path) -> None:
    (tmp_path / "gate.toml").write_text("timezone = \n")
    with pytest.raises(SettingsError, match="gate.toml"):
        load_settings(tmp_path, environ={})
