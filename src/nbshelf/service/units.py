"""Service definitions as text: systemd user unit, launchd plists, Task Scheduler XML.

Pure functions of a ServiceSpec, so every platform's definition can be rendered and
validated on any machine (systemd-analyze, plistlib, an XML parser) without installing it.
"""

from __future__ import annotations

import plistlib
import re
import subprocess
import xml.etree.ElementTree as ET

from .paths import LAUNCHD_LABEL, LAUNCHD_LOOPBACK_LABEL
from .spec import ServiceSpec

TASK_NS = "http://schemas.microsoft.com/windows/2004/02/mit/task"

_PLAIN = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


def _systemd_escape(value: str) -> str:
    """Protect systemd's specifiers (%) and variable expansion ($) in a literal value."""
    return value.replace("%", "%%").replace("$", "$$")


def _systemd_word(arg: str) -> str:
    """One ExecStart word: bare when safe, else C-style double quoted (systemd's own rules)."""
    arg = _systemd_escape(arg)
    if _PLAIN.match(arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_unit(spec: ServiceSpec) -> str:
    """A systemd *user* unit: started with the user's manager, restarted when it fails.

    Restart=on-failure covers crashes of the watchdog itself; a hung server is restarted by
    ``nbshelf serve --keep-alive`` inside it. KillMode=mixed: SIGTERM goes to the watchdog,
    which stops Jupyter cleanly; whatever is left gets SIGKILL after TimeoutStopSec.
    """
    exec_start = " ".join(_systemd_word(a) for a in spec.command())
    return f"""\
[Unit]
Description=nbshelf notebook server at {_systemd_escape(spec.url)}
StartLimitIntervalSec=600
StartLimitBurst=10

[Service]
Type=simple
ExecStart={exec_start}
WorkingDirectory={_systemd_escape(spec.notebook_dir)}
Environment=PYTHONUNBUFFERED=1
Restart=on-failure
RestartSec=5
KillMode=mixed
TimeoutStopSec=30

[Install]
WantedBy=default.target
"""


def launchd_agent(spec: ServiceSpec) -> bytes:
    """A launchd agent: loaded at login (RunAtLoad), relaunched unless it exited cleanly."""
    data = {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": spec.command(),
        "WorkingDirectory": spec.notebook_dir,
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ThrottleInterval": 10,
        "ProcessType": "Interactive",
        "EnvironmentVariables": {"PYTHONUNBUFFERED": "1"},
        # What goes wrong before nbshelf's own log file is open still lands next to it.
        "StandardOutPath": spec.log_file,
        "StandardErrorPath": spec.log_file,
    }
    return plistlib.dumps(data, fmt=plistlib.FMT_XML, sort_keys=False)


def launchd_loopback_daemon(ip: str) -> bytes:
    """A root LaunchDaemon adding ``ip`` to lo0 at boot: macOS only routes 127.0.0.1 by default."""
    data = {
        "Label": LAUNCHD_LOOPBACK_LABEL,
        "ProgramArguments": ["/sbin/ifconfig", "lo0", "alias", ip, "up"],
        "RunAtLoad": True,
    }
    return plistlib.dumps(data, fmt=plistlib.FMT_XML, sort_keys=False)


def task_xml(spec: ServiceSpec, user: str) -> str:
    """A Task Scheduler definition for ``schtasks /Create /XML``.

    Logon trigger, restart on failure, no execution time limit (PT0S: the default would stop
    the server after 72 hours), hidden, and run by ``pythonw.exe`` so no console window opens.
    Write it UTF-16 encoded (``task_xml_bytes``): the encoding its declaration names.
    """
    ET.register_namespace("", TASK_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
        el = ET.SubElement(parent, f"{{{TASK_NS}}}{tag}")
        if text is not None:
            el.text = text
        return el

    task = ET.Element(f"{{{TASK_NS}}}Task", {"version": "1.2"})
    info = sub(task, "RegistrationInfo")
    sub(info, "Description", f"nbshelf notebook server at {spec.url}")
    sub(info, "URI", "\\nbshelf")

    trigger = sub(sub(task, "Triggers"), "LogonTrigger")
    sub(trigger, "Enabled", "true")
    sub(trigger, "UserId", user)

    principal = sub(sub(task, "Principals"), "Principal")
    principal.set("id", "Author")
    sub(principal, "UserId", user)
    sub(principal, "LogonType", "InteractiveToken")
    sub(principal, "RunLevel", "LeastPrivilege")

    settings = sub(task, "Settings")
    sub(settings, "MultipleInstancesPolicy", "IgnoreNew")
    sub(settings, "DisallowStartIfOnBatteries", "false")
    sub(settings, "StopIfGoingOnBatteries", "false")
    sub(settings, "AllowHardTerminate", "true")
    sub(settings, "StartWhenAvailable", "true")
    sub(settings, "RunOnlyIfNetworkAvailable", "false")
    idle = sub(settings, "IdleSettings")
    sub(idle, "StopOnIdleEnd", "false")
    sub(idle, "RestartOnIdle", "false")
    sub(settings, "AllowStartOnDemand", "true")
    sub(settings, "Enabled", "true")
    sub(settings, "Hidden", "true")
    sub(settings, "RunOnlyIfIdle", "false")
    sub(settings, "WakeToRun", "false")
    sub(settings, "ExecutionTimeLimit", "PT0S")
    sub(settings, "Priority", "7")
    restart = sub(settings, "RestartOnFailure")
    sub(restart, "Interval", "PT1M")  # the shortest Task Scheduler accepts
    sub(restart, "Count", "999")  # the most it accepts

    actions = sub(task, "Actions")
    actions.set("Context", "Author")
    exe = sub(actions, "Exec")
    command = spec.command()
    sub(exe, "Command", command[0])
    sub(exe, "Arguments", subprocess.list2cmdline(command[1:]))
    sub(exe, "WorkingDirectory", spec.notebook_dir)

    ET.indent(task, space="  ")
    body = ET.tostring(task, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-16"?>\n' + body + "\n"


def task_xml_bytes(spec: ServiceSpec, user: str) -> bytes:
    """``task_xml`` as UTF-16 with a byte-order mark, as Task Scheduler exports and expects."""
    return task_xml(spec, user).replace("\n", "\r\n").encode("utf-16")
