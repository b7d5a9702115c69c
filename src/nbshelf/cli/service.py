"""``nbshelf service install | uninstall | status | logs | url | hosts``: argparse wiring.

The work is in the other modules; here options become a ServiceSpec, a plan of steps is
printed (--dry-run) or executed, and results are told in a few lines.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections import deque
from pathlib import Path
from typing import Any

from ..service import hosts, paths, plan, platforms, probe
from ..service.spec import DEFAULT_IP, DEFAULT_PORT, ServiceSpec, SpecError
from ._common import default_store

UNSUPPORTED = 3  # exit status: nothing to do on this machine (no service manager, ...)


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "service",
        help="keep a notebook server always on (systemd, launchd, Task Scheduler)",
        description="Install nbshelf serve as a service of this platform's service manager.",
    )
    cmds = parser.add_subparsers(dest="service_command", metavar="ACTION")

    p = cmds.add_parser("install", help="write and enable the service definition")
    p.add_argument("--store", default=default_store(), metavar="URL")
    p.add_argument("--notebook-dir", default=None, metavar="DIR", help="(default: current dir)")
    p.add_argument("--ip", default=DEFAULT_IP, help=f"a loopback address (default {DEFAULT_IP})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"(default {DEFAULT_PORT})")
    p.add_argument("--hostname", default=None, help="a name for the hosts file, e.g. py")
    p.add_argument("--app", choices=("lab", "notebook"), default="lab")
    pw = p.add_mutually_exclusive_group()
    pw.add_argument("--password", action="store_true", help="set a password (asks for it)")
    pw.add_argument("--password-stdin", action="store_true", help="set a password read from stdin")
    pw.add_argument(
        "--no-password", action="store_true", help="token auth only (removes a set password)"
    )
    p.add_argument("--dry-run", action="store_true", help="print every file and command only")
    p.set_defaults(func=cmd_install)

    p = cmds.add_parser("uninstall", help="remove everything install added")
    p.add_argument("--dry-run", action="store_true", help="print every file and command only")
    p.set_defaults(func=cmd_uninstall)

    p = cmds.add_parser("status", help="does the service manager run it, does it answer")
    p.set_defaults(func=cmd_status)

    p = cmds.add_parser("logs", help="recent output of the server")
    p.add_argument("-n", "--lines", type=int, default=50)
    p.set_defaults(func=cmd_logs)

    p = cmds.add_parser("url", help="the address to open (with its token)")
    p.set_defaults(func=cmd_url)

    p = cmds.add_parser("hosts", help="add or remove a hosts-file entry (run as administrator)")
    hcmds = p.add_subparsers(dest="hosts_command", metavar="ACTION")
    h = hcmds.add_parser("add", help="add IP NAME to nbshelf's block in the hosts file")
    h.add_argument("ip")
    h.add_argument("hostname")
    h.add_argument("--file", default=None, help="the hosts file (default: the system's)")
    h.set_defaults(func=cmd_hosts)
    h = hcmds.add_parser("remove", help="remove NAME from nbshelf's block")
    h.add_argument("hostname")
    h.add_argument("--file", default=None, help="the hosts file (default: the system's)")
    h.set_defaults(func=cmd_hosts)

    def usage(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(func=usage)


# -- helpers ----------------------------------------------------------------------------------


def _err(msg: str) -> None:
    print(f"nbshelf service: {msg}", file=sys.stderr)


def _platform() -> platforms.Platform | None:
    name = paths.current_platform()
    return platforms.for_name(name) if name else None


def _unsupported() -> int:
    _err(
        f"no service support for {sys.platform}: nbshelf knows systemd (Linux), launchd (macOS)"
        " and Task Scheduler (Windows). Run instead, from your session's startup:\n"
        "  nbshelf serve --keep-alive --no-browser --ip 127.0.0.1 --port 8888"
    )
    return UNSUPPORTED


def _runner() -> plan.Runner:
    # Looked up at call time: the only seam tests replace (the service-manager invocation).
    return plan.run_command


def _load(plat: platforms.Platform) -> tuple[ServiceSpec | None, str]:
    state = str(paths.layout(plat.name).state_file)
    try:
        return ServiceSpec.from_json(Path(state).read_text(encoding="utf-8")), state
    except FileNotFoundError:
        return None, state


def _existing_hash(config: str) -> str | None:
    try:
        data = json.loads(Path(config).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("PasswordIdentityProvider", {}).get("hashed_password")
    return value if isinstance(value, str) and value else None


def _ask_password(args: argparse.Namespace, config: str) -> tuple[str | None, str]:
    """(hashed password or None, a note). Never disables auth: no password means a token."""
    from jupyter_server.auth import passwd

    if args.no_password:
        return None, "token auth (no password)"
    if args.password_stdin:
        pw = sys.stdin.readline().rstrip("\r\n")
        if not pw:
            raise SpecError("--password-stdin: empty password")
        return passwd(pw), "password set (hashed with argon2)"
    interactive = sys.stdin.isatty() and not args.dry_run
    if not args.password:
        old = _existing_hash(config)
        if old:
            return old, "password kept from the previous install"
        if not interactive:
            return None, "token auth: `nbshelf service url` prints the address with its token"
        answer = input("Set a password, so the bookmark works without a token? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            return None, "token auth: `nbshelf service url` prints the address with its token"
    elif not interactive:
        raise SpecError("--password needs a terminal: use --password-stdin")
    for _ in range(3):
        first = getpass.getpass("Password: ")
        if first and first == getpass.getpass("Again: "):
            return passwd(first), "password set (hashed with argon2)"
        print("Empty or not the same, again.", file=sys.stderr)
    raise SpecError("no password set")


def _report(outcome: plan.Outcome, platform: str) -> None:
    for line in outcome.done:
        print(f"  {line}")
    if outcome.as_admin:
        where = "an administrator PowerShell" if platform == paths.WINDOWS else "a shell"
        print(f"\nnbshelf lacks the rights for these; run them in {where}:")
        for line in outcome.as_admin:
            print(f"  {line}")
    for line in outcome.failed:
        _err(line)


# -- commands ---------------------------------------------------------------------------------


def cmd_install(args: argparse.Namespace) -> int:
    plat = _platform()
    if plat is None:
        return _unsupported()
    lay = paths.layout(plat.name)
    notebook_dir = os.path.abspath(args.notebook_dir or os.getcwd())
    if not os.path.isdir(notebook_dir):
        _err(f"--notebook-dir {notebook_dir} is not a directory")
        return 2
    try:
        hashed, auth_note = _ask_password(args, str(lay.server_config))
        spec = ServiceSpec.create(
            plat.name,
            notebook_dir,
            ip=args.ip,
            port=args.port,
            hostname=args.hostname,
            store=args.store,
            app=args.app,
            password_set=bool(hashed),
            where=lay,
        )
    except SpecError as e:
        _err(str(e))
        return 2
    problem = plat.port_problem(spec.ip, spec.port)
    if problem:
        _err(problem)
        return 2
    config = (json.dumps(spec.server_config_data(hashed), indent=2) + "\n").encode()
    steps = plat.install_steps(spec, config, str(lay.state_file))
    runner = _runner()
    unavailable = plat.available(runner)
    if args.dry_run:
        print(f"nbshelf service install --dry-run: nothing is changed. On {plat.name}, would:")
        for step in steps:
            print(plan.describe(step, plat.name))
        if unavailable:
            print(f"(and it would stop before that: {unavailable})")
        print(f"Then open {spec.url} ({auth_note}).")
        return 0
    if unavailable:
        _err(
            f"cannot install a {plat.manager}: {unavailable}.\n"
            "Run the same server yourself instead (e.g. from your session's startup):\n"
            f"  {plat.instead(spec)}\n"
            "(`nbshelf service install --dry-run` shows the files it would have written.)"
        )
        return UNSUPPORTED
    print(f"Installing the {plat.manager} for {spec.url}:")
    outcome = plan.execute(steps, plat.name, runner, platforms.is_admin())
    _report(outcome, plat.name)
    if outcome.failed:
        return 1
    for note in plat.notes(spec):
        print(note)
    print(f"Open {spec.url} ({auth_note}); `nbshelf service status` tells whether it answers.")
    return 0


def cmd_uninstall(args: argparse.Namespace) -> int:
    plat = _platform()
    if plat is None:
        return _unsupported()
    spec, state = _load(plat)
    if spec is None:
        spec = ServiceSpec.create(plat.name, os.getcwd(), where=paths.layout(plat.name))
        print(f"(no {state}: removing the default files only; a hosts entry is left as it is)")
    steps = plat.uninstall_steps(spec, state)
    if args.dry_run:
        print(f"nbshelf service uninstall --dry-run: nothing is changed. On {plat.name}, would:")
        for step in steps:
            print(plan.describe(step, plat.name))
        return 0
    runner = _runner()
    unavailable = plat.available(runner)
    if unavailable:  # still remove the files: a service manager that is gone runs nothing
        print(f"({unavailable}: skipping its commands)")
        steps = [s for s in steps if not isinstance(s, plan.Run)]
    print(f"Removing the {plat.manager}:")
    outcome = plan.execute(steps, plat.name, runner, platforms.is_admin())
    _report(outcome, plat.name)
    print(f"The log is kept: {spec.log_file}")
    return 1 if outcome.failed else 0


def _find(spec: ServiceSpec) -> tuple[probe.Probe, dict[str, Any] | None]:
    """Probe the installed server as a browser at its address would (Host: NAME:PORT)."""
    info = probe.server_info(port=spec.port, ip=spec.ip)
    token = (info or {}).get("token") or None
    host = spec.url.split("//", 1)[1].rstrip("/")
    base = str((info or {}).get("base_url") or "/")
    result = probe.probe_status(probe.base_url(spec.ip, spec.port, base), token=token, host=host)
    return result, info


def cmd_status(args: argparse.Namespace) -> int:
    plat = _platform()
    if plat is None:
        return _unsupported()
    spec, state = _load(plat)
    if spec is None:
        print(f"not installed (no {state}): nbshelf service install")
        return UNSUPPORTED
    print(f"service: {platforms.query(plat, _runner())}")
    result, _ = _find(spec)
    if not result.answered:
        print(f"server: not answering at {spec.url} ({result.detail})")
        return UNSUPPORTED
    if result.status == 200:
        b = result.body
        print(
            f"server: answers at {spec.url} (started {b.get('started', '?')},"
            f" {b.get('kernels', '?')} kernels, {b.get('connections', '?')} connections)"
        )
    else:
        print(f"server: answers at {spec.url} (HTTP {result.status} {result.detail})")
    return 0


def cmd_url(args: argparse.Namespace) -> int:
    plat = _platform()
    if plat is None:
        return _unsupported()
    spec, state = _load(plat)
    if spec is None:
        print(f"not installed (no {state}): nbshelf service install", file=sys.stderr)
        return UNSUPPORTED
    info = probe.server_info(port=spec.port, ip=spec.ip)
    page = "lab" if spec.app == "lab" else "tree"
    if info and info.get("token"):
        print(f"{spec.url}{page}?token={info['token']}")
    elif (info and info.get("password")) or spec.password_set:
        print(spec.url)
        print("(a password is set: log in with it)", file=sys.stderr)
    else:
        print(spec.url)
        print("(the server is not running: its token is known once it runs)", file=sys.stderr)
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    plat = _platform()
    if plat is None:
        return _unsupported()
    spec, _ = _load(plat)
    log = spec.log_file if spec else str(paths.layout(plat.name).log_file)
    try:
        with open(log, encoding="utf-8", errors="replace") as f:
            tail = deque(f, maxlen=max(1, args.lines))
    except FileNotFoundError:
        print(f"no log yet at {log}", file=sys.stderr)
        return UNSUPPORTED
    sys.stdout.writelines(tail)
    if plat.name == paths.LINUX:
        print(
            f"(service manager messages: journalctl --user -u {paths.SYSTEMD_UNIT})",
            file=sys.stderr,
        )
    return 0


def cmd_hosts(args: argparse.Namespace) -> int:
    name = paths.current_platform()
    path = args.file or str(paths.layout(name or paths.LINUX).hosts_file)
    try:
        from ..service.spec import check_hostname, check_ip

        hostname = check_hostname(args.hostname)
        if args.hosts_command == "add":
            ip = check_ip(args.ip)
            changed = hosts.add_host(path, ip, hostname)
            line = hosts.line_for(ip, hostname)
            print(f"{'added' if changed else 'already there'}: {line} in {path}")
        else:
            changed = hosts.remove_host(path, hostname)
            print(f"{'removed' if changed else 'not there'}: {hostname} in {path}")
    except SpecError as e:
        _err(str(e))
        return 2
    except PermissionError:
        _err(f"no permission to write {path}: run this command as administrator")
        return 1
    return 0
