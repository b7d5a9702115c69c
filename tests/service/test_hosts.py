"""The hosts-file block: idempotent, reversible, atomic, with a backup; on temp files only."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nbshelf.service import hosts

BASE = "127.0.0.1\tlocalhost\n# a comment the user wrote\n10.0.0.5\tnas\n"


def test_add_is_idempotent_and_marked() -> None:
    once = hosts.add_entry(BASE, "127.0.0.13", "py")
    assert once.startswith(BASE)
    assert hosts.add_entry(once, "127.0.0.13", "py") == once
    assert hosts.entries(once) == [("127.0.0.13", "py")]
    block = once[len(BASE) :].splitlines()
    assert block[0].startswith("# BEGIN nbshelf") and block[-1] == hosts.END
    assert "127.0.0.13\tpy" in block


def test_same_name_new_ip_replaces_and_other_names_stay() -> None:
    text = hosts.add_entry(hosts.add_entry(BASE, "127.0.0.13", "py"), "127.0.0.14", "nb")
    text = hosts.add_entry(text, "127.0.0.15", "py")
    assert hosts.entries(text) == [("127.0.0.14", "nb"), ("127.0.0.15", "py")]
    assert text.count("# BEGIN nbshelf") == 1


def test_remove_restores_the_original_exactly() -> None:
    text = hosts.add_entry(BASE, "127.0.0.13", "py")
    assert hosts.remove_entry(text, "py") == BASE
    assert hosts.remove_entry(BASE, "py") == BASE  # nothing to remove: untouched
    two = hosts.add_entry(text, "127.0.0.14", "nb")
    assert hosts.entries(hosts.remove_entry(two, "py")) == [("127.0.0.14", "nb")]


def test_windows_line_endings_are_kept() -> None:
    crlf = BASE.replace("\n", "\r\n")
    text = hosts.add_entry(crlf, "127.0.0.13", "py")
    assert "\n" not in text.replace("\r\n", "")
    assert hosts.remove_entry(text, "py") == crlf


def test_block_in_the_middle_keeps_following_lines() -> None:
    text = hosts.add_entry(BASE, "127.0.0.13", "py") + "192.168.1.2\tprinter\n"
    assert hosts.remove_entry(text, "py") == BASE + "192.168.1.2\tprinter\n"


def test_write_backup_mode_and_no_change(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_text(BASE)
    path.chmod(0o644)
    assert hosts.add_host(path, "127.0.0.13", "py") is True
    assert (tmp_path / "hosts.nbshelf.bak").read_text() == BASE
    assert path.stat().st_mode & 0o777 == 0o644
    before = path.stat()
    assert hosts.add_host(path, "127.0.0.13", "py") is False  # installing twice: no write
    after = path.stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert hosts.remove_host(path, "py") is True
    assert path.read_text() == BASE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hosts", "hosts.nbshelf.bak"]


def test_a_failed_write_leaves_the_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hosts"
    path.write_text(BASE)

    def full_disk(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError):
        hosts.add_host(path, "127.0.0.13", "py")
    assert path.read_text() == BASE
    assert not [p for p in tmp_path.iterdir() if "nbshelf-tmp" in p.name]  # temp file removed


@pytest.mark.skipif(
    not (shutil.which("unshare") and hasattr(os, "geteuid") and os.geteuid() == 0),
    reason="needs root and unshare for a private mount namespace",
)
def test_bind_mounted_hosts_file_is_written_in_place(tmp_path: Path) -> None:
    """Containers bind-mount /etc/hosts: rename over it fails (EBUSY); nbshelf writes in place."""
    source = tmp_path / "source"
    source.write_text(BASE)
    target_dir = tmp_path / "etc"
    target_dir.mkdir()
    target = target_dir / "hosts"
    target.write_text("placeholder\n")
    code = (
        "import sys; from nbshelf.service import hosts;"
        "print(hosts.add_host(sys.argv[1], '127.0.0.13', 'py'))"
    )
    script = f'mount --bind "$1" "$2" && exec "$3" -c "{code}" "$2"'
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(source), str(target), sys.executable],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
    assert hosts.entries(source.read_text()) == [("127.0.0.13", "py")]  # through the mount
    assert target.read_text() == "placeholder\n"  # outside the namespace nothing changed
    assert (target_dir / "hosts.nbshelf.bak").read_text() == BASE


@pytest.mark.skipif(
    not (shutil.which("setpriv") and hasattr(os, "geteuid") and os.geteuid() == 0),
    reason="needs root and setpriv to drop the right to override file permissions",
)
def test_without_rights_nbshelf_prints_the_line_and_the_command(tmp_path: Path) -> None:
    """Without the rights to write the hosts file: no write, the exact line and command.

    The hosts file and its directory belong to another user, and the process runs without
    CAP_DAC_OVERRIDE (setpriv), like a normal user facing a root-owned /etc/hosts.
    """
    etc = tmp_path / "etc"
    etc.mkdir()
    path = etc / "hosts"
    path.write_text(BASE)
    os.chown(etc, 65534, 65534)
    os.chown(path, 65534, 65534)
    code = (
        "import sys\n"
        "from nbshelf.service import plan\n"
        "step = plan.HostsAdd(sys.argv[1], '127.0.0.13', 'py',"
        " ['/venv/bin/nbshelf', 'service', 'hosts', 'add', '127.0.0.13', 'py'])\n"
        "out = plan.execute([step], 'linux', plan.run_command, is_admin=False)\n"
        "print('\\n'.join(out.as_admin))\n"
    )
    result = subprocess.run(
        [
            "setpriv",
            "--bounding-set=-dac_override,-dac_read_search",
            sys.executable,
            "-c",
            code,
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert path.read_text() == BASE
    line = result.stdout.strip()
    assert line.startswith("sudo /venv/bin/nbshelf service hosts add 127.0.0.13 py")
    assert f"add this line to {path}: 127.0.0.13\tpy" in line


def test_hosts_cli_add_remove(tmp_path: Path) -> None:
    from nbshelf.cli import main

    path = tmp_path / "hosts"
    path.write_text(BASE)
    assert main(["service", "hosts", "add", "127.0.0.13", "py", "--file", str(path)]) == 0
    assert main(["service", "hosts", "add", "127.0.0.13", "py", "--file", str(path)]) == 0
    assert hosts.entries(path.read_text()) == [("127.0.0.13", "py")]
    assert main(["service", "hosts", "add", "10.1.1.1", "py", "--file", str(path)]) == 2
    assert main(["service", "hosts", "remove", "py", "--file", str(path)]) == 0
    assert path.read_text() == BASE
