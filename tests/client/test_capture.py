"""Capture: files read whole; live streams through a queue that drops stale frames, reconnecting."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from flask import Flask

from gate_client.capture import Capture
from gate_client.capture import FrameQueue
from gate_client.capture import decoded
from gate_client.capture import is_live
from gate_client.capture import parse_source
from tests.client.media import MjpegStream
from tests.client.media import visit_frames
from tests.client.media import write_video
from tests.client.test_video_e2e import client_env
from tests.live import serve
from tests.service.visits import GOOD_SCANS


def test_sources_are_told_apart() -> None:
    assert parse_source("0") == 0 and is_live(0)
    assert is_live(parse_source("rtsp://cam/1")) and is_live("http://cam/mjpg")
    assert not is_live(parse_source("/videos/gate.avi"))


def test_a_file_is_read_whole_in_order(tmp_path: Path) -> None:
    frames = visit_frames(GOOD_SCANS[:2])
    path = write_video(tmp_path / "clip.avi", frames, fps=5.0)
    capture = Capture(str(path), queue_size=1).start()
    got = list(capture.frames())
    assert [f.index for f in got] == list(range(len(frames)))
    assert [round(f.timestamp, 2) for f in got[:3]] == [0.0, 0.2, 0.4]
    assert capture.queue.dropped == 0  # a file has no stale frames: the reader waits


def test_a_live_queue_keeps_the_newest_frames() -> None:
    from gate_client.capture import Frame

    queue = FrameQueue(2, drop_stale=True)
    for n in range(5):
        queue.put(Frame(np.zeros((1, 1), np.uint8), n, float(n)))
    assert [queue.get(0).index, queue.get(0).index, queue.get(0)] == [3, 4, None]
    assert queue.dropped == 3


def test_a_live_stream_drops_stale_frames_and_reconnects() -> None:
    # Each code in view for about a third of a second; one round of the visit per connection.
    frames = visit_frames(GOOD_SCANS)
    stream = MjpegStream(frames, repeat=8, per_connection=8 * len(frames), interval=0.02)
    with stream.running() as url:
        capture = Capture(url, queue_size=2, reconnect_delay=0.2).start()
        seen: set[str] = set()
        deadline = time.monotonic() + 30
        try:
            for _frame, codes in decoded(capture.frames()):
                seen |= {c.text for c in codes}
                time.sleep(0.05)  # a decoder slower than the camera
                if (seen >= set(GOOD_SCANS) and stream.connections >= 2) \
                        or time.monotonic() > deadline:
                    break
        finally:
            capture.stop()
    assert seen >= set(GOOD_SCANS)
    assert capture.queue.dropped > 0  # stale frames went, the decoder saw the newest
    assert stream.connections >= 2  # the stream ended once and was reopened


def test_headless_scan_of_a_network_camera(app: Flask, tokens: dict[str, str], demo: None,
                                           tmp_path: Path) -> None:
    """`gate-client scan --camera <http stream> --headless` decides the visit it sees, and
    stops on SIGINT."""
    frames = visit_frames(GOOD_SCANS) + [visit_frames([])[0]] * 6  # then the vehicle leaves
    stream = MjpegStream(frames, repeat=6, per_connection=10_000, interval=0.04)
    with serve(app) as service, stream.running() as camera:
        env = client_env(service, tokens["operator"], tmp_path / "spool.db",
                         visit_settle="0.5")
        script = Path(sys.executable).with_name("gate-client")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "gate_client"]
        process = subprocess.Popen(
            [*command, "scan", "--camera", camera, "--headless", "--check", "grounding",
             "--check", "no_leaks", "--check", "placards"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert process.stdout is not None
            line = process.stdout.readline()  # blocks until the first decision
        finally:
            process.send_signal(signal.SIGINT)
            try:
                out, err = process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                out, err = process.communicate()
    assert line, err
    decision = json.loads(line)
    assert decision["outcome"] == "ALLOW" and decision["live"] is True, decision
    # The camera kept showing the same vehicle: no second decision for it.
    assert [json.loads(x)["outcome"] for x in out.splitlines() if x.strip()] == []
    assert process.returncode == 0, err
    assert os.path.exists(tmp_path / "spool.db")
