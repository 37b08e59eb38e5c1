"""A private Mosquitto started from deploy/mosquitto in a temporary folder, on a free port."""

from __future__ import annotations

import getpass
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"
SERVICE = ("loadgate-service", "service-secret")
MONITOR = ("loadgate-monitor", "monitor-secret")


def mosquitto_binary() -> str | None:
    """The broker executable, if installed."""
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.path.exists(p)),
        None)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _set(text: str, directive: str, value: str) -> str:
    """Replace the one line that starts with ``directive`` (and fail if the deploy file lost it)."""
    pattern = re.compile(rf"^{re.escape(directive)}\b.*$", re.MULTILINE)
    new, count = pattern.subn(f"{directive} {value}".replace("\\", "\\\\"), text)
    assert count == 1, f"deploy/mosquitto: expected one {directive!r} line, found {count}"
    return new


class Broker:
    """Mosquitto with the deployed configuration, its files moved into ``root``.

    Only the paths, the port and (with ``tls``) the certificates differ from the deployed files;
    the listener stays bound to 127.0.0.1. Stop and start it again at will: the persistence file
    keeps the sessions across restarts, as in production.
    """

    def __init__(self, root: Path, *, tls: bool = False) -> None:
        self.root = root
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        self.passwd = root / "passwd"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = root / "mosquitto.log"
        self.ca_file: Path | None = None
        (root / "conf.d").mkdir(parents=True, exist_ok=True)
        (root / "data").mkdir(exist_ok=True)
        shutil.copy(DEPLOY / "acl", root / "acl")
        self._configure()
        for user, password in (SERVICE, MONITOR):
            self.add_user(user, password)

    def _configure(self) -> None:
        text = (DEPLOY / "mosquitto.conf").read_text(encoding="utf-8")
        text = _set(text, "password_file", str(self.passwd))
        text = _set(text, "acl_file", str(self.root / "acl"))
        text = _set(text, "persistence_location", f"{self.root / 'data'}/")
        text = _set(text, "listener", f"{self.port} 127.0.0.1")
        text = _set(text, "include_dir", str(self.root / "conf.d"))
        if os.geteuid() == 0:
            # As root mosquitto would switch to the mosquitto user, who cannot read tmp_path.
            text = f"user {getpass.getuser()}\n" + text
        (self.root / "mosquitto.conf").write_text(text, encoding="utf-8")
        if self.tls_port is not None:
            self._configure_tls()

    def _configure_tls(self) -> None:
        certs = self.root / "certs"
        certs.mkdir()
        _make_certificates(certs)
        self.ca_file = certs / "ca.crt"
        text = (DEPLOY / "tls.conf").read_text(encoding="utf-8")
        text = _set(text, "listener", f"{self.tls_port} 127.0.0.1")
        for name in ("certfile", "keyfile", "cafile"):
            text = _set(text, name, str(certs / {"certfile": "server.crt", "keyfile": "server.key",
                                                  "cafile": "ca.crt"}[name]))
        (self.root / "conf.d" / "tls.conf").write_text(text, encoding="utf-8")

    def add_user(self, user: str, password: str) -> None:
        """Add a login to the password file (reload or restart the broker to apply)."""
        flags = ["-b"] if self.passwd.exists() else ["-c", "-b"]
        subprocess.run(["mosquitto_passwd", *flags, str(self.passwd), user, password],
                       check=True, capture_output=True)

    def add_device(self, site: str, gate: str) -> tuple[str, str]:
        """Create a gate device's login with deploy/mosquitto/add-device.sh; (user, password)."""
        out = subprocess.run([str(DEPLOY / "add-device.sh"), site, gate], check=True,
                             capture_output=True, text=True,
                             env={**os.environ, "LOADGATE_MQTT_PASSWD": str(self.passwd)})
        values = dict(line.split("=", 1) for line in out.stdout.splitlines())
        return values["username"], values["password"]

    def start(self, timeout: float = 10.0) -> Broker:
        """Start mosquitto and wait until it accepts connections."""
        binary = mosquitto_binary()
        assert binary, "mosquitto is not installed"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([binary, "-c", str(self.root / "mosquitto.conf")],
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log.read_text(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"mosquitto did not listen on {self.port}")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM: mosquitto saves its sessions and queued messages, then exits."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout)
        self.proc = None

    def reload(self) -> None:
        """SIGHUP: read the password and ACL files again."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)

    def restart(self) -> None:
        """Stop, then start again on the same port."""
        self.stop()
        self.start()


def _make_certificates(folder: Path) -> None:
    """A throw-away CA and a server certificate for 127.0.0.1 and localhost."""
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=loadgate test CA", "-keyout", "ca.key", "-out", "ca.crt")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
        "-out", "server.csr")
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt")
