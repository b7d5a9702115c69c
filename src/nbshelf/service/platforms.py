"""Per-platform service management with the platform's own tool.

Linux: ``systemctl --user``; macOS: ``launchctl``; Windows: ``schtasks /Create /XML``.
Each platform turns a ServiceSpec into install and uninstall steps (see ``plan``), says
whether its service manager is there, whether the port is allowed, and how to ask the
service manager about the service.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from . import units
from .paths import (
    LAUNCHD_LABEL,
    LAUNCHD_LOOPBACK_LABEL,
    LINUX,
    MACOS,
    SYSTEMD_UNIT,
    TASK_NAME,
    WINDOWS,
    nbshelf_script,
)
from .plan import HostsAdd, HostsRemove, RemoveFile, Run, Runner, Step, WriteFile
from .spec import ServiceSpec, quote_for

UNPRIVILEGED_PORT_START = "/proc/sys/net/ipv4/ip_unprivileged_port_start"


def is_admin() -> bool:
    """Root on POSIX; an elevated process on Windows."""
    if os.name == "nt":
        try:
            import ctypes

            return bool(ctypes.windll.shell32.IsUserAnAdmin())  # type: ignore[attr-defined]
        except (AttributeError, OSError):
            return False
    return os.geteuid() == 0


class Platform:
    """What every platform shares; subclasses add their service manager."""

    name = ""
    manager = ""  # shown to people: "systemd user unit", ...

    def __init__(self, executable: str | None = None) -> None:
        self.executable = executable

    # -- checks -----------------------------------------------------------------------------

    def available(self, runner: Runner) -> str | None:
        """None when the service manager can be used, else why not."""
        raise NotImplementedError

    def port_problem(self, ip: str, port: int) -> str | None:
        """None when a normal user may bind ``ip:port`` here, else why not and what to do."""
        return None

    # -- install / uninstall ----------------------------------------------------------------

    def common_files(self, spec: ServiceSpec, server_config: bytes) -> list[Step]:
        return [
            WriteFile(spec.server_config, server_config, "Jupyter config the service uses", 0o600),
        ]

    def service_file(self, spec: ServiceSpec) -> WriteFile:
        raise NotImplementedError

    def state_file(self, spec: ServiceSpec, state_path: str) -> WriteFile:
        return WriteFile(state_path, spec.to_json().encode(), "what was installed", 0o600)

    def hosts_add(self, spec: ServiceSpec) -> list[Step]:
        if not spec.hostname:
            return []
        cmd = self.nbshelf_command("hosts", "add", spec.ip, spec.hostname)
        return [HostsAdd(spec.hosts_file, spec.ip, spec.hostname, cmd)]

    def hosts_remove(self, spec: ServiceSpec) -> list[Step]:
        if not spec.hostname:
            return []
        cmd = self.nbshelf_command("hosts", "remove", spec.hostname)
        return [HostsRemove(spec.hosts_file, spec.hostname, cmd)]

    def nbshelf_command(self, *args: str) -> list[str]:
        return [nbshelf_script(self.name, self.executable), "service", *args]

    def install_steps(self, spec: ServiceSpec, server_config: bytes, state: str) -> list[Step]:
        raise NotImplementedError

    def uninstall_steps(self, spec: ServiceSpec, state: str) -> list[Step]:
        raise NotImplementedError

    def _remove_files(self, spec: ServiceSpec, state: str) -> list[Step]:
        return [
            RemoveFile(spec.service_file, f"the {self.manager}"),
            RemoveFile(spec.server_config, "Jupyter config the service used"),
            RemoveFile(state, "what was installed"),
        ]

    def notes(self, spec: ServiceSpec) -> list[str]:
        """What people should know after installing."""
        return []

    # -- status -----------------------------------------------------------------------------

    def status_command(self) -> list[str]:
        raise NotImplementedError

    def describe_status(self, result: subprocess.CompletedProcess[str]) -> str:
        raise NotImplementedError

    def instead(self, spec: ServiceSpec) -> str:
        """What to run when there is no service manager: the same server, started by hand."""
        serve = [nbshelf_script(self.name, self.executable), *spec.serve_args(inline_config=True)]
        text = quote_for(self.name, serve)
        if spec.hostname:
            add = quote_for(self.name, self.nbshelf_command("hosts", "add", spec.ip, spec.hostname))
            line = f"{spec.ip} {spec.hostname}"
            text += f"\nand, as administrator, add {line} to the hosts file:\n  {add}"
        return text


class Linux(Platform):
    name = LINUX
    manager = "systemd user unit"

    def available(self, runner: Runner) -> str | None:
        if not shutil.which("systemctl"):
            return "systemctl was not found: this system does not use systemd"
        result = runner(["systemctl", "--user", "show-environment"])
        if result.returncode != 0:
            why = (result.stderr or result.stdout).strip() or f"status {result.returncode}"
            return f"no systemd user manager is running for this user ({why})"
        return None

    def port_problem(self, ip: str, port: int) -> str | None:
        try:
            start = int(Path(UNPRIVILEGED_PORT_START).read_text().strip())
        except (OSError, ValueError):
            start = 1024
        if port >= start:
            return None
        return (
            f"port {port} is privileged here (net.ipv4.ip_unprivileged_port_start = {start}), and"
            " a systemd user unit cannot be given CAP_NET_BIND_SERVICE. Either use a port from"
            f" {start} up (e.g. --port 8888), or allow it once as administrator:\n"
            f"  sudo sysctl -w net.ipv4.ip_unprivileged_port_start={port}\n"
            f"  echo net.ipv4.ip_unprivileged_port_start={port} |"
            " sudo tee /etc/sysctl.d/60-nbshelf.conf"
        )

    def service_file(self, spec: ServiceSpec) -> WriteFile:
        unit = units.systemd_unit(spec).encode()
        return WriteFile(spec.service_file, unit, self.manager)

    def install_steps(self, spec: ServiceSpec, server_config: bytes, state: str) -> list[Step]:
        return [
            *self.common_files(spec, server_config),
            self.service_file(spec),
            self.state_file(spec, state),
            *self.hosts_add(spec),
            Run(["systemctl", "--user", "daemon-reload"], "make systemd read the unit"),
            Run(["systemctl", "--user", "enable", SYSTEMD_UNIT], "start it at every login"),
            Run(["systemctl", "--user", "restart", SYSTEMD_UNIT], "start it now"),
        ]

    def uninstall_steps(self, spec: ServiceSpec, state: str) -> list[Step]:
        return [
            Run(["systemctl", "--user", "disable", "--now", SYSTEMD_UNIT], "stop it", check=False),
            *self._remove_files(spec, state),
            *self.hosts_remove(spec),
            Run(["systemctl", "--user", "daemon-reload"], "forget the unit", check=False),
        ]

    def notes(self, spec: ServiceSpec) -> list[str]:
        user = _user()
        return [
            "The server starts at login and stops at logout. To keep it running without a"
            f" login session (after boot, over ssh): loginctl enable-linger {user}",
        ]

    def status_command(self) -> list[str]:
        return ["systemctl", "--user", "is-active", SYSTEMD_UNIT]

    def describe_status(self, result: subprocess.CompletedProcess[str]) -> str:
        state = result.stdout.strip() or result.stderr.strip() or f"status {result.returncode}"
        return f"{SYSTEMD_UNIT} ({self.manager}): {state}"


class MacOS(Platform):
    name = MACOS
    manager = "launchd agent"

    def available(self, runner: Runner) -> str | None:
        if not shutil.which("launchctl"):
            return "launchctl was not found: this is not macOS"
        return None

    def port_problem(self, ip: str, port: int) -> str | None:
        if port >= 1024:
            return None
        return (
            f"port {port}: macOS lets a normal user bind ports below 1024 only on all addresses"
            f" (0.0.0.0), never on one address such as {ip}, and Jupyter cannot take a socket"
            " from launchd. Use a port from 1024 up (e.g. --port 8888)."
        )

    def _domain(self) -> str:
        return f"gui/{os.getuid()}" if hasattr(os, "getuid") else "gui/$(id -u)"

    def service_file(self, spec: ServiceSpec) -> WriteFile:
        return WriteFile(spec.service_file, units.launchd_agent(spec), self.manager)

    def install_steps(self, spec: ServiceSpec, server_config: bytes, state: str) -> list[Step]:
        steps: list[Step] = [
            *self.common_files(spec, server_config),
            self.service_file(spec),
            self.state_file(spec, state),
        ]
        if spec.loopback_daemon:
            staged = str(Path(spec.server_config).with_name(f"{LAUNCHD_LOOPBACK_LABEL}.plist"))
            steps += [
                WriteFile(
                    spec.loopback_daemon,
                    units.launchd_loopback_daemon(spec.ip),
                    f"adds {spec.ip} to lo0 at every boot",
                    admin=True,
                    staged=staged,
                ),
                Run(
                    ["launchctl", "bootstrap", "system", spec.loopback_daemon],
                    f"add {spec.ip} to lo0 now",
                    admin=True,
                ),
            ]
        steps += self.hosts_add(spec)
        target = f"{self._domain()}/{LAUNCHD_LABEL}"
        steps += [
            Run(["launchctl", "bootout", target], "unload an earlier version", check=False),
            Run(["launchctl", "bootstrap", self._domain(), spec.service_file], "load and start it"),
        ]
        return steps

    def uninstall_steps(self, spec: ServiceSpec, state: str) -> list[Step]:
        target = f"{self._domain()}/{LAUNCHD_LABEL}"
        steps: list[Step] = [
            Run(["launchctl", "bootout", target], "stop and unload it", check=False),
            *self._remove_files(spec, state),
        ]
        if spec.loopback_daemon:
            staged = str(Path(spec.server_config).with_name(f"{LAUNCHD_LOOPBACK_LABEL}.plist"))
            steps += [
                Run(
                    ["launchctl", "bootout", f"system/{LAUNCHD_LOOPBACK_LABEL}"],
                    "unload the loopback daemon",
                    admin=True,
                    check=False,
                ),
                RemoveFile(spec.loopback_daemon, "the loopback daemon", admin=True),
                RemoveFile(staged, "staged copy of the loopback daemon"),
                Run(
                    ["/sbin/ifconfig", "lo0", "-alias", spec.ip],
                    f"remove {spec.ip} from lo0",
                    admin=True,
                    check=False,
                ),
            ]
        return steps + self.hosts_remove(spec)

    def status_command(self) -> list[str]:
        return ["launchctl", "print", f"{self._domain()}/{LAUNCHD_LABEL}"]

    def describe_status(self, result: subprocess.CompletedProcess[str]) -> str:
        if result.returncode != 0:
            return f"{LAUNCHD_LABEL} ({self.manager}): not loaded"
        state = next(
            (
                line.split("=", 1)[1].strip()
                for line in result.stdout.splitlines()
                if line.strip().startswith("state =")
            ),
            "loaded",
        )
        return f"{LAUNCHD_LABEL} ({self.manager}): {state}"


class Windows(Platform):
    name = WINDOWS
    manager = "Task Scheduler task"

    def available(self, runner: Runner) -> str | None:
        if not shutil.which("schtasks"):
            return "schtasks was not found: this is not Windows"
        return None

    def service_file(self, spec: ServiceSpec) -> WriteFile:
        return WriteFile(spec.service_file, units.task_xml_bytes(spec, _user()), self.manager)

    def install_steps(self, spec: ServiceSpec, server_config: bytes, state: str) -> list[Step]:
        return [
            *self.common_files(spec, server_config),
            self.service_file(spec),
            self.state_file(spec, state),
            *self.hosts_add(spec),
            Run(
                ["schtasks", "/Create", "/TN", TASK_NAME, "/XML", spec.service_file, "/F"],
                "register the task",
            ),
            Run(["schtasks", "/Run", "/TN", TASK_NAME], "start it now"),
        ]

    def uninstall_steps(self, spec: ServiceSpec, state: str) -> list[Step]:
        return [
            Run(["schtasks", "/End", "/TN", TASK_NAME], "stop it", check=False),
            Run(["schtasks", "/Delete", "/TN", TASK_NAME, "/F"], "unregister it", check=False),
            *self._remove_files(spec, state),
            *self.hosts_remove(spec),
        ]

    def notes(self, spec: ServiceSpec) -> list[str]:
        return ["Port 80 may be taken by IIS or another http.sys user: `netsh http show urlacl`."]

    def status_command(self) -> list[str]:
        return ["schtasks", "/Query", "/TN", TASK_NAME, "/FO", "LIST", "/V"]

    def describe_status(self, result: subprocess.CompletedProcess[str]) -> str:
        if result.returncode != 0:
            return f"{TASK_NAME} ({self.manager}): not registered"
        state = next(
            (
                line.split(":", 1)[1].strip()
                for line in result.stdout.splitlines()
                if line.strip().startswith("Status:")
            ),
            "registered",
        )
        return f"{TASK_NAME} ({self.manager}): {state}"


def _user() -> str:
    if os.name == "nt":
        domain, name = os.environ.get("USERDOMAIN"), os.environ.get("USERNAME")
        if domain and name:
            return f"{domain}\\{name}"
    return getpass.getuser()


PLATFORMS: dict[str, type[Platform]] = {LINUX: Linux, MACOS: MacOS, WINDOWS: Windows}


def for_name(name: str, executable: str | None = None) -> Platform:
    return PLATFORMS[name](executable)


def query(platform: Platform, runner: Runner) -> str:
    """One line: what the service manager says about the service."""
    why = platform.available(runner)
    if why:
        return f"service manager unavailable: {why}"
    return platform.describe_status(runner(platform.status_command()))


__all__: Sequence[str] = ["PLATFORMS", "Platform", "for_name", "is_admin", "query"]
