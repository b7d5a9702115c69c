"""Azurite (Microsoft's Azure Storage emulator, npm package ``azurite``) on 127.0.0.1.

Installed project-locally by ``scripts/install-azurite.sh`` (``.azurite/`` or
``$NBSHELF_AZURITE_DIR``); :func:`start_azurite` raises ServerUnavailable when
it is missing so the tests skip with that reason. Only the blob service runs,
with its data in a directory the caller gives, on a free port; stopped by its own PID.

obstore cannot create containers, so :meth:`Azurite.create_container` sends
the one REST call itself, signed with Shared Key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

from . import ServerUnavailable, free_port, started, stopped

REPO = Path(__file__).resolve().parents[2]
#: Azurite's well-known development account (public, documented by Microsoft).
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
API_VERSION = "2021-08-06"


def azurite_bin() -> Path:
    root = Path(os.environ.get("NBSHELF_AZURITE_DIR", REPO / ".azurite"))
    exe = root / "node_modules" / ".bin" / "azurite-blob"
    if not exe.exists():
        raise ServerUnavailable(
            f"Azurite is not installed in {root}: run scripts/install-azurite.sh"
        )
    if shutil.which("node") is None:
        raise ServerUnavailable("Azurite needs Node.js (node not found on PATH)")
    return exe


@dataclass
class Azurite:
    proc: subprocess.Popen[bytes]
    port: int

    @property
    def endpoint(self) -> str:
        """The blob endpoint, path-style: ``http://127.0.0.1:PORT/devstoreaccount1``."""
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    def store_options(self) -> dict[str, str]:
        """What ``az://container`` needs to reach this emulator."""
        return {"account_name": ACCOUNT, "account_key": ACCOUNT_KEY, "endpoint": self.endpoint}

    def create_container(self, name: str) -> None:
        path = f"/{ACCOUNT}/{name}"
        headers = {"x-ms-date": formatdate(usegmt=True), "x-ms-version": API_VERSION}
        canon_headers = "".join(f"{k}:{v}\n" for k, v in sorted(headers.items()))
        ctype = "application/octet-stream"  # urllib would add a form type of its own
        # VERB, then 11 standard headers (Content-Type is the 5th), x-ms-*, resource
        standard = ["", "", "", "", ctype, "", "", "", "", "", ""]
        to_sign = "\n".join(["PUT", *standard, canon_headers + f"/{ACCOUNT}{path}"])
        to_sign += "\nrestype:container"
        mac = hmac.new(base64.b64decode(ACCOUNT_KEY), to_sign.encode(), hashlib.sha256)
        headers["Content-Type"] = ctype
        headers["Authorization"] = f"SharedKey {ACCOUNT}:{base64.b64encode(mac.digest()).decode()}"
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}?restype=container",
            method="PUT",
            headers=headers,
            data=b"",
        )
        urllib.request.urlopen(req, timeout=10).close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            stopped("azurite")
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    def __enter__(self) -> Azurite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_azurite(workdir: Path, timeout: float = 30.0) -> Azurite:
    exe = azurite_bin()
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    started("azurite")
    proc = subprocess.Popen(
        [
            str(exe),
            "--blobHost", "127.0.0.1",
            "--blobPort", str(port),
            "--location", str(workdir),
            "--silent",
            "--skipApiVersionCheck",
            "--loose",
            "--disableTelemetry",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    server = Azurite(proc, port)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"azurite exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"azurite did not listen on 127.0.0.1:{port} within {timeout} s")
