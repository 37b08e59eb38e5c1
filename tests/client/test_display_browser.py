"""The operator page in headless chromium: typed codes fill the slots; ALLOW and REFUSE shown."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest

from gate_client.config import Settings
from gate_client.display import DisplayServer
from gate_client.display import create_app
from gate_client.station import Station
from tests.client.webdriver import ENTER
from tests.client.webdriver import Browser
from tests.client.webdriver import find_binaries
from tests.service.visits import BAD_SCANS
from tests.service.visits import GOOD_SCANS

SLOTS_OF_A_VISIT = ("vehicle", "trailer", "tank", "driver", "escort", "waybill")


def _chromium() -> tuple[str, str]:
    """chromium and chromedriver, installed from Debian's packages if missing."""
    found = find_binaries()
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for command in (["apt-get", "update", "-qq"],
                        ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"]):
            subprocess.run(command, env=env, capture_output=True, check=False, timeout=900)
        found = find_binaries()
        if found:
            return found
    pytest.skip("chromium and chromium-driver are not installed and could not be installed "
                "(apt-get install chromium chromium-driver)")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    chromium, chromedriver = _chromium()
    session = Browser(chromium, chromedriver, tmp_path / "chromium-profile")
    yield session
    session.close()


@pytest.fixture
def page(make_settings: Callable[..., Settings]) -> Iterator[str]:
    """A running station and its display; yields the page's URL."""
    # A long settle: the visit goes when the operator confirms, not by itself.
    station = Station(make_settings(visit_settle=60.0), use_mqtt=False).start()
    server = DisplayServer(create_app(station)).start()
    yield server.url
    server.stop()
    station.close()


def _scan_each(browser: Browser, texts: list[str]) -> None:
    """Type each code and Enter, as a keyboard-wedge scanner does, waiting for it to land."""
    for count, text in enumerate(texts, 1):
        browser.type("#code", text + ENTER)
        browser.wait_for(lambda n=count: browser.script(
            "return document.querySelectorAll('#scans li').length") >= n,
            what=f"{text} in the list of codes read")


def _slot_states(browser: Browser) -> dict[str, str]:
    return browser.script("const out = {}; for (const r of document.querySelectorAll("
                          "'#slots tr')) out[r.dataset.slot] = r.dataset.state; return out;")


def _tick_checklist(browser: Browser) -> None:
    for item in ("grounding", "no_leaks", "placards"):
        browser.click(f"#check-{item}")
        browser.wait_for(lambda i=item: browser.script(
            f"return document.getElementById('check-{i}').checked"), what=f"{item} ticked")
    # The ticks reached the station (the page re-renders them from its state).
    browser.wait_for(lambda: browser.script(
        "return fetch('/api/state').then(r => r.json()).then(s => s.checklist.every("
        "c => c.checked))"), what="the checklist ticked in the station")


def test_operator_scans_ticks_and_confirms(browser: Browser, page: str, tmp_path: Path) -> None:
    browser.get(page)
    browser.wait_for(lambda: browser.text("#banner") == "请扫码", what="the idle banner")

    _scan_each(browser, GOOD_SCANS)
    states = browser.wait_for(
        lambda: (s := _slot_states(browser)) and all(s[k] == "filled" for k in SLOTS_OF_A_VISIT)
        and s, what="the slots filled")
    assert states["order"] == "empty"
    assert "黑D12345" in browser.text("tr[data-slot=vehicle]")
    assert browser.text("#banner") == "扫码中"

    _tick_checklist(browser)
    browser.click("#confirm")
    browser.wait_for(lambda: browser.text("#banner") == "允许装货", what="允许装货")
    assert browser.text("#barrier") == "道闸可开启"
    assert browser.script("return getComputedStyle(document.getElementById('banner'))"
                          ".backgroundColor") == "rgb(21, 128, 61)"  # green
    allowed = browser.screenshot(tmp_path / "operator-page-allow.png")

    # The next vehicle: its first code starts a new visit with an empty checklist.
    _scan_each(browser, BAD_SCANS[:1])
    browser.wait_for(lambda: browser.text("#banner") == "扫码中", what="a new visit")
    assert not browser.script("return document.getElementById('check-grounding').checked")
    browser.wait_for(lambda: browser.script(
        "return document.querySelectorAll('#scans li').length") == 1, what="a fresh list")
    _scan_each(browser, BAD_SCANS)
    _tick_checklist(browser)
    browser.click("#confirm")
    browser.wait_for(lambda: browser.text("#banner") == "禁止装货", what="禁止装货")
    reasons = browser.text("#reasons")
    assert "罐体检验已过期" in reasons and "押运员从业资格证已过期" in reasons
    assert browser.text("#barrier") == "道闸关闭"
    refused = browser.screenshot(tmp_path / "operator-page-refuse.png")

    browser.click("#lang")
    browser.wait_for(lambda: browser.text("#banner") == "Loading refused", what="English")
    assert "Tank inspection expired" in browser.text("#reasons")
    for shot in (allowed, refused):
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshots: {allowed} {refused}")
