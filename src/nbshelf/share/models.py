"""The share record: what was shared, how, until when, and at which URLs.

A share is a snapshot: the bytes published when it was made (or last updated),
not a live view of the file. Its id is an unguessable token: for links served
by nbshelf itself and for public snapshots it is part of the URL, so knowing a
link is what grants access to it, and nothing else can be guessed from it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

Kind = Literal["public", "expiring", "local"]
KINDS: tuple[str, ...] = ("public", "expiring", "local")
#: ids are ``secrets.token_urlsafe(18)``: 24 URL-safe characters, 144 random bits.
ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class ShareError(Exception):
    """A share request that cannot be done; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def new_id() -> str:
    return secrets.token_urlsafe(18)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if dt else None


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time (``Z`` or an offset; naive means UTC) or None."""
    if not value:
        return None
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


@dataclass
class Share:
    """One share of one file. ``urls`` has ``notebook`` (the file itself), ``html``
    (the rendered page, notebooks only) and, for public links, ``nbviewer``."""

    id: str
    path: str
    kind: Kind
    created: datetime
    expires: datetime | None = None
    updated: datetime | None = None
    revoked: datetime | None = None
    urls: dict[str, str] = field(default_factory=dict)
    #: Where the snapshot lives (store keys or the public container's keys): internal.
    snapshot: dict[str, str] = field(default_factory=dict)
    #: What revoking does on this backend, said to the user.
    note: str = ""

    @property
    def expired(self) -> bool:
        return self.expires is not None and self.expires <= utcnow()

    @property
    def active(self) -> bool:
        return self.revoked is None and not self.expired

    def seconds_left(self) -> int | None:
        if self.expires is None:
            return None
        return max(0, int((self.expires - utcnow()).total_seconds()))

    # ------------------------------------------------------------ JSON
    def to_record(self) -> dict[str, Any]:
        """The stored form (internal fields included)."""
        d = asdict(self)
        for k in ("created", "expires", "updated", "revoked"):
            d[k] = _iso(getattr(self, k))
        return d

    def to_api(self) -> dict[str, Any]:
        """What the API and the CLI show (no internal snapshot keys)."""
        d = self.to_record()
        d.pop("snapshot", None)
        d["expired"] = self.expired
        d["active"] = self.active
        return d

    @classmethod
    def from_record(cls, d: dict[str, Any]) -> Share:
        created = parse_time(d.get("created"))
        return cls(
            id=str(d["id"]),
            path=str(d["path"]),
            kind=d["kind"],
            created=created or utcnow(),
            expires=parse_time(d.get("expires")),
            updated=parse_time(d.get("updated")),
            revoked=parse_time(d.get("revoked")),
            urls=dict(d.get("urls") or {}),
            snapshot=dict(d.get("snapshot") or {}),
            note=str(d.get("note") or ""),
        )


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION_RE = re.compile(r"^\s*(-?\d+)\s*([smhdw]?)\s*$", re.IGNORECASE)


def parse_duration(text: str) -> int:
    """``7d``, ``12h``, ``30m``, ``90s``, ``2w`` or plain seconds -> seconds.

    A date or time (``2026-12-01``, ``2026-12-01T12:00Z``) means "until then".
    Raises ValueError for anything else.
    """
    m = _DURATION_RE.match(text)
    if m:
        return int(m.group(1)) * _UNITS[(m.group(2) or "s").lower()]
    when = parse_time(text.strip())
    if when is None:
        raise ValueError(f"not a duration or a date: {text!r}")
    return int((when - utcnow()).total_seconds())


def human_duration(seconds: int) -> str:
    """``90061`` -> ``1d 1h``: the two largest units, for people."""
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts[:2])


def expiry_from(expires_in: int | None, now: datetime | None = None) -> datetime | None:
    return None if expires_in is None else (now or utcnow()) + timedelta(seconds=expires_in)
