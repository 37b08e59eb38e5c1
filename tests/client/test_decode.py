"""Tests for the gate client's decoder on real photos, synthetic codes and a missing libzbar."""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import zxingcpp

from gate_client import decode
from gate_client.decode import ScannedCode
from gate_client.decode import decode_file
from gate_client.decode import decode_image

DATA = Path(__file__).resolve().parents[1] / "data" / "barcodes" / "zxing"
IMAGES = sorted(
    p for p in DATA.glob("*/*") if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".gif"}
)
WITH_CODE = [p for p in IMAGES if p.with_suffix(".txt").exists() or p.with_suffix(".bin").exists()]
FALSE_POSITIVES = sorted((DATA / "falsepositives-2").glob("*.png"))


def expected(path: Path) -> str:
    # Bytes, not read_text(): universal newlines would turn the payloads' "\r\n" into "\n".
    text_path = path.with_suffix(".txt")
    if text_path.exists():
        return text_path.read_bytes().decode("utf-8")
    return path.with_suffix(".bin").read_bytes().decode("latin-1")


@functools.cache
def ours(path: Path) -> tuple[ScannedCode, ...]:
    """Decoded once per test session: several tests look at the same images."""
    return tuple(decode_file(path))


def texts(path: Path) -> list[str]:
    return [code.text for code in ours(path)]


@pytest.fixture
def fresh_zbar_loader() -> Iterator[None]:
    """Forget whether pyzbar loaded, before and after the test."""
    decode._load_pyzbar.cache_clear()
    yield
    decode._load_pyzbar.cache_clear()


# --- real photos -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "symbology"),
    [
        ("qrcode-2/30.png", "QRCode"),  # Chinese, "MECARD:N:測試;;" (zbar misreads it)
        ("qrcode-2/31.png", "QRCode"),  # Japanese
        ("qrcode-2/33.png", "QRCode"),  # control characters before the text
        ("code128-1/1.png", "Code128"),
        ("code128-1/6.png", "Code128"),  # extended (FNC4) characters, which zbar misreads
        ("datamatrix-1/abcd-52x52.png", "DataMatrix"),
        ("datamatrix-1/X12.png", "DataMatrix"),  # transparent page: black unless made white
        ("pdf417-1/01.png", "PDF417"),
        ("pdf417-1/09.png", "PDF417"),  # binary payload, expected as ISO-8859-1
    ],
)
def test_reads_real_photo(name: str, symbology: str) -> None:
    path = DATA / name
    codes = ours(path)
    assert [(c.text, c.symbology) for c in codes] == [(expected(path), symbology)]
    height, width = cv2.imread(str(path)).shape[:2]
    assert len(codes[0].position) >= 4
    assert all(-2 <= x <= width + 2 and -2 <= y <= height + 2 for x, y in codes[0].position)


