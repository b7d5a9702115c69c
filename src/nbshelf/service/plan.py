"""Install and uninstall as a list of steps, so ``--dry-run`` can print exactly what would happen.

A step writes or removes a file, edits the hosts file, or runs a service-manager command.
Steps that need administrator rights are done when nbshelf has them; otherwise they are
turned into the exact commands to run as administrator.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import hosts
from .spec import quote_for

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def run_command(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run a service-manager command, capturing its output; a missing program is exit 127."""
    try:
        return subprocess.run(list(argv), capture_output=True, text=True, timeout=120, check=False)
    except FileNotFoundError as e:
        return subprocess.CompletedProcess(list(argv), 127, "", f"{argv[0]}: not found ({e})")


@dataclass
class WriteFile:
    path: str
    content: bytes
    what: str
    mode: int = 0o644
    admin: bool = False
    staged: str | None = None  # where to put it for an administrator to copy, without rights


@dataclass
class RemoveFile:
    path: str
    what: str
    admin: bool = False


@dataclass
class Run:
    argv: list[str]
    what: str
    admin: bool = False
    check: bool = True  # False: failure is expected when there is nothing to undo


@dataclass
class HostsAdd:
    path: str
    ip: str
    hostname: str
    admin_command: list[str] = field(default_factory=list)


@dataclass
class HostsRemove:
    path: str
    hostname: str
    admin_command: list[str] = field(default_factory=list)


Step = WriteFile | RemoveFile | Run | HostsAdd | HostsRemove


def _text(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16").replace("\r\n", "\n")
    return content.decode("utf-8", "replace")


def describe(step: Step, platform: str) -> str:
    """What the step does, with the full file content or command line (for --dry-run)."""
    admin = " [as administrator]" if getattr(step, "admin", False) else ""
    if isinstance(step, WriteFile):
        body = "\n".join("    " + line for line in _text(step.content).splitlines())
        return f"write {step.path} (mode {step.mode:o}){admin}: {step.what}\n{body}"
    if isinstance(step, RemoveFile):
        return f"remove {step.path}{admin}: {step.what}"
    if isinstance(step, Run):
        return f"run{admin}: {quote_for(platform, step.argv)}    # {step.what}"
    if isinstance(step, HostsAdd):
        return (
            f"edit {step.path} [as administrator]: add {hosts.line_for(step.ip, step.hostname)!r}"
            f" inside the '# BEGIN nbshelf' block (backup {step.path}{hosts.BACKUP_SUFFIX})"
        )
    return (
        f"edit {step.path} [as administrator]: remove {step.hostname!r} from the"
        f" '# BEGIN nbshelf' block (backup {step.path}{hosts.BACKUP_SUFFIX})"
    )


@dataclass
class Outcome:
    done: list[str] = field(default_factory=list)
    as_admin: list[str] = field(default_factory=list)  # commands left for an administrator
    failed: list[str] = field(default_factory=list)


def execute(steps: Sequence[Step], platform: str, runner: Runner, is_admin: bool) -> Outcome:
    """Do the steps in order; stop at the first failing required command."""
    out = Outcome()
    sudo = [] if platform == "windows" else ["sudo"]
    for step in steps:
        if isinstance(step, WriteFile):
            if step.admin and not is_admin:
                staged = step.staged or step.path
                _write(staged, step.content, step.mode)
                out.as_admin.append(
                    quote_for(
                        platform, [*sudo, "install", "-m", f"{step.mode:o}", staged, step.path]
                    )
                )
                continue
            _write(step.path, step.content, step.mode)
            out.done.append(f"wrote {step.path} ({step.what})")
        elif isinstance(step, RemoveFile):
            if step.admin and not is_admin:
                if os.path.exists(step.path):
                    out.as_admin.append(quote_for(platform, [*sudo, "rm", "-f", step.path]))
                continue
            try:
                os.unlink(step.path)
                out.done.append(f"removed {step.path} ({step.what})")
            except FileNotFoundError:
                pass
        elif isinstance(step, Run):
            if step.admin and not is_admin:
                out.as_admin.append(quote_for(platform, [*sudo, *step.argv]))
                continue
            result = runner(step.argv)
            line = quote_for(platform, step.argv)
            if result.returncode == 0 or not step.check:
                out.done.append(f"ran {line}")
            else:
                msg = (result.stderr or result.stdout or "").strip()
                out.failed.append(f"{line} failed with status {result.returncode}: {msg}")
                return out
        else:
            line = hosts.line_for(step.ip, step.hostname) if isinstance(step, HostsAdd) else ""
            try:
                if isinstance(step, HostsAdd):
                    changed = hosts.add_host(step.path, step.ip, step.hostname)
                    verb = f"added {line!r} to" if changed else f"{line!r} already in"
                else:
                    changed = hosts.remove_host(step.path, step.hostname)
                    verb = f"removed {step.hostname!r} from" if changed else "nothing to remove in"
                out.done.append(f"{verb} {step.path}")
            except PermissionError:
                cmd = quote_for(platform, [*sudo, *step.admin_command])
                if isinstance(step, HostsAdd):
                    out.as_admin.append(f"{cmd}    # or add this line to {step.path}: {line}")
                else:
                    out.as_admin.append(
                        f"{cmd}    # or delete the {step.hostname!r} line in {step.path}"
                    )
    return out


def _write(path: str, content: bytes, mode: int) -> None:
    """Write a file atomically (temporary file + rename), creating its directory."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.nbshelf-tmp")
    with open(tmp, "wb") as f:
        f.write(content)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, target)
