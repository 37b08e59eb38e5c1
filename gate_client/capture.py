"""Frames from a camera, an RTSP/HTTP stream or a video file, via a queue that drops stale ones."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .decode import ScannedCode
from .decode import decode_file
from .decode import decode_image

logger = logging.getLogger(__name__)

STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")


class CaptureError(Exception):
    """The source cannot be opened."""


@dataclass(frozen=True)
class Frame:
    """One frame; `timestamp` is seconds into a file, or the monotonic clock for a live source."""

    image: np.ndarray
    index: int
    timestamp: float


def parse_source(spec: str | int) -> int | str:
    """A camera index ("0") as an int; a stream URL or file path as given."""
    if isinstance(spec, int):
        return spec
    text = spec.strip()
    return int(text) if text.isdigit() else text


def is_live(source: int | str) -> bool:
    """Cameras and network streams are live: a frame not taken in time is gone."""
    return isinstance(source, int) or source.lower().startswith(STREAM_SCHEMES)


class FrameQueue:
    """A bounded queue of frames.

    For a live source a full queue drops its oldest frame: the decoder should always look at the
    newest picture, not work through a backlog of the past. For a file nothing is stale, so the
    reader waits for room instead and every frame is decoded.
    """

    def __init__(self, maxsize: int, *, drop_stale: bool) -> None:
        self.maxsize = max(1, maxsize)
        self.drop_stale = drop_stale
        self.dropped = 0
        self._items: deque[Frame] = deque()
        self._cond = threading.Condition()
        self._closed = False

    def put(self, frame: Frame) -> bool:
        """Add a frame; False once the queue is closed."""
        with self._cond:
            while not self.drop_stale and len(self._items) >= self.maxsize and not self._closed:
                self._cond.wait(0.5)
            if self._closed:
                return False
            if len(self._items) >= self.maxsize:
                self._items.popleft()
                self.dropped += 1
            self._items.append(frame)
            self._cond.notify_all()
            return True

    def get(self, timeout: float | None = None) -> Frame | None:
        """The oldest frame kept; None when closed and empty, or on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._items:
                if self._closed:
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)
            frame = self._items.popleft()
            self._cond.notify_all()
            return frame

    def close(self) -> None:
        """No more frames; readers drain what is left."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        """Whether `close` was called."""
        return self._closed


class Capture:
    """Reads a source in a thread into a `FrameQueue`; iterate `frames()` to consume it.

    A live source that fails is reopened after `reconnect_delay`; a file ends at its end.
    `realtime` paces a file at its own frame rate (for watching it on the display).
    """

    def __init__(self, source: int | str, *, queue_size: int = 2, realtime: bool = False,
                 reconnect_delay: float = 2.0) -> None:
        self.source = source
        self.live = is_live(source)
        self.realtime = realtime
        self.reconnect_delay = reconnect_delay
        self.queue = FrameQueue(queue_size, drop_stale=self.live)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._capture: cv2.VideoCapture | None = None

    def start(self) -> Capture:
        """Open the source (CaptureError if it cannot be) and start reading."""
        if not self.live and not Path(str(self.source)).is_file():
            raise CaptureError(f"no such video file: {self.source}")
        self._capture = _open_capture(self.source)
        if not self._capture.isOpened():
            self._capture.release()
            raise CaptureError(f"cannot open video source {self.source!r}")
        self._thread = threading.Thread(target=self._read, name="gate-capture", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop reading; `frames()` ends after the frames already queued."""
        self._stop.set()
        self.queue.close()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def frames(self, until: threading.Event | None = None) -> Iterator[Frame]:
        """Frames until the source ends, `stop` is called or `until` is set."""
        while until is None or not until.is_set():
            frame = self.queue.get(timeout=0.5)
            if frame is None:
                if self.queue.closed:
                    return
                continue
            yield frame

    def _read(self) -> None:
        capture = self._capture
        index = 0
        started = time.monotonic()
        try:
            while not self._stop.is_set():
                ok, image = capture.read() if capture is not None else (False, None)
                if not ok or image is None:
                    if not self.live:
                        break
                    capture = self._reopen(capture)
                    continue
                if self.live or capture is None:
                    stamp = time.monotonic()
                else:
                    stamp = _file_time(capture, index)
                    if self.realtime:
                        delay = started + stamp - time.monotonic()
                        if delay > 0:
                            self._stop.wait(delay)
                if not self.queue.put(Frame(image, index, stamp)):
                    break
                index += 1
        except Exception:  # a broken driver must end the stream, not kill the client silently
            logger.exception("reading %s failed", self.source)
        finally:
            if capture is not None:
                capture.release()
            self.queue.close()

    def _reopen(self, capture: cv2.VideoCapture | None) -> cv2.VideoCapture | None:
        logger.warning("video source %s stopped; reopening in %.1f s", self.source,
                       self.reconnect_delay)
        if capture is not None:
            capture.release()
        if self._stop.wait(self.reconnect_delay):
            return None
        # A source still down reads nothing, and lands here again after the next delay.
        return _open_capture(self.source)


def _open_capture(source: int | str) -> cv2.VideoCapture:
    return cv2.VideoCapture(source)


def _file_time(capture: cv2.VideoCapture, index: int) -> float:
    # The container's own clock where it has one; else the frame count at the nominal rate.
    msec = capture.get(cv2.CAP_PROP_POS_MSEC)
    if msec and msec > 0:
        return msec / 1000.0
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    return index / fps


def decoded(frames: Iterable[Frame],
            decoder: Callable[[np.ndarray], list[ScannedCode]] = decode_image
            ) -> Iterator[tuple[Frame, list[ScannedCode]]]:
    """Each frame with the codes read in it (a frame that fails to decode reads nothing)."""
    for frame in frames:
        try:
            codes = decoder(frame.image)
        except Exception:  # one bad frame must not end the stream
            logger.exception("decoding frame %d failed", frame.index)
            codes = []
        yield frame, codes


def image_codes(paths: Iterable[str | os.PathLike[str]]
                ) -> Iterator[tuple[str, list[ScannedCode] | None, str | None]]:
    """(path, codes, error) for each image file; an unreadable image gives its error."""
    for path in paths:
        try:
            yield os.fspath(path), decode_file(path), None
        except (OSError, ValueError) as exc:
            yield os.fspath(path), None, str(exc)


def annotate(image: np.ndarray, codes: Iterable[ScannedCode]) -> np.ndarray:
    """A copy of the frame with each code's outline drawn (for the operator's preview)."""
    out = image.copy() if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    for number, code in enumerate(codes, 1):
        points = np.asarray(code.position, dtype=np.int32).reshape(-1, 1, 2)
        if len(points) < 2:
            continue
        cv2.polylines(out, [points], True, (0, 200, 0), 3, cv2.LINE_AA)
        x, y = points[:, 0, :].min(axis=0)
        # cv2 draws no CJK glyphs: number the outlines, the page lists the texts.
        cv2.putText(out, str(number), (int(x), max(int(y) - 6, 12)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.8, (0, 200, 0), 2, cv2.LINE_AA)
    return out
