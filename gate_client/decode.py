"""Read QR, Code 128, DataMatrix and PDF417 codes from an image with zxing-cpp, zbar and OpenCV."""

from __future__ import annotations

import functools
import importlib
import logging
import os
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
import zxingcpp

__all__ = ["ScannedCode", "decode_file", "decode_image", "load_image"]

logger = logging.getLogger(__name__)

# Restricting both decoders to the formats the gate uses cuts time and false positives.
_ZXING_FORMATS = (
    zxingcpp.BarcodeFormat.QRCode,
    zxingcpp.BarcodeFormat.Code128,
    zxingcpp.BarcodeFormat.DataMatrix,
    zxingcpp.BarcodeFormat.PDF417,
)
# zbar has no DataMatrix reader; its names are mapped to the zxing-cpp ones.
_ZBAR_NAMES = {"QRCODE": "QRCode", "CODE128": "Code128", "PDF417": "PDF417"}

# Images whose longer side is below this are also tried at twice the size.
_UPSCALE_BELOW = 800
# Orientation estimate: made on at most this many pixels per side; no levelled variant is tried
# within this many degrees of level (both decoders handle that, and 90-degree turns).
_ANGLE_SIZE = 640
_LEVEL_TOLERANCE = 4.0
# A PDF417 reading is trusted as is when its symbol is within this many degrees of level.
_SQUARE_TOLERANCE = 2.0

Points = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class ScannedCode:
    """One code read from an image; `position` holds its corners in image pixels."""

    text: str
    symbology: str
    position: Points
    source: str


@dataclass(frozen=True, slots=True)
class _Variant:
    """A preprocessed grayscale image and the affine map from its pixels back to the input's."""

    image: np.ndarray
    to_input: np.ndarray | None = None


def decode_image(image: np.ndarray) -> list[ScannedCode]:
    """Return the codes in a BGR, BGRA or grayscale image, trying cheap readers first."""
    image = _as_uint8(image)
    for codes in _readings(image):
        codes = _checked_pdf417(codes, image)
        if codes:
            return codes
    return []


def decode_file(path: str | os.PathLike[str]) -> list[ScannedCode]:
    """Return the codes in an image file (PNG, JPEG, GIF, ...; any path, non-ASCII too)."""
    return decode_image(load_image(path))


def load_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as cv2 does, without cv2.imread's trouble with non-ASCII paths."""
    # np.fromfile + imdecode instead of cv2.imread, which fails on non-ASCII paths on Windows.
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if image is None and Path(path).suffix.lower() == ".gif":
        # Some OpenCV builds have no GIF codec but read GIFs through FFmpeg.
        image = _read_first_frame(path)
    if image is None:
        raise ValueError(f"cannot decode image file {os.fspath(path)!r}")
    return image


def _read_first_frame(path: str | os.PathLike[str]) -> np.ndarray | None:
    capture = cv2.VideoCapture(os.fspath(path))
    try:
        ok, frame = capture.read()
    finally:
        capture.release()
    return frame if ok else None


def _readings(image: np.ndarray) -> Iterator[list[ScannedCode]]:
    """Readings from the cheapest to the dearest; the caller stops at the first non-empty one."""
    # zxing-cpp is fast and reads nearly everything, so the common case costs one call.
    yield _read_zxing(image)
    gray = _to_gray(image)
    yield _read_zbar(gray)
    for variant in _variants(gray):
        yield _merge(
            _read_zxing(variant.image, variant.to_input),
            _read_zbar(variant.image, variant.to_input),
        )
    yield _read_opencv(image)


