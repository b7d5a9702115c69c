"""Service definitions: content and validity, checked with each platform's real format tools.

systemd: ``systemd-analyze verify`` (the unit is verified, never started: no systemd is
booted here). launchd and Task Scheduler cannot run here: their plist and XML are parsed
and checked key by key, not executed.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nbshelf.service import launch, paths, units
from nbshelf.service.spec import ServiceSpec

NS = {"t": units.TASK_NS}


def make(platform: str, tmp_path: Path, **kw: object) -> ServiceSpec:
    nb = tmp_path / "my notebooks 100%"
    nb.mkdir(exist_ok=True)
    lay = paths.layout(platform, home=str(tmp_path / "home"), env={})
    return ServiceSpec.create(platform, str(nb), where=lay, **kw)  # type: ignore[arg-type]


def test_spec_command_uses_this_environment_and_fixed_port(tmp_path: Path) -> None:
    spec = make(paths.LINUX, tmp_path, ip="127.0.0.13", port=8123, hostname="py")
    cmd = spec.command()
    assert Path(cmd[0]).is_absolute() and Path(cmd[0]).exists()
    assert cmd[1:3] == ["-m", "nbshelf.service.launch"]
    assert "--keep-alive" in cmd and "--ip=127.0.0.13" in cmd and "--port=8123" in cmd
    assert "--ServerApp.port_retries=0" in cmd
    # nbshelf's config is added to the user's through JUPYTER_CONFIG_PATH, never --config=FILE
    # (which would make Jupyter skip ~/.jupyter/jupyter_server_config.py).
    assert not [a for a in cmd if a.startswith("--config")]
    assert cmd[3:5] == [f"--log={spec.log_file}", f"--jupyter-config-path={spec.server_config_dir}"]
    assert spec.server_config == f"{spec.server_config_dir}/jupyter_server_config.json"
    assert spec.url == "http://py:8123/"


def test_launch_puts_nbshelf_config_first_in_jupyter_config_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = {"JUPYTER_CONFIG_PATH": os.pathsep.join(["/a", "/n"])}
    assert launch.add_config_path("/n", env) == os.pathsep.join(["/n", "/a"])
    assert launch.add_config_path("/n", {}) == "/n"

    seen: dict[str, object] = {}

    def fake_nbshelf_main(argv: list[str]) -> int:
        seen["argv"], seen["path"] = argv, os.environ.get("JUPYTER_CONFIG_PATH")
        return 7

    monkeypatch.setattr("nbshelf.cli.main", fake_nbshelf_main)
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", "/site")
    log = tmp_path / "logs" / "server.log"
    # open_log redirects this process's fds 1 and 2: keep them and put them back.
    saved = os.dup(1), os.dup(2)
    try:
        rc = launch.main([f"--log={log}", "--jupyter-config-path", "/cfg", "serve", "--x"])
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
    assert rc == 7
    assert seen == {"argv": ["serve", "--x"], "path": os.pathsep.join(["/cfg", "/site"])}
    assert log.exists()


def test_server_config_keeps_auth_and_host_check(tmp_path: Path) -> None:
    spec = make(paths.LINUX, tmp_path, hostname="py")
    data = spec.server_config_data()
    assert data["ServerApp"]["local_hostnames"] == ["localhost", "py"]
    assert data["ServerApp"]["allow_remote_access"] is False
    text = str(spec.server_config_data("argon2:xyz"))
    assert "token" not in text and "disable_check_xsrf" not in text
    assert spec.server_config_data("argon2:xyz")["PasswordIdentityProvider"] == {
        "hashed_password": "argon2:xyz"
    }


def test_systemd_unit_content(tmp_path: Path) -> None:
    spec = make(paths.LINUX, tmp_path, ip="127.0.0.13", port=8123, hostname="py")
    text = units.systemd_unit(spec)
    lines = text.splitlines()
    assert "Restart=on-failure" in lines
    assert "WantedBy=default.target" in lines  # the user manager starts it at login
    assert "KillMode=mixed" in lines
    exec_start = next(line for line in lines if line.startswith("ExecStart="))
    # systemd's quoting is shell-like for these words; % is doubled (specifier escape).
    words = shlex.split(exec_start.removeprefix("ExecStart=").replace("%%", "%"))
    assert words == spec.command()
    assert "WorkingDirectory=" + spec.notebook_dir.replace("%", "%%") in lines


def test_systemd_analyze_verify_accepts_the_unit(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    tool = shutil.which("systemd-analyze")
    if not tool:
        pytest.skip("systemd-analyze is not installed: the unit cannot be verified here")
    spec = make(paths.LINUX, tmp_path, ip="127.0.0.13", port=8123, hostname="py")
    unit = tmp_path / "nbshelf.service"
    unit.write_text(units.systemd_unit(spec))
    # --user needs one; no user manager is contacted. A short path, not under tmp_path:
    # systemd reads the user units of other packages too (gpg-agent's sockets), and their
    # socket paths under a long pytest folder exceed a Unix socket's 108 bytes
    runtime = Path(tempfile.mkdtemp(prefix="nbx-"))
    request.addfinalizer(lambda: shutil.rmtree(runtime, ignore_errors=True))
    runtime.chmod(0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}

    def verify(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [tool, "verify", "--user", str(path)], capture_output=True, text=True, env=env
        )

    result = verify(unit)
    # Clean: no error and not even a warning (unknown keys and bad values are warnings).
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == result.stderr.strip() == ""

    broken = tmp_path / "broken.service"
    broken.write_text(units.systemd_unit(spec).replace("ExecStart=", "ExecStart=relative/"))
    bad = verify(broken)
    assert bad.returncode != 0  # proves verify really checks what we feed it


def test_launchd_agent_round_trips(tmp_path: Path) -> None:
    spec = make(paths.MACOS, tmp_path, ip="127.0.0.13", port=8123, hostname="py")
    data = plistlib.loads(units.launchd_agent(spec))
    assert data["Label"] == paths.LAUNCHD_LABEL
    assert data["RunAtLoad"] is True
    assert data["KeepAlive"] == {"SuccessfulExit": False}
    assert data["ProgramArguments"] == spec.command()
    assert data["StandardOutPath"] == spec.log_file == data["StandardErrorPath"]
    assert spec.service_file.endswith("Library/LaunchAgents/org.nbshelf.serve.plist")
    assert spec.loopback_daemon == "/Library/LaunchDaemons/org.nbshelf.loopback.plist"


def test_launchd_loopback_daemon() -> None:
    data = plistlib.loads(units.launchd_loopback_daemon("127.0.0.13"))
    assert data["ProgramArguments"] == ["/sbin/ifconfig", "lo0", "alias", "127.0.0.13", "up"]
    assert data["RunAtLoad"] is True
    assert data["Label"] == paths.LAUNCHD_LOOPBACK_LABEL


def test_no_loopback_daemon_for_127_0_0_1(tmp_path: Path) -> None:
    assert make(paths.MACOS, tmp_path, ip="127.0.0.1").loopback_daemon is None


def test_task_scheduler_xml(tmp_path: Path) -> None:
    spec = make(
        paths.WINDOWS,
        tmp_path,
        ip="127.0.0.13",
        port=80,
        hostname="py",
        executable="C:\\Users\\ann\\venv\\Scripts\\python.exe",
    )
    raw = units.task_xml_bytes(spec, "PC\\ann")
    assert raw.startswith(b"\xff\xfe")  # UTF-16 LE with BOM, as its declaration says
    root = ET.fromstring(raw.decode("utf-16"))
    assert root.tag == f"{{{units.TASK_NS}}}Task"
    assert root.find("t:Triggers/t:LogonTrigger/t:UserId", NS).text == "PC\\ann"  # type: ignore[union-attr]
    settings = root.find("t:Settings", NS)
    assert settings is not None

    def text(path: str) -> str | None:
        el = settings.find(path, NS)  # type: ignore[union-attr]
        return None if el is None else el.text

    assert text("t:ExecutionTimeLimit") == "PT0S"
    assert text("t:Hidden") == "true"
    assert text("t:RestartOnFailure/t:Interval") == "PT1M"
    assert text("t:RestartOnFailure/t:Count") == "999"
    assert text("t:DisallowStartIfOnBatteries") == "false"
    exe = root.find("t:Actions/t:Exec", NS)
    assert exe is not None
    command = exe.findtext("t:Command", namespaces=NS)
    assert command == "C:\\Users\\ann\\venv\\Scripts\\pythonw.exe"
    args = exe.findtext("t:Arguments", namespaces=NS) or ""
    assert args.startswith("-m nbshelf.service.launch --log=")
    assert "--ip=127.0.0.13" in args and "--port=80" in args
    assert "AppData\\Local\\nbshelf\\server.log" in args
    assert spec.server_config_dir.endswith("\\AppData\\Roaming\\nbshelf")
    assert f"--jupyter-config-path={spec.server_config_dir}" in args
    assert spec.url == "http://py/"
    assert spec.hosts_file == "C:\\Windows\\System32\\drivers\\etc\\hosts"