def test_chinese_payload_text_comes_from_zxing_not_zbar() -> None:
    # Both read this code; zbar decodes its bytes as Shift-JIS ("皜祈岫") and must lose.
    image = cv2.imread(str(DATA / "qrcode-2" / "30.png"))
    by_zxing = decode._read_zxing(image)
    by_zbar = decode._read_zbar(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    if not by_zbar:
        pytest.skip("zbar is not available")
    assert by_zbar[0].text != by_zxing[0].text
    merged = decode._merge(by_zxing, by_zbar)
    assert [(c.text, c.source) for c in merged] == [("MECARD:N:測試;;", "zxing")]


def test_reads_two_nested_codes() -> None:
    path = DATA / "qrcode-2" / "16.png"
    assert expected(path) in texts(path)
    assert len(texts(path)) == 2


@pytest.mark.parametrize("path", FALSE_POSITIVES, ids=lambda p: p.name)
def test_reads_nothing_without_a_code(path: Path) -> None:
    assert ours(path) == ()


def _pyzbar_alone() -> Callable[[np.ndarray], list[str]] | None:
    try:
        from pyzbar import pyzbar
    except (ImportError, OSError):
        return None
    symbols = [pyzbar.ZBarSymbol.QRCODE, pyzbar.ZBarSymbol.CODE128, pyzbar.ZBarSymbol.PDF417]

    def read(image: np.ndarray) -> list[str]:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        found = []
        for result in pyzbar.decode(gray, symbols=symbols):
            try:
                found.append(result.data.decode("utf-8"))
            except UnicodeDecodeError:
                found.append(result.data.decode("latin-1"))
        return found

    return read


def _zxing_alone(image: np.ndarray) -> list[str]:
    results = zxingcpp.read_barcodes(
        image, formats=decode._ZXING_FORMATS, text_mode=zxingcpp.TextMode.Plain
    )
    return [result.text for result in results]


def test_reads_every_image_that_either_library_alone_reads() -> None:
    pyzbar_alone = _pyzbar_alone()
    libraries = {"zxing-cpp": _zxing_alone}
    if pyzbar_alone is not None:
        libraries["pyzbar"] = pyzbar_alone
    missed = []
    for path in WITH_CODE:
        image = cv2.imread(str(path))
        for name, read in libraries.items():
            if expected(path) in read(image) and expected(path) not in texts(path):
                missed.append(f"{path.parent.name}/{path.name} (read by {name})")
    assert not missed
    # Guards against a data copy gone wrong making the property above vacuous.
    assert sum(expected(p) in texts(p) for p in WITH_CODE) >= 140
    if pyzbar_alone is None:
        pytest.skip("libzbar is missing: checked against zxing-cpp only")


# --- libzbar missing ---------------------------------------------------------------------------


def test_works_without_libzbar(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, fresh_zbar_loader: None
) -> None:
    import pyzbar.zbar_library

    def no_library() -> None:
        raise ImportError("Unable to find zbar shared library")

    # Make the next import of pyzbar.pyzbar load the library afresh, and fail as it would.
    monkeypatch.setattr(pyzbar.zbar_library, "load", no_library)
    monkeypatch.delitem(sys.modules, "pyzbar.pyzbar", raising=False)
    monkeypatch.delitem(sys.modules, "pyzbar.wrapper", raising=False)
    caplog.set_level(logging.WARNING, logger="gate_client.decode")

    qr = DATA / "qrcode-1" / "1.png"
    assert expected(qr) in [c.text for c in decode_file(qr)]
    # The fallback chain, which would call zbar at every step, runs through too.
    assert decode_file(FALSE_POSITIVES[0]) == []
    pdf = DATA / "pdf417-1" / "01.png"
    assert [c.text for c in decode_file(pdf)] == [expected(pdf)]

    assert decode._load_pyzbar() is None
    warnings = [r for r in caplog.records if r.name == "gate_client.decode"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert "zbar" in warnings[0].getMessage()
    assert all(c.source != "zbar" for c in decode_file(DATA / "qrcode-2" / "28.png"))


# --- synthetic codes ---------------------------------------------------------------------------


def _qr(text: str) -> np.ndarray:
    if hasattr(cv2, "QRCodeEncoder"):
        modules = cv2.QRCodeEncoder.create().encode(text)
        # OpenCV draws no quiet zone: add the four modules the standard asks for.
        modules = cv2.copyMakeBorder(modules, 4, 4, 4, 4, cv2.BORDER_CONSTANT, value=255)
        return cv2.resize(modules, None, fx=8, fy=8, interpolation=cv2.INTER_NEAREST)
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode)
    return np.asarray(barcode.to_image(scale=8))


def _symbol(text: str, symbology: zxingcpp.BarcodeFormat, scale: int) -> np.ndarray:
    return np.asarray(zxingcpp.create_barcode(text, symbology).to_image(scale=scale))


def _on_page(symbol: np.ndarray, angle: float, size: tuple[int, int] = (720, 960)) -> np.ndarray:
    """The symbol in the middle of a white page, turned by angle degrees (counter-clockwise)."""
    page = np.full(size, 255, np.uint8)
    top = (size[0] - symbol.shape[0]) // 2
    left = (size[1] - symbol.shape[1]) // 2
    page[top : top + symbol.shape[0], left : left + symbol.shape[1]] = symbol
    centre = (size[1] / 2.0, size[0] / 2.0)
    matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
    return cv2.warpAffine(page, matrix, (size[1], size[0]), borderValue=255)


def _centre(code: ScannedCode) -> np.ndarray:
    return np.mean(np.asarray(code.position, dtype=np.float64), axis=0)


def test_reads_turned_dim_blurred_qr() -> None:
    text = "UN1203 GASOLINE 3 II (D/E) tank TRK-4711"
    photo = _on_page(_qr(text), 30.0)
    photo = (photo.astype(np.float32) * 0.35 + 30.0).astype(np.uint8)  # dim, low contrast
    photo = cv2.GaussianBlur(photo, (0, 0), 2.0)
    codes = decode_image(cv2.cvtColor(photo, cv2.COLOR_GRAY2BGR))
    assert [c.text for c in codes] == [text]
    assert np.linalg.norm(_centre(codes[0]) - (480, 360)) < 20


@pytest.mark.parametrize(
    ("symbology", "text", "scale", "angle"),
    [
        (zxingcpp.BarcodeFormat.Code128, "TRK-4711-0042", 3, 30.0),
        (zxingcpp.BarcodeFormat.PDF417, "UN1203 GASOLINE class 3 PG II tank 4711", 3, 20.0),
        (zxingcpp.BarcodeFormat.PDF417, "UN1203 GASOLINE class 3 PG II tank 4711", 2, 8.0),
    ],
)
def test_reads_tilted_bar_codes(
    symbology: zxingcpp.BarcodeFormat, text: str, scale: int, angle: float
) -> None:
    # Tilts that the decoders do not read as they are: only the levelled variant reads them,
    # and zxing-cpp misreads a PDF417 tilted by 8 degrees unless it is re-read levelled.
    photo = _on_page(_symbol(text, symbology, scale), angle)
    codes = decode_image(photo)
    assert [c.text for c in codes] == [text]
    assert np.linalg.norm(_centre(codes[0]) - (480, 360)) < 25


def test_reads_grayscale_bgra_and_16_bit_images() -> None:
    text = "UN1203"
    gray = _on_page(_symbol(text, zxingcpp.BarcodeFormat.DataMatrix, 6), 0.0)
    bgra = np.zeros((*gray.shape, 4), np.uint8)
    bgra[..., 3] = 255 - gray  # black modules on a transparent page
    for image in (gray, bgra, gray.astype(np.uint16) * 257):
        assert [c.text for c in decode_image(image)] == [text]


def test_scanned_code_is_frozen_and_slotted() -> None:
    code = ScannedCode("UN1203", "QRCode", ((0, 0), (1, 0), (1, 1), (0, 1)), "zxing")
    with pytest.raises(dataclasses.FrozenInstanceError):
        code.text = "UN1202"  # type: ignore[misc]
    assert not hasattr(code, "__dict__")


# --- files -------------------------------------------------------------------------------------


def test_decode_file_with_non_ascii_path(tmp_path: Path) -> None:
    source = DATA / "qrcode-2" / "31.png"
    target = tmp_path / "Ladeschein-Prüfung-检查.png"
    target.write_bytes(source.read_bytes())
    assert [c.text for c in decode_file(target)] == [expected(source)]


def test_decode_file_reads_gif(tmp_path: Path) -> None:
    if not cv2.haveImageWriter("code.gif"):
        pytest.skip("this OpenCV build cannot write GIF")
    image = _on_page(_qr("UN1203"), 0.0, size=(400, 400))
    ok, data = cv2.imencode(".gif", cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
    assert ok
    path = tmp_path / "code.gif"
    data.tofile(path)
    assert [c.text for c in decode_file(path)] == ["UN1203"]


def test_decode_file_reads_gif_without_gif_codec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not cv2.haveImageWriter("code.gif"):
        pytest.skip("this OpenCV build cannot write GIF")
    if not cv2.videoio_registry.hasBackend(cv2.CAP_FFMPEG):
        pytest.skip("this OpenCV build has no FFmpeg")
    image = _on_page(_qr("UN1203"), 0.0, size=(400, 400))
    path = tmp_path / "code.gif"
    cv2.imencode(".gif", cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))[1].tofile(path)
    # As in OpenCV builds without the GIF codec: imdecode gives None.
    monkeypatch.setattr(decode.cv2, "imdecode", lambda data, flags: None)
    assert [c.text for c in decode_file(path)] == ["UN1203"]


def test_decode_file_rejects_a_file_that_is_no_image(tmp_path: Path) -> None:
    path = tmp_path / "note.png"
    path.write_bytes(b"not an image")
    with pytest.raises(ValueError, match="cannot decode"):
        decode_file(path)
