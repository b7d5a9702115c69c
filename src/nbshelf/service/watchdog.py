"""``nbshelf serve --keep-alive``: run the server as a child and restart it when it stops answering.

Service managers restart a process that exits; none of them notices a server that still
runs but no longer answers (a blocked event loop, a stopped process). The watchdog polls
``/api/status`` and restarts the child when it crashed (exited non-zero or by a signal) or
hung (no answer to ``failures`` probes in a row, or never answered within
``startup_timeout``), waiting a bounded, doubling backoff between failed starts. A clean exit
(``File > Shut Down`` in JupyterLab) ends the watchdog with 0, so the service manager's
restart-on-failure leaves it stopped too. SIGTERM, SIGINT and SIGHUP are forwarded to the
child as SIGTERM, so Jupyter shuts its kernels down before the watchdog exits.

Timings come from NBSHELF_WATCHDOG_* environment variables (see ``Settings.from_env``).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from types import FrameType

from . import probe
from .spec import LAUNCH_MODULE

ENV_PREFIX = "NBSHELF_WATCHDOG_"


@dataclass
class Settings:
    """Watchdog timings, in seconds (``failures`` is a count)."""

    interval: float = 10.0  # between probes of a healthy server
    probe_timeout: float = 5.0  # one probe's answer must come within this
    failures: int = 3  # failed probes in a row that mean "hung"
    startup_timeout: float = 120.0  # a new server must answer within this
    backoff_initial: float = 1.0  # first wait before a restart
    backoff_max: float = 60.0  # the wait never grows beyond this
    stop_grace: float = 10.0  # SIGTERM, then SIGKILL after this

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read e.g. NBSHELF_WATCHDOG_INTERVAL=2; a bad value is an error, not silently ignored."""
        env = os.environ if env is None else env
        values: dict[str, float | int] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            try:
                value = int(raw) if f.name == "failures" else float(raw)
            except ValueError:
                raise ValueError(f"{ENV_PREFIX}{f.name.upper()}={raw!r} is not a number") from None
            if value <= 0:
                raise ValueError(f"{ENV_PREFIX}{f.name.upper()} must be positive")
            values[f.name] = value
        return cls(**values)  # type: ignore[arg-type]


def backoff(attempt: int, initial: float, maximum: float) -> float:
    """The wait before restart ``attempt`` (0-based) of a series of failures: doubling, capped."""
    return float(min(maximum, initial * (2 ** min(attempt, 32))))


def child_argv(args: argparse.Namespace, python: str | None = None) -> list[str]:
    """The ``nbshelf serve`` command (without --keep-alive) that the watchdog runs."""
    argv = [python or sys.executable, "-m", LAUNCH_MODULE, "serve"]
    if args.store:
        argv.append(f"--store={args.store}")
    if args.root_dir:
        argv.append(f"--notebook-dir={os.path.abspath(args.root_dir)}")
    if args.ip:
        argv.append(f"--ip={args.ip}")
    if args.port:
        argv.append(f"--port={args.port}")
    if args.no_browser:
        argv.append("--no-browser")
    if getattr(args, "app", None):
        argv.append(f"--app={args.app}")
    return argv + list(getattr(args, "extra", []) or [])


# Outcomes of one child's life.
STOPPED = "stopped"  # we were asked to stop
EXITED = "exited"  # the server shut down cleanly by itself
CRASHED = "crashed"
HUNG = "hung"


