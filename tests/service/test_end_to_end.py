"""A real ``nbshelf serve`` on its own loopback address and hostname, installed by nbshelf.

In a private mount namespace (``unshare -m``) /etc is a copy, so ``nbshelf service install``
edits a real /etc/hosts there (atomic rename, backup) and name lookups of ``py`` go through
it, while the machine's /etc/hosts is never touched. systemd is not booted here: the unit's
ExecStart is run by the scenario itself, and only systemctl is faked (see ns_scenario.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.service.conftest import free_port

HERE = Path(__file__).parent

pytestmark = pytest.mark.skipif(
    not (shutil.which("unshare") and os.geteuid() == 0),
    reason="needs root and unshare for a private mount namespace",
)


def test_installed_server_answers_at_its_hostname_and_refuses_foreign_hosts(
    tmp_path: Path,
) -> None:
    etc = tmp_path / "etc"
    subprocess.run(["cp", "-a", "/etc/.", str(etc)], check=True)
    (etc / "hosts").write_text("127.0.0.1\tlocalhost\n::1\tlocalhost\n")
    original_hosts = (etc / "hosts").read_text()
    work = tmp_path / "work"
    (work / "home").mkdir(parents=True)
    port = free_port("127.0.0.13")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_", "NBSHELF_"))}
    env.update(
        NBSHELF_WATCHDOG_INTERVAL="1",
        PYTHONPATH=str(HERE),
    )
    script = 'mount --bind "$1" /etc && exec "$2" "$3" "$4" "$5"'
    result = subprocess.run(
        [
            "unshare",
            "-m",
            "sh",
            "-c",
            script,
            "sh",
            str(etc),
            sys.executable,
            str(HERE / "ns_scenario.py"),
            str(work),
            str(port),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line, result.stdout[-3000:] + result.stderr[-3000:]
    out = json.loads(line.removeprefix("RESULT "))

    assert out["install_rc"] == 0 and out["install_again_rc"] == 0
    assert "127.0.0.13\tpy" in out["hosts_after_install"]
    assert out["hosts_after_install"].startswith(original_hosts)
    assert out["hosts_unchanged_by_second_install"] and out["unit_unchanged_by_second_install"]
    assert out["backup_exists"]
    assert ["systemctl", "--user", "enable", "nbshelf.service"] in out["fake_calls"]

    assert out["token_found"]
    assert out["by_name"] == 200  # http://py:PORT/ resolves via the hosts entry, Host check passes
    assert out["by_name_root"] == 200
    assert out["by_ip"] == 200
    assert out["foreign_host"] == 403  # DNS rebinding: any other Host is refused
    assert out["no_token"] == 403  # auth stays on

    assert out["status"]["rc"] == 0
    assert f"answers at http://py:{port}/" in out["status"]["stdout"]
    assert "service manager unavailable" in out["status"]["stdout"]  # no systemd booted here
    assert out["url"]["stdout"].startswith(f"http://py:{port}/lab?token=")
    assert "Jupyter Server" in out["logs"]["stdout"]
    assert out["server_exit"] == 0

    assert out["uninstall_rc"] == 0
    assert ["systemctl", "--user", "disable", "--now", "nbshelf.service"] in out["uninstall_calls"]
    assert out["hosts_after_uninstall"] == original_hosts
    # What install wrote (unit, config, state) is gone; what the server wrote (log, runtime) stays.
    assert not [p for p in out["left_files"] if p.startswith(".config/")], out["left_files"]
    assert ".local/state/nbshelf/server.log" in out["left_files"]
    assert (etc / "hosts").read_text() == original_hosts
