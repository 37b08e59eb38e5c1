"""Generated test media: QR codes (zxing-cpp's writer) composited into video frames and files."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import zxingcpp

from gate_client.decode import load_image

SIZE = (640, 480)  # width, height
PHOTOS = Path(__file__).resolve().parent.parent / "data" / "barcodes" / "zxing"


def qr(text: str, scale: int = 4) -> np.ndarray:
    """A QR code of `text` as a grayscale image with its quiet zone."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode)
    image = np.asarray(barcode.to_image(scale=scale))
    return cv2.copyMakeBorder(image, 8, 8, 8, 8, cv2.BORDER_CONSTANT, value=255)


def background(seed: int) -> np.ndarray:
    """A grey, slightly noisy scene (a truck's side, a wall)."""
    rng = np.random.default_rng(seed)
    base = np.full((SIZE[1], SIZE[0], 3), (150, 160, 170), np.uint8)
    noise = rng.integers(-12, 13, base.shape, dtype=np.int16)
    return np.clip(base.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def paste(frame: np.ndarray, code: np.ndarray, x: int, y: int) -> np.ndarray:
    """The code pasted straight at (x, y)."""
    out = frame.copy()
    h, w = code.shape[:2]
    out[y:y + h, x:x + w] = cv2.cvtColor(code, cv2.COLOR_GRAY2BGR)
    return out


def paste_angled(frame: np.ndarray, code: np.ndarray, x: int, y: int) -> np.ndarray:
    """The code as seen at an angle: a perspective warp (one side farther, turned ~15°)."""
    h, w = code.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[x + 30, y], [x + w + 10, y + 40], [x + w - 10, y + h + 40],
                      [x, y + h - 10]])
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(cv2.cvtColor(code, cv2.COLOR_GRAY2BGR), matrix, SIZE,
                                 borderValue=(0, 0, 0))
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), matrix, SIZE)
    out = frame.copy()
    out[mask > 0] = warped[mask > 0]
    return out


def blurred(frame: np.ndarray) -> np.ndarray:
    """Out of focus."""
    return cv2.GaussianBlur(frame, (7, 7), 2.0)


def dim(frame: np.ndarray) -> np.ndarray:
    """Dusk: a third of the light, low contrast."""
    return cv2.convertScaleAbs(frame, alpha=0.3, beta=10)


def photo_frames(count: int = 2) -> list[tuple[np.ndarray, str]]:
    """Real photos of QR codes (ZXing's test images), fitted to the frame, with their text."""
    out: list[tuple[np.ndarray, str]] = []
    if count <= 0:
        return out
    for image_path in sorted(PHOTOS.glob("qrcode-*/*.png")):
        text_path = image_path.with_suffix(".txt")
        if not text_path.exists():
            continue
        image = load_image(image_path)
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        image = image[:, :, :3]
        frame = cv2.resize(image, SIZE, interpolation=cv2.INTER_AREA) \
            if image.shape[1::-1] != SIZE else image
        out.append((frame, text_path.read_bytes().decode("utf-8")))
        if len(out) == count:
            break
    return out


@dataclass(frozen=True)
class Clip:
    """A generated video and what is in it."""

    path: Path
    frames: int
    photo_texts: tuple[str, ...]


def visit_frames(texts: Sequence[str], *, photos: Iterable[np.ndarray] = ()) -> list[np.ndarray]:
    """Frames of one vehicle's visit: each code straight, angled, blurred or dim, in several
    frames each, a real photo or two between them, and empty frames at both ends."""
    styles = ("straight", "angled", "blurred", "dim")
    frames = [background(0)]
    photos = list(photos)
    for i, text in enumerate(texts):
        code = qr(text)
        # Every code shows in two styles, so each style is the only view of some code.
        for style in (styles[i % 4], styles[(i + 1) % 4]):
            scene = background(i + 1)
            x, y = 120 + 40 * (i % 3), 80 + 20 * (i % 2)
            if style == "angled":
                frame = paste_angled(scene, code, x, y)
            else:
                frame = paste(scene, code, x, y)
                frame = blurred(frame) if style == "blurred" else frame
                frame = dim(frame) if style == "dim" else frame
            frames.append(frame)
        if i == 2 and photos:
            frames.extend(photos)
    # The vehicle leaves: the last code is still in view for a frame, then nothing.
    frames.append(frames[-1])
    frames.append(background(99))
    return frames


def write_video(path: Path, frames: Sequence[np.ndarray], fps: float = 5.0) -> Path:
    """An MJPG .avi of the frames."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, SIZE)
    assert writer.isOpened(), "OpenCV cannot write MJPG .avi here"
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
    return path


def visit_video(path: Path, texts: Sequence[str], *, photos: int = 2) -> Clip:
    """A video of one visit showing `texts`, with `photos` real photos among the frames."""
    real = photo_frames(photos)
    frames = visit_frames(texts, photos=[frame for frame, _ in real])
    write_video(path, frames)
    return Clip(path, len(frames), tuple(text for _, text in real))


class MjpegStream:
    """A loopback HTTP MJPEG stream (a network camera): each connection gets `per_connection`
    frames, cycling through `frames`, each shown `repeat` times, then the stream ends."""

    def __init__(self, frames: Sequence[np.ndarray], *, repeat: int = 3,
                 per_connection: int = 150, interval: float = 0.03) -> None:
        self.jpegs = [cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()
                      for frame in frames]
        self.repeat = repeat
        self.per_connection = per_connection
        self.interval = interval
        self.connections = 0

    @contextmanager
    def running(self) -> Iterator[str]:
        stream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base name
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                stream.connections += 1
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                try:
                    for i in range(stream.per_connection):
                        data = stream.jpegs[(i // stream.repeat) % len(stream.jpegs)]
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\n"
                                         b"Content-Length: " + str(len(data)).encode()
                                         + b"\r\n\r\n" + data + b"\r\n")
                        time.sleep(stream.interval)
                except OSError:  # the client went away
                    pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}/stream.mjpg"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(10)
