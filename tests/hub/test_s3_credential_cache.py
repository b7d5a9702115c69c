"""CredentialCache (nbshelf.stores.credentials), the S3 store's renewal, without a server:
a source whose answers are counted; when a renewal is due is decided by a RefreshClock
reading the test's clock (moved forward by the test, never waited for)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from nbshelf.stores import CredentialCache, CredentialsUnavailable
from nbshelf.stores.expiring import RefreshClock


class Clock:
    """Seconds since the epoch, as the test says."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc).timestamp()

    def __call__(self) -> float:
        return self.now


@dataclass
class Creds:
    env: dict[str, str]
    expires_at: datetime | None


@dataclass
class Source:
    """Answers credentials expiring ``life`` from now; fails while ``down``."""

    life: timedelta
    down: bool = False
    calls: list[Creds] = field(default_factory=list)

    def __call__(self) -> Creds:
        if self.down:
            raise ConnectionRefusedError("the hub is down")
        creds = Creds({"KEY": f"k{len(self.calls)}"}, datetime.now(timezone.utc) + self.life)
        self.calls.append(creds)
        return creds


async def test_fresh_credentials_are_reused_without_asking() -> None:
    source = Source(timedelta(hours=1))
    cache = CredentialCache(source, where="s3://b/users/alice")
    first = await cache.fresh()
    for _ in range(50):
        assert await cache.fresh() is first
        assert cache.current() is first
    assert len(source.calls) == 1 and cache.refreshes == 0


async def test_due_credentials_renewed_in_the_background_while_in_use() -> None:
    """Credentials of a 1-minute life, 40 s later: due (half gone), still valid; the
    request gets them at once, the renewal lands behind it."""
    source = Source(timedelta(minutes=1))
    clock = Clock()
    cache = CredentialCache(source, where="s3://b/users/alice", clock=RefreshClock(clock))
    old = Creds({"KEY": "old"}, datetime.now(timezone.utc) + timedelta(minutes=1))
    cache.prime(old)
    assert await cache.fresh() is old and not source.calls
    clock.now += 40
    assert await cache.fresh() is old  # not waited for
    for _ in range(100):
        if source.calls:
            break
        await asyncio.sleep(0.05)
    assert await cache.fresh() is source.calls[0] and cache.refreshes == 1


async def test_a_failed_renewal_keeps_valid_credentials_and_an_expired_one_is_a_503() -> None:
    source = Source(timedelta(minutes=1), down=True)
    clock = Clock()
    cache = CredentialCache(source, where="s3://b/users/alice", clock=RefreshClock(clock))
    valid = Creds({"KEY": "valid"}, datetime.now(timezone.utc) + timedelta(minutes=1))
    cache.prime(valid)
    clock.now += 40  # due, still valid
    assert await cache.fresh() is valid
    await asyncio.sleep(0.3)
    assert await cache.fresh() is valid  # the failure was logged, the credentials kept

    expired = CredentialCache(source, where="s3://b/users/alice")
    expired.prime(Creds({"KEY": "gone"}, datetime.now(timezone.utc) - timedelta(seconds=1)))
    with pytest.raises(CredentialsUnavailable) as e:
        await expired.fresh()
    assert "s3://b/users/alice" in str(e.value) and "the hub is down" in str(e.value)
    source.down = False
    assert (await expired.fresh()) is source.calls[-1]  # back: the next request goes on
