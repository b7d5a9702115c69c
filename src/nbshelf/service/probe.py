"""Is the server answering? One HTTP request to ``/api/status``, and Jupyter's runtime files.

Used by the watchdog (restart when it stops answering) and by ``status`` / ``url``. Any
complete HTTP answer counts as answering (a 403 without a token still proves the event
loop runs); only no answer within the timeout counts as hung.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Probe:
    """The outcome of one request to ``/api/status``."""

    answered: bool
    status: int | None = None
    detail: str = ""
    body: dict[str, Any] = field(default_factory=dict)


def connect_host(ip: str) -> str:
    """Where to connect for a server listening on ``ip`` (wildcards mean loopback)."""
    if ip in ("", "0.0.0.0", "*"):
        return "127.0.0.1"
    if ip == "::":
        return "::1"
    return ip


def base_url(ip: str, port: int, base: str = "/") -> str:
    host = connect_host(ip)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}{base if base.endswith('/') else base + '/'}"


def probe_status(
    url: str, *, token: str | None = None, host: str | None = None, timeout: float = 5.0
) -> Probe:
    """GET ``url`` + ``api/status``; ``host`` sets the Host header (as a browser at NAME would)."""
    req = urllib.request.Request(url + "api/status")
    if token:
        req.add_header("Authorization", f"token {token}")
    if host:
        req.add_header("Host", host)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as resp:
            raw = resp.read()
            try:
                body = json.loads(raw)
            except ValueError:
                body = {}
            return Probe(True, resp.status, "ok", body if isinstance(body, dict) else {})
    except urllib.error.HTTPError as e:
        return Probe(True, e.code, e.reason if isinstance(e.reason, str) else str(e.reason))
    except (OSError, ValueError) as e:  # refused, timed out, reset, bad status line
        return Probe(False, None, str(getattr(e, "reason", e)))


def runtime_dir() -> Path:
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(jupyter_runtime_dir())


def server_info(
    *, pid: int | None = None, port: int | None = None, ip: str | None = None
) -> dict[str, Any] | None:
    """The runtime file (``jpserver-*.json``) of a running server, matched by pid or port/ip.

    It holds the server's url, base_url, token and whether a password is set.
    """
    folder = runtime_dir()
    if pid is not None:
        files = [folder / f"jpserver-{pid}.json"]
    else:
        files = sorted(folder.glob("jpserver-*.json"), key=os.path.getmtime, reverse=True)
    for path in files:
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(info, dict):
            continue
        if port is not None and info.get("port") != port:
            continue
        if ip is not None and info.get("hostname") not in (ip, connect_host(ip)):
            continue
        if pid is None and not _alive(int(info.get("pid", 0))):
            continue
        return info
    return None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True
