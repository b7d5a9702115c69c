"""Run inside a private mount namespace whose /etc is a copy: install, serve, probe, uninstall.

Started by test_end_to_end.py as ``unshare -m sh -c 'mount --bind COPY /etc && python THIS'``.
Only the service-manager invocation (systemctl) is replaced, by FAKE_RUNNER below: no systemd
is booted here, so the unit cannot be started by it; this script runs the unit's ExecStart
command itself, as systemd would. Everything else is real: files, /etc/hosts, the server.
Prints one JSON object of observations for the test to assert.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

work, port = Path(sys.argv[1]), int(sys.argv[2])
os.environ["HOME"] = str(work / "home")
for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "NBSHELF_HOSTS_FILE"):
    os.environ.pop(name, None)

from nbshelf.cli import main  # noqa: E402
from nbshelf.service import plan  # noqa: E402

FAKE_CALLS: list[list[str]] = []


def FAKE_RUNNER(argv):  # FAKE: stands in for systemctl only (no systemd booted here)
    FAKE_CALLS.append(list(argv))
    return subprocess.CompletedProcess(list(argv), 0, "", "")


plan.run_command = FAKE_RUNNER  # type: ignore[assignment]
nb = work / "notebooks"
nb.mkdir()
out: dict[str, object] = {}
hosts = Path("/etc/hosts")
install = ["service", "install", "--ip", "127.0.0.13", "--port", str(port), "--hostname", "py"]
install += ["--notebook-dir", str(nb), "--no-password"]
out["install_rc"] = main(install)
out["hosts_after_install"] = hosts.read_text()
unit_path = work / "home/.config/systemd/user/nbshelf.service"
unit_first = unit_path.read_text()
out["install_again_rc"] = main(install)
out["hosts_unchanged_by_second_install"] = hosts.read_text() == out["hosts_after_install"]
out["unit_unchanged_by_second_install"] = unit_path.read_text() == unit_first
out["backup_exists"] = Path("/etc/hosts.nbshelf.bak").exists()
out["fake_calls"] = FAKE_CALLS[:]

exec_start = next(x for x in unit_first.splitlines() if x.startswith("ExecStart="))
argv = shlex.split(exec_start.removeprefix("ExecStart=").replace("%%", "%"))
argv.append("--ServerApp.allow_root=True")  # this machine runs tests as root
server = subprocess.Popen(argv, cwd=nb, start_new_session=True)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(url: str, token: str | None = None, host: str | None = None) -> int:
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"token {token}")
    if host:
        req.add_header("Host", host)
    try:
        with opener.open(req, timeout=3) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)
    except OSError:
        return 0


runtime = work / "home/.local/share/jupyter/runtime"
token = None
try:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and token is None:
        for f in runtime.glob("jpserver-*.json"):
            info = json.loads(f.read_text())
            if (
                info.get("port") == port
                and get(f"http://py:{port}/api/status", info["token"]) == 200
            ):
                token = info["token"]
        time.sleep(0.3)
    out["token_found"] = token is not None
    out["by_name"] = get(f"http://py:{port}/api/status", token)
    out["by_name_root"] = get(f"http://py:{port}/api/contents", token)
    out["by_ip"] = get(f"http://127.0.0.13:{port}/api/status", token)
    out["foreign_host"] = get(f"http://127.0.0.13:{port}/api/status", token, f"evil.example:{port}")
    out["no_token"] = get(f"http://py:{port}/api/status")
    nbshelf = str(Path(sys.executable).with_name("nbshelf"))
    for cmd in ("status", "url", "logs"):
        r = subprocess.run([nbshelf, "service", cmd], capture_output=True, text=True, timeout=60)
        out[cmd] = {"rc": r.returncode, "stdout": r.stdout, "stderr": r.stderr}
finally:
    os.kill(server.pid, signal.SIGTERM)  # the watchdog, by PID; it stops Jupyter
    try:
        out["server_exit"] = server.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        out["server_exit"] = "killed"

FAKE_CALLS.clear()
out["uninstall_rc"] = main(["service", "uninstall"])
out["uninstall_calls"] = FAKE_CALLS[:]
out["hosts_after_uninstall"] = hosts.read_text()
out["left_files"] = sorted(
    str(p.relative_to(work / "home")) for p in (work / "home").rglob("*") if p.is_file()
)
print("RESULT " + json.dumps(out))
