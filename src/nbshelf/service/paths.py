"""Where each platform keeps the service's files.

Pure functions of (platform, home, environment) so that the layout of any platform can
be computed and tested on any other; ``current_platform()`` is the only probe.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

LINUX = "linux"
MACOS = "macos"
WINDOWS = "windows"
PLATFORMS = (LINUX, MACOS, WINDOWS)

#: Names the service managers know the server by.
SYSTEMD_UNIT = "nbshelf.service"
LAUNCHD_LABEL = "org.nbshelf.serve"
LAUNCHD_LOOPBACK_LABEL = "org.nbshelf.loopback"
TASK_NAME = "nbshelf"


def current_platform(platform: str | None = None) -> str | None:
    """This machine's platform as one of PLATFORMS, or None when nbshelf has no service for it."""
    p = platform or sys.platform
    if p.startswith("linux"):
        return LINUX
    if p == "darwin":
        return MACOS
    if p in ("win32", "cygwin"):
        return WINDOWS
    return None


@dataclass(frozen=True)
class Layout:
    """Every path ``nbshelf service`` reads or writes on one platform."""

    platform: str
    config_dir: PurePath  # nbshelf's own files: state, server config
    log_file: PurePath
    service_file: PurePath  # unit / agent plist / task XML
    hosts_file: PurePath
    loopback_daemon: PurePath | None = None  # macOS only: adds the lo0 alias at boot

    @property
    def state_file(self) -> PurePath:
        return self.config_dir / "service.json"

    @property
    def server_config(self) -> PurePath:
        return self.config_dir / "jupyter_server_config.json"


#: Another hosts file than the system's (a test's, or a system keeping it elsewhere).
ENV_HOSTS_FILE = "NBSHELF_HOSTS_FILE"


def layout(platform: str, home: str | None = None, env: Mapping[str, str] | None = None) -> Layout:
    """The layout for ``platform``, honouring XDG / APPDATA variables like the platform does."""
    env = os.environ if env is None else env
    lay = _layout(platform, home, env)
    if env.get(ENV_HOSTS_FILE):
        cls = PureWindowsPath if platform == WINDOWS else PurePosixPath
        return replace(lay, hosts_file=cls(env[ENV_HOSTS_FILE]))
    return lay


def _layout(platform: str, home: str | None, env: Mapping[str, str]) -> Layout:
    if platform == WINDOWS:
        whome = PureWindowsPath(home or env.get("USERPROFILE") or str(Path.home()))
        appdata = PureWindowsPath(env.get("APPDATA") or whome / "AppData" / "Roaming")
        local = PureWindowsPath(env.get("LOCALAPPDATA") or whome / "AppData" / "Local")
        sysroot = PureWindowsPath(env.get("SystemRoot") or "C:\\Windows")
        return Layout(
            platform,
            config_dir=appdata / "nbshelf",
            log_file=local / "nbshelf" / "server.log",
            service_file=appdata / "nbshelf" / "nbshelf-task.xml",
            hosts_file=sysroot / "System32" / "drivers" / "etc" / "hosts",
        )
    phome = PurePosixPath(home or env.get("HOME") or str(Path.home()))
    if platform == MACOS:
        return Layout(
            platform,
            config_dir=phome / "Library" / "Application Support" / "nbshelf",
            log_file=phome / "Library" / "Logs" / "nbshelf" / "server.log",
            service_file=phome / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist",
            hosts_file=PurePosixPath("/etc/hosts"),
            loopback_daemon=PurePosixPath(f"/Library/LaunchDaemons/{LAUNCHD_LOOPBACK_LABEL}.plist"),
        )
    if platform == LINUX:
        config = PurePosixPath(env.get("XDG_CONFIG_HOME") or phome / ".config")
        state = PurePosixPath(env.get("XDG_STATE_HOME") or phome / ".local" / "state")
        return Layout(
            platform,
            config_dir=config / "nbshelf",
            log_file=state / "nbshelf" / "server.log",
            service_file=config / "systemd" / "user" / SYSTEMD_UNIT,
            hosts_file=PurePosixPath("/etc/hosts"),
        )
    raise ValueError(f"no service layout for platform {platform!r}")


def interpreter(platform: str, executable: str | None = None) -> str:
    """The absolute interpreter of this environment; on Windows its windowless ``pythonw.exe``.

    Not resolved through symlinks: a virtualenv's ``bin/python`` is a symlink, and resolving it
    would escape the environment nbshelf is installed in.
    """
    exe = executable or sys.executable
    if platform == WINDOWS:
        w = PureWindowsPath(exe)
        if w.name.lower() == "python.exe":
            return str(w.with_name("pythonw.exe"))
        return str(w)
    return os.path.abspath(exe)


def nbshelf_script(platform: str, executable: str | None = None) -> str:
    """The ``nbshelf`` console script next to the interpreter (for commands shown to people)."""
    exe = executable or sys.executable
    if platform == WINDOWS:
        return str(PureWindowsPath(exe).with_name("nbshelf.exe"))
    return os.path.join(os.path.dirname(os.path.abspath(exe)), "nbshelf")
