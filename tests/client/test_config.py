"""Client settings: file, GATE_CLIENT_* variables, validation naming each bad key; check-config."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate_client.cli import main
from gate_client.config import ConfigError
from gate_client.config import load_settings

BASE = {"GATE_CLIENT_SERVICE_URL": "http://127.0.0.1:8000", "GATE_CLIENT_TOKEN": "t0k3n-secret",
        "GATE_CLIENT_SITE": "JMS01", "GATE_CLIENT_GATE": "G1"}


def problems(**kwargs: object) -> dict[str, str]:
    with pytest.raises(ConfigError) as err:
        load_settings(**kwargs)  # type: ignore[arg-type]
    return err.value.problems


def test_defaults_file_then_environment(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text('service_url = "https://gate.example/"\ntoken = "from-file"\n'
                      'site = "JMS01"\ngate = "G2"\nvisit_window = 45\nmqtt_host = "broker"\n'
                      f'spool = "{tmp_path / "spool.db"}"\n', encoding="utf-8")
    settings = load_settings(config, environ={"GATE_CLIENT_GATE": "G1",
                                              "GATE_CLIENT_HTTP_TIMEOUT": "2.5",
                                              "GATE_CLIENT_MQTT_PORT": "8883",
                                              "OTHER_VARIABLE": "ignored"})
    assert settings.service_url == "https://gate.example"  # trailing slash dropped
    assert (settings.site, settings.gate) == ("JMS01", "G1")  # the variable wins
    assert settings.visit_window == 45.0 and settings.http_timeout == 2.5
    assert settings.mqtt_host == "broker" and settings.mqtt_port == 8883
    assert settings.display_host == "127.0.0.1" and settings.profile == "cn-2019"
    assert "from-file" not in repr(settings)
    assert settings.masked()["token"] == "***"


def test_no_broker_means_no_mqtt() -> None:
    settings = load_settings(environ={**BASE, "GATE_CLIENT_MQTT_HOST": ""})
    assert settings.mqtt_host is None


def test_unknown_keys_are_named_wherever_they_are(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text('servce_url = "http://x"\n[mqtt]\nhost = "b"\n', encoding="utf-8")
    found = problems(path=config, environ={**BASE, "GATE_CLIENT_VISIT_WINDOWS": "3"})
    assert "unknown setting" in found["servce_url"] and str(config) in found["servce_url"]
    assert "unknown setting" in found["mqtt"]
    assert "environment" in found["GATE_CLIENT_VISIT_WINDOWS"]


@pytest.mark.parametrize(("variable", "value", "words"), [
    ("GATE_CLIENT_MQTT_PORT", "abc", "must be an integer"),
    ("GATE_CLIENT_MQTT_PORT", "70000", "between 1 and 65535"),
    ("GATE_CLIENT_VISIT_WINDOW", "-1", "between 0.1"),
    ("GATE_CLIENT_HTTP_TIMEOUT", "nan", "must be a number"),
    ("GATE_CLIENT_SERVICE_URL", "ftp://x", "http:// or https://"),
    ("GATE_CLIENT_SITE", "JMS/01", "without spaces"),
    ("GATE_CLIENT_GATE", "#", "without spaces"),
    ("GATE_CLIENT_MQTT_TLS_CA", "/no/such/ca.pem", "no such file"),
    ("GATE_CLIENT_PROFILE", "xx-0000", "unknown profile"),
    ("GATE_CLIENT_LOG_LEVEL", "LOUD", "one of DEBUG"),
    ("GATE_CLIENT_DISPLAY_PORT", "1.5", "must be an integer"),
])
def test_bad_values_are_named(variable: str, value: str, words: str) -> None:
    found = problems(environ={**BASE, variable: value})
    assert list(found) == [variable] and words in found[variable]


def test_wrong_types_in_the_file_are_named(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text('mqtt_port = "1883x"\nhttp_retries = 1.5\ntoken = 5\n', encoding="utf-8")
    found = problems(path=config, environ={k: v for k, v in BASE.items() if "TOKEN" not in k})
    assert set(found) == {"mqtt_port", "http_retries", "token"}


def test_missing_required_settings_are_named() -> None:
    found = problems(environ={"GATE_CLIENT_SITE": "JMS01"})
    assert set(found) == {"service_url", "token", "gate"}
    assert "GATE_CLIENT_TOKEN" in found["token"]


def test_a_broken_file_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text("token = \n", encoding="utf-8")
    assert "<file>" in problems(path=config, environ=BASE)
    assert "cannot read" in problems(path=tmp_path / "missing.toml", environ=BASE)["<file>"]


def test_check_config_prints_or_names_the_bad_key(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    for name, value in BASE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GATE_CLIENT_SPOOL", str(tmp_path / "spool.db"))
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert '"site": "JMS01"' in out and "t0k3n-secret" not in out
    monkeypatch.setenv("GATE_CLIENT_HTTP_TIMEOUT", "soon")
    assert main(["check-config"]) == 2
    err = capsys.readouterr().err
    assert "GATE_CLIENT_HTTP_TIMEOUT" in err and "soon" in err