def _as_uint8(image: np.ndarray) -> np.ndarray:
    """8-bit grayscale or BGR, whatever cv2 handed over (16 bits, alpha, one channel)."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"expected a numpy array, got {type(image).__name__}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.dtype != np.uint8:
        image = cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX, dtype=cv2.CV_8U)
    if image.ndim == 3 and image.shape[2] == 4:
        image = _flatten_alpha(image)
    if image.ndim != 2 and not (image.ndim == 3 and image.shape[2] == 3):
        raise ValueError(f"expected a grayscale, BGR or BGRA image, got shape {image.shape}")
    return np.ascontiguousarray(image)


def _flatten_alpha(image: np.ndarray) -> np.ndarray:
    """Grayscale over white: transparent pixels are usually the paper around a code, not ink."""
    # cv2 calls on one channel, not numpy on four: this runs on every such image.
    gray = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    alpha = cv2.extractChannel(image, 3)
    if cv2.minMaxLoc(alpha)[0] == 255:
        return gray
    # gray * a/255 + 255 * (1 - a/255), in saturating 8-bit arithmetic.
    return cv2.add(cv2.multiply(gray, alpha, scale=1.0 / 255.0), cv2.bitwise_not(alpha))


def _to_gray(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _variants(gray: np.ndarray) -> Iterator[_Variant]:
    """Preprocessed copies to try when the plain image gave nothing, cheapest first."""
    # Blur first: textured or halftoned codes (photos printed into the modules) and sensor noise
    # break the binarizers, and it is as cheap as a copy.
    yield _Variant(cv2.GaussianBlur(gray, (5, 5), 0))
    # Local contrast, for dim, backlit or glare-washed labels.
    yield _Variant(_clahe(gray))
    # Light on dark: zbar never tries it, and zxing-cpp only for 2D codes.
    yield _Variant(cv2.bitwise_not(gray))
    # Bar codes read only within a few degrees of level (PDF417 about 5, Code 128 about 15):
    # turn the image so that its strongest edge direction is level.
    angle = _dominant_angle(gray)
    if abs(angle) >= _LEVEL_TOLERANCE:
        yield _rotated(gray, angle)
    if max(gray.shape) < _UPSCALE_BELOW:
        yield _upscaled(gray)


def _upscaled(gray: np.ndarray, to_input: np.ndarray | None = None) -> _Variant:
    """Twice the size: modules of one or two pixels are too fine for the binarizers."""
    halve = np.array([[0.5, 0.0, 0.0], [0.0, 0.5, 0.0]])
    if to_input is not None:
        # Halve first, then apply the given map: compose as 3x3 matrices.
        halve = (np.vstack([to_input, [0.0, 0.0, 1.0]]) @ np.vstack([halve, [0.0, 0.0, 1.0]]))[:2]
    return _Variant(cv2.resize(gray, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC), halve)


def _clahe(gray: np.ndarray) -> np.ndarray:
    return cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(gray)


def _dominant_angle(gray: np.ndarray) -> float:
    """The turn in degrees, within +-45, that levels the image's strongest edge direction."""
    scale = min(1.0, _ANGLE_SIZE / max(gray.shape))
    if scale < 1.0:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    # 5x5 kernels: 3x3 ones see the staircase of a tilted edge as level and upright steps.
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=5)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=5)
    magnitude, angle = cv2.cartToPolar(gx, gy, angleInDegrees=True)
    # Threshold from every other pixel each way (4 times cheaper, as good); ">=" because a clean
    # printed edge gives many equal magnitudes, and they are the ones wanted.
    threshold = np.percentile(magnitude[::2, ::2], 90)
    strong = (magnitude >= threshold) & (magnitude > 0)
    if not strong.any():
        return 0.0
    # Bars give one direction and its opposite: fold to 0..180 and smooth circularly.
    bins = np.bincount(
        (angle[strong] % 180.0).astype(np.int64) % 180, weights=magnitude[strong], minlength=180
    )
    kernel = np.ones(5) / 5.0
    smooth = np.convolve(np.concatenate([bins[-2:], bins, bins[:2]]), kernel, mode="valid")
    # The decoders handle 90-degree turns themselves: the smallest turn to level is enough.
    turn = (float(np.argmax(smooth)) + 0.5) % 90.0
    return turn - 90.0 if turn > 45.0 else turn


def _rotated(gray: np.ndarray, angle: float) -> _Variant:
    height, width = gray.shape
    matrix = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), angle, 1.0)
    # Grow the canvas so that no corner of the code is cut off.
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_width = int(round(height * sin + width * cos))
    new_height = int(round(height * cos + width * sin))
    matrix[0, 2] += (new_width - width) / 2.0
    matrix[1, 2] += (new_height - height) / 2.0
    rotated = cv2.warpAffine(
        gray,
        matrix,
        (new_width, new_height),
        flags=cv2.INTER_LINEAR,
        # A flat border: replicated edge pixels would draw stripes that look like bars.
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=float(gray.mean()),
    )
    return _Variant(rotated, cv2.invertAffineTransform(matrix))


