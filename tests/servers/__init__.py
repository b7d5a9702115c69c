"""Launchers for the real servers the test suite starts itself (Swift, Keystone)
and the one stand-in for a server that cannot run here (Rackspace identity).

Importable without the servers installed: each launcher raises
:class:`ServerUnavailable` with what to install, and the fixtures turn that
into a skip with a printed reason.
"""

from __future__ import annotations

import socket


class ServerUnavailable(RuntimeError):
    """The server cannot be started on this machine (not installed): skip, don't fail."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (plain bind: catches SO_REUSEPORT listeners too)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])
