"""``nbshelf service`` commands in this process, against an isolated HOME and hosts file."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from nbshelf.cli import main
from nbshelf.service import plan


def test_install_dry_run_prints_everything_and_changes_nothing(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hosts_before = (tmp_path / "hosts").read_text()
    rc = main(
        [
            "service",
            "install",
            "--ip",
            "127.0.0.13",
            "--port",
            "8123",
            "--hostname",
            "py",
            "--notebook-dir",
            str(tmp_path),
            "--dry-run",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "[Service]" in out and "Restart=on-failure" in out  # the unit's full text
    assert '"local_hostnames"' in out and '"py"' in out  # the server config
    assert "systemctl --user enable nbshelf.service" in out
    assert "add '127.0.0.13\\tpy'" in out
    assert "http://py:8123/" in out
    assert not any(home.rglob("*"))  # nothing written
    assert (tmp_path / "hosts").read_text() == hosts_before


def test_install_without_systemd_says_what_to_run_instead(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real: no systemd user manager runs on this machine (none is booted)."""
    rc = main(
        [
            "service",
            "install",
            "--ip",
            "127.0.0.13",
            "--port",
            "8123",
            "--hostname",
            "py",
            "--notebook-dir",
            str(tmp_path),
            "--no-password",
        ]
    )
    err = capsys.readouterr().err
    if rc == 0:
        pytest.skip("a systemd user manager runs here: nothing to refuse")
    assert rc == 3
    assert "no systemd user manager" in err
    assert "serve --keep-alive" in err and "--ServerApp.local_hostnames=py" in err
    assert "service hosts add 127.0.0.13 py" in err
    assert not any(home.rglob("*"))


def test_refuses_non_loopback_and_privileged_port(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["service", "install", "--notebook-dir", str(tmp_path), "--dry-run", "--no-password"]
    assert main([*base, "--ip", "192.168.1.5"]) == 2
    assert "not a loopback address" in capsys.readouterr().err
    start = int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text())
    if start > 80:
        assert main([*base, "--port", "80"]) == 2
        assert "ip_unprivileged_port_start=80" in capsys.readouterr().err
    else:
        assert main([*base, "--port", "80"]) == 0
        assert "http://127.0.0.1/" in capsys.readouterr().out


def test_install_and_uninstall_with_a_fake_service_manager(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FAKE: only systemctl is replaced (no systemd booted here); files and hosts are real."""
    calls: list[list[str]] = []

    def fake_systemctl(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        calls.append(list(argv))
        return subprocess.CompletedProcess(list(argv), 0, "", "")

    monkeypatch.setattr(plan, "run_command", fake_systemctl)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("s3cret words\n"))
    hosts_file = tmp_path / "hosts"
    original = hosts_file.read_text()
    args = ["service", "install", "--hostname", "py", "--notebook-dir", str(tmp_path)]
    assert main([*args, "--password-stdin"]) == 0
    assert calls[0] == ["systemctl", "--user", "show-environment"]
    assert calls[1:] == [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", "nbshelf.service"],
        ["systemctl", "--user", "restart", "nbshelf.service"],
    ]
    config_path = home / ".config/nbshelf/jupyter_server_config.json"
    config = json.loads(config_path.read_text())
    hashed = config["PasswordIdentityProvider"]["hashed_password"]
    from jupyter_server.auth import passwd_check

    assert hashed.startswith("argon2:") and passwd_check(hashed, "s3cret words")
    assert config_path.stat().st_mode & 0o777 == 0o600
    assert "127.0.0.1\tpy" in hosts_file.read_text()

    # A second install without password options keeps the password; nothing else moves.
    assert main(args) == 0
    assert json.loads(config_path.read_text()) == config

    calls.clear()
    assert main(["service", "uninstall"]) == 0
    assert ["systemctl", "--user", "disable", "--now", "nbshelf.service"] in calls
    assert hosts_file.read_text() == original
    assert not (home / ".config/systemd/user/nbshelf.service").exists()
    assert not config_path.exists()
    assert not (home / ".config/nbshelf/service.json").exists()


def test_status_url_logs_when_not_installed(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["service", "status"]) == 3
    assert "not installed" in capsys.readouterr().out
    assert main(["service", "url"]) == 3
    assert main(["service", "logs"]) == 3
    assert "no log yet" in capsys.readouterr().err