def _merge(preferred: list[ScannedCode], others: list[ScannedCode]) -> list[ScannedCode]:
    """Union on (text, symbology); where both read the same symbol, the preferred text wins."""
    merged = list(preferred)
    seen = {(code.text, code.symbology) for code in preferred}
    for code in others:
        if (code.text, code.symbology) in seen:
            continue
        # The same symbol read with other text is a misread (zbar guesses Shift-JIS badly).
        if any(_same_symbol(code, kept) for kept in preferred):
            continue
        seen.add((code.text, code.symbology))
        merged.append(code)
    return merged


def _same_symbol(a: ScannedCode, b: ScannedCode) -> bool:
    if a.symbology != b.symbology or not a.position or not b.position:
        return False
    return _centre_inside(a.position, b.position) or _centre_inside(b.position, a.position)


def _centre_inside(points: Points, polygon: Points) -> bool:
    centre = np.mean(np.asarray(points, dtype=np.float32), axis=0)
    contour = np.asarray(polygon, dtype=np.float32).reshape(-1, 1, 2)
    if len(contour) < 3:
        return False
    return cv2.pointPolygonTest(contour, (float(centre[0]), float(centre[1])), False) >= 0


def _read_zxing(image: np.ndarray, to_input: np.ndarray | None = None) -> list[ScannedCode]:
    codes = _zxing_codes(image)
    return [_moved(code, to_input) for code in codes] if to_input is not None else codes


def _zxing_codes(image: np.ndarray) -> list[ScannedCode]:
    # Plain text mode: HRI mode would replace control characters by "<GS>"-style names.
    results = zxingcpp.read_barcodes(
        image, formats=_ZXING_FORMATS, text_mode=zxingcpp.TextMode.Plain
    )
    codes = []
    for result in results:
        if not result.valid or not result.text:
            continue
        position = result.position
        corners = (
            position.top_left,
            position.top_right,
            position.bottom_right,
            position.bottom_left,
        )
        points = tuple((int(p.x), int(p.y)) for p in corners)
        codes.append(ScannedCode(result.text, result.format.name, points, "zxing"))
    return _unique(codes)


def _checked_pdf417(codes: list[ScannedCode], image: np.ndarray) -> list[ScannedCode]:
    """Keep a PDF417 reading if the symbol is level; else trust only a re-read of it levelled.

    zxing-cpp reads PDF417 tilted by a few degrees into wrong text with no error reported (its
    scan lines cross rows); a levelled view is read right or not at all.
    """
    if not any(code.symbology == "PDF417" for code in codes):
        return codes
    gray = _to_gray(image)
    checked = []
    for code in codes:
        if code.symbology == "PDF417":
            checked.extend(_levelled_pdf417(gray, code))
        else:
            checked.append(code)
    return _unique(checked)


def _levelled_pdf417(gray: np.ndarray, code: ScannedCode) -> list[ScannedCode]:
    """The code itself if it is level, else what a levelled crop around it reads as PDF417."""
    corners = np.asarray(code.position, dtype=np.int32).reshape(-1, 2)
    # zxing-cpp's reported sides follow the start and stop patterns: square ones mean level,
    # which spares the common case the cost of an orientation estimate.
    if _square_sides(corners):
        return [code]
    x, y, width, height = cv2.boundingRect(corners)
    # The reported corners of a tilted PDF417 are loose: take a generous margin.
    margin = max(width, height) // 4
    x0, y0 = max(x - margin, 0), max(y - margin, 0)
    crop = gray[y0 : y + height + margin, x0 : x + width + margin]
    if crop.size == 0:
        return []
    angle = _dominant_angle(crop)
    if abs(angle) < _SQUARE_TOLERANCE:
        return [code]
    levelled = _rotated(crop, angle)
    to_input = levelled.to_input.copy()
    to_input[:, 2] += (x0, y0)
    # The first reading may have needed more contrast or pixels: so may this one.
    tries = [_Variant(levelled.image, to_input), _Variant(_clahe(levelled.image), to_input)]
    if max(crop.shape) < _UPSCALE_BELOW:
        tries.append(_upscaled(levelled.image, to_input))
    for view in tries:
        codes = [c for c in _read_zxing(view.image, view.to_input) if c.symbology == "PDF417"]
        # Two texts from a crop around one symbol: at least one is wrong, and which is unknown.
        if len(codes) == 1:
            return codes
    return []


