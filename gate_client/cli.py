"""The `gate-client` command: scan, decode, label, check-config, forward."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any

from .config import ConfigError
from .config import Settings
from .config import load_settings
from .runner import EXIT_INPUT
from .runner import EXIT_OK
from .runner import EXIT_UNDECIDED
from .runner import EXIT_USAGE
from .runner import Source
from .runner import run_scan

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gate-client",
        description="Loading-gate scanning station: scan codes, get the service's decision.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True)

    scan = sub.add_parser("scan", help="scan a visit from a camera, video, images or typed codes")
    _config_option(scan)
    source = scan.add_mutually_exclusive_group(required=True)
    source.add_argument("--camera", metavar="INDEX|URL",
                        help="camera index (0) or stream URL (rtsp://…, http://…)")
    source.add_argument("--video", metavar="FILE", help="a video file")
    source.add_argument("--images", nargs="+", metavar="IMAGE",
                        help="image files; their codes form one visit")
    source.add_argument("--codes", nargs="+", metavar="TEXT",
                        help="code texts; they form one visit")
    scan.add_argument("--headless", action="store_true",
                      help="no display: print each decision as a JSON line on stdout")
    scan.add_argument("--load-un", metavar="UN", help="planned load: UN number (e.g. 1203)")
    scan.add_argument("--load-kg", metavar="KG", type=float, help="planned load: mass in kg")
    scan.add_argument("--check", action="append", default=[], metavar="ITEM",
                      help="tick a checklist item (repeat: --check grounding --check no_leaks)")
    scan.add_argument("--display-port", type=int, metavar="PORT",
                      help="port of the operator display (overrides the settings)")

    decode = sub.add_parser("decode", help="print the codes read in each image as JSON lines")
    decode.add_argument("images", nargs="+", metavar="IMAGE")

    label = sub.add_parser("label", help="write QR label images of code texts (PNG)")
    label.add_argument("texts", nargs="+", metavar="TEXT", help="e.g. LG1:VEH:黑D12345")
    label.add_argument("--out", default=".", metavar="FOLDER", help="where to write them")

    check = sub.add_parser("check-config", help="validate and print the settings")
    _config_option(check)

    forward = sub.add_parser("forward", help="forward the spooled visits now, then exit")
    _config_option(forward)
    forward.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                         help="keep retrying this long while the service is unavailable")
    return parser


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE",
                        help="settings file (TOML); GATE_CLIENT_* variables override it")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "decode":
        _log_level(args, "WARNING")
        return _decode(args.images)
    if args.command == "label":
        from .labels import write_labels

        for path in write_labels(args.texts, args.out):
            print(path)
        return EXIT_OK
    overrides = {"display_port": getattr(args, "display_port", None)}
    try:
        settings = load_settings(args.config, overrides=overrides)
    except ConfigError as exc:
        print(f"gate-client: {exc}", file=sys.stderr)
        return EXIT_USAGE
    _log_level(args, settings.log_level)
    if args.command == "check-config":
        print(json.dumps(settings.masked(), ensure_ascii=False, indent=2))
        return EXIT_OK
    if args.command == "forward":
        return _forward(settings, args.wait)
    return _scan(settings, args)


def _log_level(args: argparse.Namespace, level: str) -> None:
    logging.getLogger().setLevel(logging.DEBUG if args.verbose else level)


def _scan(settings: Settings, args: argparse.Namespace) -> int:
    if (args.load_un is None) != (args.load_kg is None):
        print("gate-client: --load-un and --load-kg go together", file=sys.stderr)
        return EXIT_USAGE
    load = {"un_number": args.load_un, "quantity_kg": args.load_kg} if args.load_un else None
    for kind in ("camera", "video", "images", "codes"):
        value = getattr(args, kind)
        if value is not None:
            source = Source(kind, tuple(value) if isinstance(value, list) else (value,))
    try:
        return run_scan(settings, source, headless=args.headless, checklist=tuple(args.check),
                        load=load)
    except ValueError as exc:  # a bad --check item or planned load
        print(f"gate-client: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _decode(paths: list[str]) -> int:
    from .capture import image_codes

    failed = False
    for path, codes, error in image_codes(paths):
        line: dict[str, Any] = {"image": path}
        if error is not None or codes is None:
            line["error"] = error
            failed = True
        else:
            line["codes"] = [{"text": c.text, "symbology": c.symbology,
                              "position": [list(p) for p in c.position]} for c in codes]
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return EXIT_INPUT if failed else EXIT_OK


def _forward(settings: Settings, wait: float) -> int:
    from .forwarder import Forwarder
    from .spool import Spool
    from .transport import ServiceClient

    spool = Spool(settings.spool)
    client = ServiceClient(settings.service_url, settings.token, timeout=settings.http_timeout,
                           retries=0)

    def show(verdict: Any) -> None:
        print(json.dumps(verdict.to_json(), ensure_ascii=False), flush=True)

    forwarder = Forwarder(spool, client, on_verdict=show, backoff_min=1.0, backoff_max=10.0)
    deadline = time.monotonic() + wait
    while True:
        # "Due" at the end of time: every pending attempt, however recently it failed.
        forwarder.run_once(now=float("inf"))
        left = spool.counts().get("pending", 0)
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(1.0)
    if left:
        print(f"gate-client: {left} visit(s) still spooled: the service is unavailable",
              file=sys.stderr)
        return EXIT_UNDECIDED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
