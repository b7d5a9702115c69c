"""What ``nbshelf service install`` sets up: one ``ServiceSpec``, saved as the state file.

Uninstall, status, url and logs read the state file, so they act on what was installed
rather than on today's defaults.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from .paths import LINUX, WINDOWS, Layout, interpreter, layout

DEFAULT_IP = "127.0.0.1"
DEFAULT_PORT = 8888
LAUNCH_MODULE = "nbshelf.service.launch"

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


class SpecError(ValueError):
    """An option that cannot make a working service (the message says which and why)."""


def check_ip(ip: str) -> str:
    """Only loopback: an always-on server with code execution must not listen on a network."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        raise SpecError(f"--ip {ip!r} is not an IP address (e.g. 127.0.0.13)") from None
    if not addr.is_loopback:
        raise SpecError(f"--ip {ip} is not a loopback address: use one of 127.0.0.0/8 or ::1")
    return str(addr)


def check_hostname(name: str) -> str:
    """A plain DNS name, so it is safe in the hosts file and in Jupyter's allowed hostnames."""
    labels = name.rstrip(".").split(".")
    if not name or not all(_LABEL.match(label) for label in labels) or name.lower() == "localhost":
        raise SpecError(f"--hostname {name!r} is not a usable host name (e.g. py, notebooks.local)")
    return name.rstrip(".").lower()


def check_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise SpecError(f"--port {port} is out of range 1-65535")
    return port


@dataclass
class ServiceSpec:
    """The server a platform's service manager keeps running."""

    platform: str
    python: str  # absolute interpreter of this environment (pythonw.exe on Windows)
    notebook_dir: str
    ip: str = DEFAULT_IP
    port: int = DEFAULT_PORT
    hostname: str | None = None
    store: str = ""
    app: str = "lab"
    password_set: bool = False
    server_config: str = ""
    log_file: str = ""
    service_file: str = ""
    hosts_file: str = ""
    loopback_daemon: str | None = None
    extra: list[str] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        platform: str,
        notebook_dir: str,
        *,
        ip: str = DEFAULT_IP,
        port: int = DEFAULT_PORT,
        hostname: str | None = None,
        store: str = "",
        app: str = "lab",
        password_set: bool = False,
        executable: str | None = None,
        where: Layout | None = None,
    ) -> ServiceSpec:
        """Validate the options and fill in the platform's paths."""
        lay = where or layout(platform)
        ip = check_ip(ip)
        return cls(
            platform=platform,
            python=interpreter(platform, executable),
            notebook_dir=notebook_dir,
            ip=ip,
            port=check_port(port),
            hostname=check_hostname(hostname) if hostname else None,
            store=store,
            app=app,
            password_set=password_set,
            server_config=str(lay.server_config),
            log_file=str(lay.log_file),
            service_file=str(lay.service_file),
            hosts_file=str(lay.hosts_file),
            loopback_daemon=(
                str(lay.loopback_daemon) if lay.loopback_daemon and ip != DEFAULT_IP else None
            ),
        )

    # -- what runs --------------------------------------------------------------------------

    def serve_args(self, inline_config: bool = False) -> list[str]:
        """``nbshelf serve`` arguments: watchdog on, fixed port (a bookmark must not move).

        No ``--config=FILE``: that would make Jupyter read only FILE and skip the user's own
        configuration (``~/.jupyter/jupyter_server_config.py``: kernels, contents, password
        ...). The service finds nbshelf's config file through ``JUPYTER_CONFIG_PATH`` instead
        (see ``command``). ``inline_config``: the allowed hostnames as options, for a command
        people run by hand where no config file was written.
        """
        args = [
            "serve",
            "--keep-alive",
            "--no-browser",
            f"--notebook-dir={self.notebook_dir}",
            f"--ip={self.ip}",
            f"--port={self.port}",
            f"--app={self.app}",
        ]
        if self.store:
            args.append(f"--store={self.store}")
        if inline_config:
            names = self.server_config_data()["ServerApp"]["local_hostnames"]
            args += [f"--ServerApp.local_hostnames={name}" for name in names]
        args.append("--ServerApp.port_retries=0")
        return args + list(self.extra)

    @property
    def server_config_dir(self) -> str:
        """The folder of ``server_config``: first in the server's ``JUPYTER_CONFIG_PATH``."""
        cls = PureWindowsPath if self.platform == WINDOWS else PurePosixPath
        return str(cls(self.server_config).parent)

    def command(self) -> list[str]:
        """The full command line the service manager runs (absolute paths throughout).

        ``--jupyter-config-path``: the launcher puts nbshelf's config folder first in
        ``JUPYTER_CONFIG_PATH``, so Jupyter reads ``jupyter_server_config.json`` there on top
        of the user's own configuration, nbshelf's settings taking precedence.
        """
        return [
            self.python,
            "-m",
            LAUNCH_MODULE,
            f"--log={self.log_file}",
            f"--jupyter-config-path={self.server_config_dir}",
            *self.serve_args(),
        ]

    # -- what people open -------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The host part of the address people open: the hostname if any, else the IP."""
        if self.hostname:
            return self.hostname
        return f"[{self.ip}]" if ":" in self.ip else self.ip

    @property
    def url(self) -> str:
        port = "" if self.port == 80 else f":{self.port}"
        return f"http://{self.host}{port}/"

    def server_config_data(self, hashed_password: str | None = None) -> dict[str, Any]:
        """The Jupyter config the service adds to the user's (``jupyter_server_config.json``
        in ``server_config_dir``, which the launcher puts first in ``JUPYTER_CONFIG_PATH``).

        ``local_hostnames`` replaces Jupyter's default ``["localhost"]``, so localhost is kept.
        ``allow_remote_access`` is pinned off: the Host check is what stops DNS rebinding, and
        only the names listed here (and loopback IPs) pass it.
        """
        names = ["localhost"] + ([self.hostname] if self.hostname else [])
        data: dict[str, Any] = {
            "ServerApp": {
                "local_hostnames": names,
                "allow_remote_access": False,
                "open_browser": False,
            }
        }
        if hashed_password:
            data["PasswordIdentityProvider"] = {"hashed_password": hashed_password}
        return data

    # -- state file -------------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ServiceSpec:
        data = json.loads(text)
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def quote_for(platform: str, argv: list[str]) -> str:
    """A command line people can paste into the platform's shell."""
    if platform == WINDOWS:
        import subprocess

        return subprocess.list2cmdline(argv)
    import shlex

    return shlex.join(argv)


__all__ = ["LINUX", "ServiceSpec", "SpecError", "quote_for"]
