"""The `gate-client` command in-process: decode, headless scans of codes and images, forward."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import pytest

from gate_client.cli import main
from tests.client.conftest import LiveService
from tests.client.media import PHOTOS
from tests.client.media import background
from tests.client.media import paste
from tests.client.media import qr
from tests.live import call
from tests.service.visits import GOOD_SCANS

CHECKS = ["--check", "grounding", "--check", "no_leaks", "--check", "placards"]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, service: LiveService, tmp_path: Path) -> LiveService:
    """GATE_CLIENT_* variables of a JMS01/G1 client of the running service."""
    for name, value in {"SERVICE_URL": service.url, "TOKEN": service.tokens["operator"],
                        "SITE": "JMS01", "GATE": "G1", "SPOOL": str(tmp_path / "spool.db"),
                        "HTTP_RETRIES": "0", "LOG_LEVEL": "WARNING"}.items():
        monkeypatch.setenv(f"GATE_CLIENT_{name}", value)
    return service


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def code_images(folder: Path, texts: list[str]) -> list[Path]:
    """PNG photos of the codes: one per image, the last image holding two."""
    paths = []
    groups = [[t] for t in texts[:-2]] + [texts[-2:]]
    for n, group in enumerate(groups):
        frame = background(n)
        for i, text in enumerate(group):
            frame = paste(frame, qr(text), 40 + 300 * i, 120)
        path = folder / f"code-{n}.png"
        cv2.imwrite(str(path), frame)
        paths.append(path)
    return paths


def test_decode_prints_one_line_per_image(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    photo = next(p for p in sorted(PHOTOS.glob("qrcode-*/*.png"))
                 if p.with_suffix(".txt").exists())
    (generated,) = code_images(tmp_path, GOOD_SCANS[:2])  # one image, two codes
    broken = tmp_path / "not-an-image.png"
    broken.write_bytes(b"hello")
    assert main(["decode", str(photo), str(generated), str(broken)]) == 1
    first, second, third = lines(capsys.readouterr().out)
    assert first["image"] == str(photo)
    assert [c["text"] for c in first["codes"]] == [photo.with_suffix(".txt").read_bytes().decode()]
    assert first["codes"][0]["symbology"] == "QRCode" and len(first["codes"][0]["position"]) == 4
    assert sorted(c["text"] for c in second["codes"]) == sorted(GOOD_SCANS[:2])
    assert "error" in third and third["image"] == str(broken)


def test_decode_reads_generated_codes(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    paths = code_images(tmp_path, GOOD_SCANS)
    assert main(["decode", *map(str, paths)]) == 0
    read = [c["text"] for line in lines(capsys.readouterr().out) for c in line["codes"]]
    assert sorted(read) == sorted(GOOD_SCANS)


def test_labels_are_written_and_read_back(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["label", "--out", str(tmp_path / "codes"), *GOOD_SCANS[:2]]) == 0
    paths = capsys.readouterr().out.split()
    assert len(paths) == 2 and all(Path(p).suffix == ".png" for p in paths)
    assert main(["decode", *paths]) == 0
    read = [line["codes"][0]["text"] for line in lines(capsys.readouterr().out)]
    assert read == GOOD_SCANS[:2]


def test_scan_codes_headless_is_one_visit(env: LiveService,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", "--codes", *GOOD_SCANS, "--headless", "--load-un", "1203",
                 "--load-kg", "18000", *CHECKS])
    out = capsys.readouterr().out
    assert code == 0, out
    (decision,) = lines(out)
    assert decision["outcome"] == "ALLOW" and decision["barrier"] == "may_open"
    assert decision["message"] == "允许装货" and decision["spooled"] is True


def test_scan_images_headless_is_one_visit(env: LiveService, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    paths = code_images(tmp_path, GOOD_SCANS)
    assert main(["scan", "--images", *map(str, paths), "--headless", *CHECKS]) == 0
    (decision,) = lines(capsys.readouterr().out)
    assert decision["outcome"] == "ALLOW"
    status, logged = call("GET", f"{env.url}/api/v1/decisions/{decision['decision_id']}",
                          env.tokens["admin"])
    assert status == 200 and len(logged["inputs"]["scans"]) == len(GOOD_SCANS)


def test_unticked_checklist_is_refused(env: LiveService,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--codes", *GOOD_SCANS, "--headless"]) == 0
    (decision,) = lines(capsys.readouterr().out)
    assert decision["outcome"] == "REFUSE" and decision["message"] == "禁止装货"
    assert "GROUNDING_NOT_CONFIRMED" in {r["code"] for r in decision["reasons"]}


def test_service_down_exits_3_then_forward_completes_the_record(
        env: LiveService, capsys: pytest.CaptureFixture[str]) -> None:
    env.stop()
    assert main(["scan", "--codes", *GOOD_SCANS, "--headless", *CHECKS]) == 3
    captured = capsys.readouterr()
    (line,) = lines(captured.out)
    assert line["status"] == "unavailable" and line["outcome"] is None
    assert line["barrier"] == "closed" and line["message"] == "服务不可用，道闸保持关闭"
    assert line["spooled"] is True and line["spool_state"] == "pending"
    assert main(["forward"]) == 3  # still down: kept
    capsys.readouterr()
    env.start()
    assert main(["forward"]) == 0
    (late,) = lines(capsys.readouterr().out)
    assert late["outcome"] == "ALLOW" and late["late"] is True and late["message"] == "补传"
    assert late["barrier"] == "closed" and late["idempotency_key"] == line["idempotency_key"]
    status, body = call("GET", f"{env.url}/api/v1/decisions", env.tokens["admin"])
    assert status == 200 and body["total"] == 1


@pytest.mark.parametrize(("args", "words"), [
    (["--load-un", "1203"], "go together"),
    (["--check", "brakes"], "brakes"),
    (["--load-un", "12", "--load-kg", "5"], "UN number"),
])
def test_bad_scan_options_exit_2_naming_them(env: LiveService, args: list[str], words: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--codes", "x", "--headless", *args]) == 2
    assert words in capsys.readouterr().err


def test_a_missing_video_exits_1(env: LiveService, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--video", str(tmp_path / "none.avi"), "--headless"]) == 1
    assert "no such video file" in capsys.readouterr().err