def _square_sides(corners: np.ndarray) -> bool:
    sides = np.roll(corners, -1, axis=0) - corners
    angles = np.degrees(np.arctan2(sides[:, 1], sides[:, 0])) % 90.0
    return bool(np.all(np.minimum(angles, 90.0 - angles) < _SQUARE_TOLERANCE))


def _moved(code: ScannedCode, to_input: np.ndarray) -> ScannedCode:
    points = _map_points(code.position, to_input)
    return ScannedCode(code.text, code.symbology, points, code.source)


def _read_zbar(gray: np.ndarray, to_input: np.ndarray | None = None) -> list[ScannedCode]:
    pyzbar = _load_pyzbar()
    if pyzbar is None:
        return []
    symbols = [pyzbar.ZBarSymbol.QRCODE, pyzbar.ZBarSymbol.CODE128, pyzbar.ZBarSymbol.PDF417]
    codes = []
    for result in pyzbar.decode(gray, symbols=symbols):
        symbology = _ZBAR_NAMES.get(result.type, result.type)
        text = _bytes_to_text(result.data, symbology)
        if text:
            points = _map_points(((p.x, p.y) for p in result.polygon), to_input)
            codes.append(ScannedCode(text, symbology, points, "zbar"))
    return _unique(codes)


@functools.cache
def _load_pyzbar() -> ModuleType | None:
    """pyzbar, or None (warned about once) when it or the system libzbar is missing."""
    try:
        # import_module, not "from pyzbar import pyzbar", so that a failed import is retried
        # from scratch rather than served from the package attribute.
        return importlib.import_module("pyzbar.pyzbar")
    except (ImportError, OSError) as exc:
        logger.warning("zbar is not available (%s); reading codes with zxing-cpp and OpenCV", exc)
        return None


def _bytes_to_text(data: bytes, symbology: str) -> str:
    # zbar already transcodes QR payloads to UTF-8; other symbologies come as raw bytes.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if symbology == "QRCode":
        # QR's Kanji mode and most non-UTF-8 QR payloads in the wild are Shift-JIS.
        try:
            return data.decode("cp932")
        except UnicodeDecodeError:
            pass
    # The default character set of Code 128, PDF417 and QR byte mode; it maps every byte.
    return data.decode("latin-1")


def _read_opencv(image: np.ndarray) -> list[ScannedCode]:
    """Last resort: OpenCV's QR reader, which rarely reads what the other two could not."""
    detector = cv2.QRCodeDetector()
    try:
        found, payloads, corners, _ = detector.detectAndDecodeBytesMulti(image)
    except cv2.error:
        # OpenCV raises on QR modes it does not implement (Kanji, some ECIs).
        return []
    if not found or corners is None:
        return []
    codes = []
    for payload, quad in zip(payloads, corners, strict=False):
        if payload:
            text = _bytes_to_text(bytes(payload), "QRCode")
            points = _map_points(((x, y) for x, y in quad), None)
            codes.append(ScannedCode(text, "QRCode", points, "opencv"))
    return _unique(codes)


def _map_points(points: Iterable[tuple[float, float]], to_input: np.ndarray | None) -> Points:
    array = np.asarray(list(points), dtype=np.float64).reshape(-1, 2)
    if to_input is not None and len(array):
        array = array @ to_input[:, :2].T + to_input[:, 2]
    return tuple((int(round(x)), int(round(y))) for x, y in array)


def _unique(codes: list[ScannedCode]) -> list[ScannedCode]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for code in codes:
        if (code.text, code.symbology) not in seen:
            seen.add((code.text, code.symbology))
            unique.append(code)
    return unique
