"""Runs a station on an input: headless (decisions as JSON lines) or with the operator display."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from typing import TextIO

from .capture import Capture
from .capture import CaptureError
from .capture import decoded
from .capture import image_codes
from .capture import is_live
from .capture import parse_source
from .config import Settings
from .decode import load_image
from .display import DisplayServer
from .display import create_app
from .station import Station
from .verdict import Verdict

logger = logging.getLogger(__name__)

# Exit codes of `gate-client scan`.
EXIT_OK = 0
EXIT_INPUT = 1  # a source or image could not be read
EXIT_USAGE = 2
EXIT_UNDECIDED = 3  # a visit got no decision (service unavailable or request rejected)


@dataclass(frozen=True)
class Source:
    """What to scan: a camera or stream, a video file, image files, or typed texts."""

    kind: str  # camera | video | images | codes
    values: tuple[str, ...]


class VideoClock:
    """A file's own clock: the timestamp of the frame being processed."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class JsonLines:
    """Prints each verdict as one JSON line and remembers whether any visit went undecided."""

    def __init__(self, station: Station, out: TextIO) -> None:
        self.station = station
        self.out = out
        self.undecided = False
        self._lock = threading.Lock()

    def __call__(self, verdict: Verdict) -> None:
        line: dict[str, Any] = verdict.to_json()
        try:
            entry = self.station.spool.get(verdict.idempotency_key)
            line["spooled"] = entry is not None
            line["spool_state"] = entry.state if entry else None
        except Exception:  # the line matters more than the spool detail
            line["spooled"] = False
        with self._lock:
            if verdict.live and verdict.status != "decided":
                self.undecided = True
            self.out.write(json.dumps(line, ensure_ascii=False) + "\n")
            self.out.flush()


def run_scan(settings: Settings, source: Source, *, headless: bool,
             checklist: tuple[str, ...] = (), load: dict[str, Any] | None = None,
             out: TextIO | None = None) -> int:
    """Scan `source`; returns the exit code. Decisions go to `out` (stdout) as JSON lines."""
    clock = VideoClock() if headless and source.kind == "video" else None
    station = Station(settings, clock=clock) if clock else Station(settings)
    station.preset(checklist=checklist, load=load)
    printer = JsonLines(station, out or sys.stdout)
    station.add_listener(printer)
    live_source = source.kind == "camera"
    station.start(ticker=not headless or live_source)
    # Runs that end by themselves (files, images, codes) leave the signal handlers alone.
    stop, restore = _stop_event(wanted=not headless or live_source)
    server = None
    try:
        if not headless:
            try:
                server = DisplayServer(create_app(station, loopback_only=_loopback(settings)),
                                       settings.display_host, settings.display_port).start()
            except OSError as exc:  # the port is taken, or the address is not this machine's
                print(f"gate-client: cannot serve the display on {settings.display_host}:"
                      f"{settings.display_port}: {exc.strerror or exc}", file=sys.stderr)
                return EXIT_USAGE
            print(f"operator display: {server.url}", file=sys.stderr, flush=True)
        code = _feed(station, source, headless=headless, clock=clock, stop=stop)
        if headless:
            station.finish_input()
        else:
            stop.wait()
    except CaptureError as exc:
        print(f"gate-client: {exc}", file=sys.stderr)
        return EXIT_INPUT
    finally:
        restore()
        if server is not None:
            server.stop()
        station.close()
    if code:
        return code
    return EXIT_UNDECIDED if printer.undecided else EXIT_OK


def _loopback(settings: Settings) -> bool:
    return settings.display_host in ("127.0.0.1", "localhost", "::1")


def _stop_event(*, wanted: bool) -> tuple[threading.Event, Callable[[], None]]:
    """An event set on SIGINT or SIGTERM, and a function that puts the old handlers back.

    Only in the main thread (elsewhere signals cannot be handled) and only when `wanted`.
    """
    stop = threading.Event()
    if not wanted or threading.current_thread() is not threading.main_thread():
        return stop, lambda: None
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return stop, restore


def _feed(station: Station, source: Source, *, headless: bool, clock: VideoClock | None,
          stop: threading.Event) -> int:
    """Put the source's reads into the station; returns EXIT_INPUT if an input was unreadable."""
    if source.kind == "codes":
        # Typed on the command line: meant, so no cool-down; all of them form one visit.
        station.add_codes([(text, None) for text in source.values], "cli", deliberate=True)
        return EXIT_OK
    if source.kind == "images":
        failed = False
        for path, codes, error in image_codes(source.values):
            if error is not None or codes is None:
                print(f"gate-client: {path}: {error}", file=sys.stderr)
                failed = True
                continue
            logger.debug("%s: %d code(s)", path, len(codes))
            if not headless:
                station.show_frame(load_image(path), codes)
            # All images form one visit, whatever time decoding took.
            station.add_codes(codes, "image", deliberate=True)
        return EXIT_INPUT if failed else EXIT_OK
    spec = parse_source(source.values[0])
    capture = Capture(spec, queue_size=station.settings.frame_queue,
                      realtime=not headless and not is_live(spec)).start()
    if headless:
        _consume(station, capture, clock, stop)
    else:
        threading.Thread(target=_consume, args=(station, capture, None, stop),
                         name="gate-decoder", daemon=True).start()
    return EXIT_OK


def _consume(station: Station, capture: Capture, clock: VideoClock | None,
             stop: threading.Event) -> None:
    try:
        for frame, codes in decoded(capture.frames(until=stop)):
            if clock is not None:
                clock.now = frame.timestamp
            station.show_frame(frame.image, codes)
            if codes:
                # Live: the ticker classifies, so a slow service never stalls the camera. A file
                # run classifies at once, so that its decisions do not depend on timing.
                station.add_codes(codes, "camera", classify=clock is not None)
            if clock is not None:
                station.tick()  # the file's clock moves only here
    finally:
        capture.stop()