class Watchdog:
    """Supervise one ``nbshelf serve`` child at a time."""

    def __init__(
        self,
        argv: list[str],
        *,
        ip: str | None,
        port: int | None,
        settings: Settings | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.argv = argv
        self.ip = ip or "127.0.0.1"
        self.port = port
        self.settings = settings or Settings()
        self.log = log or _log_stderr
        self.stop_event = threading.Event()
        self.child: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    # -- signals ----------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            self.stop_event.set()

        for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGBREAK"):
            sig = getattr(signal, name, None)
            if sig is not None:
                signal.signal(sig, handler)

    # -- child ------------------------------------------------------------------------------

    def start_child(self) -> subprocess.Popen[bytes]:
        kwargs: dict[str, object] = {}
        if os.name == "nt":
            kwargs["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0) | getattr(
                subprocess, "CREATE_NO_WINDOW", 0
            )
        else:
            # Its own session: a terminal's Ctrl-C reaches only the watchdog, which stops the
            # server with SIGTERM (no "Shutdown this server?" prompt), and a hard kill can
            # take the child's whole process group.
            kwargs["start_new_session"] = True
        child = subprocess.Popen(self.argv, **kwargs)  # type: ignore[call-overload]
        self.log(f"started server, pid {child.pid}")
        return child

    def stop_child(self, child: subprocess.Popen[bytes], reason: str) -> None:
        """SIGTERM (and SIGCONT, so a stopped process can act on it), SIGKILL after the grace."""
        if child.poll() is not None:
            return
        self.log(f"stopping server pid {child.pid} ({reason})")
        try:
            if os.name == "nt":
                child.terminate()
            else:
                child.send_signal(signal.SIGTERM)
                child.send_signal(signal.SIGCONT)
            child.wait(self.settings.stop_grace)
            return
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            return
        grace = self.settings.stop_grace
        self.log(f"server pid {child.pid} ignored SIGTERM for {grace:g}s: killing")
        try:
            if os.name == "nt":
                child.kill()
            else:
                os.killpg(child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            child.kill()
        child.wait()

    # -- health -----------------------------------------------------------------------------

    def _target(self, child: subprocess.Popen[bytes]) -> tuple[str, str | None] | None:
        """(base url, token) of the child: its runtime file when written, else --ip/--port."""
        info = probe.server_info(pid=child.pid)
        if info and info.get("port"):
            ip = str(info.get("hostname") or self.ip)
            return probe.base_url(ip, int(info["port"]), str(info.get("base_url") or "/")), (
                info.get("token") or None
            )
        if self.port:
            return probe.base_url(self.ip, self.port), None
        return None

    def supervise(self, child: subprocess.Popen[bytes]) -> str:
        """Watch ``child`` until it stops, crashes or hangs; return what happened."""
        s = self.settings
        started = time.monotonic()
        healthy = False
        failed = 0
        while True:
            wait = s.interval if healthy else min(s.interval, 0.5)
            if self.stop_event.wait(wait):
                self.stop_child(child, "asked to stop")
                return STOPPED
            code = child.poll()
            if code is not None:
                if code == 0:
                    return EXITED
                self.log(f"server pid {child.pid} exited with {_describe_exit(code)}")
                return CRASHED
            target = self._target(child)
            result = (
                probe.probe_status(target[0], token=target[1], timeout=s.probe_timeout)
                if (target)
                else probe.Probe(False, detail="no address known yet")
            )
            if self.stop_event.is_set():
                continue
            if result.answered:
                if not healthy:
                    self.log(f"server pid {child.pid} answers at {target[0] if target else '?'}")
                healthy, failed = True, 0
                continue
            if healthy:
                failed += 1
                self.log(
                    f"server pid {child.pid} did not answer ({result.detail})"
                    f" [{failed}/{s.failures}]"
                )
                if failed >= s.failures:
                    self.stop_child(child, "not answering")
                    return HUNG
            elif time.monotonic() - started > s.startup_timeout:
                self.stop_child(child, f"no answer within {s.startup_timeout:g}s of start")
                return HUNG

    def run(self) -> int:
        """Start, watch, restart; return the exit code for the watchdog process."""
        attempt = 0
        while not self.stop_event.is_set():
            child = self.child = self.start_child()
            began = time.monotonic()
            outcome = self.supervise(child)
            if outcome == STOPPED:
                return 0
            if outcome == EXITED:
                self.log("server shut down cleanly: not restarting")
                return 0
            # A child that ran healthily for a while starts a new series of failures.
            if time.monotonic() - began > self.settings.backoff_max:
                attempt = 0
            delay = backoff(attempt, self.settings.backoff_initial, self.settings.backoff_max)
            attempt += 1
            self.restarts += 1
            self.log(f"server {outcome}: restart {self.restarts} in {delay:g}s")
            if self.stop_event.wait(delay):
                return 0
        return 0


def _log_stderr(msg: str) -> None:
    print(f"nbshelf watchdog: {msg}", file=sys.stderr, flush=True)


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"status {code}"


def main(args: argparse.Namespace) -> int:
    """Entry point from ``nbshelf serve --keep-alive``."""
    try:
        settings = Settings.from_env()
    except ValueError as e:
        print(f"nbshelf serve: error: {e}", file=sys.stderr)
        return 2
    root_dir = os.path.abspath(args.root_dir or os.getcwd())
    if not os.path.isdir(root_dir):  # permanent: restarting would never help
        print(f"nbshelf serve: error: {root_dir} is not a directory", file=sys.stderr)
        return 2
    dog = Watchdog(child_argv(args), ip=args.ip, port=args.port, settings=settings)
    dog.install_signal_handlers()
    return dog.run()
