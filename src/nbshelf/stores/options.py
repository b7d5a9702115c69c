"""Typed store options, read once from the ``**options`` a store is opened with.

Options come as strings (command line, ``NBSHELF_*``), numbers or booleans (a Jupyter
config's ``store_options`` dict). Each backend reads its own into a dataclass
(:class:`CommonOptions` plus its own: ``LocalOptions``, ``SwiftOptions``,
``S3Options`` ...) through an :class:`OptionReader`, which converts each value to the
field's type and, at the end, refuses any option nobody asked for, naming the valid
ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .base import RetryPolicy
from .errors import StoreError

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


class OptionReader:
    """Takes typed options out of a mapping; remembers every name it was asked for."""

    def __init__(self, backend: str, options: Mapping[str, Any]) -> None:
        self.backend = backend
        self._left = dict(options)
        self._known: dict[str, None] = {}

    # ------------------------------------------------------------ taking options
    def raw(self, *names: str) -> Any:
        """The first of ``names`` given with a value (None and "" count as not given);
        every one of them is taken out."""
        found: Any = None
        for name in names:
            self._known.setdefault(name, None)
            value = self._left.pop(name, None)
            if found is None and value is not None and value != "":
                found = value
        return found

    def text(self, *names: str, default: str | None = None) -> str | None:
        value = self.raw(*names)
        return default if value is None else str(value)

    def integer(self, name: str, default: int) -> int:
        value = self.raw(name)
        if value is None:
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise self._bad(name, value, "a whole number") from None

    def number(self, name: str, default: float) -> float:
        value = self.raw(name)
        if value is None:
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise self._bad(name, value, "a number") from None

    def flag(self, name: str, default: bool | None) -> bool | None:
        value = self.raw(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise self._bad(name, value, "true or false")

    def function(self, name: str, what: str = "a callable") -> Any:
        """A callable option (a credential source, a link signer), or None; anything
        else is an error naming ``what`` it must be (its value is never shown: it may
        hold secrets)."""
        value = self.raw(name)
        if value is not None and not callable(value):
            raise StoreError(
                f"the {self.backend} store option {name} must be {what}, not {type(value).__name__}"
            )
        return value

    def _bad(self, name: str, value: Any, kind: str) -> StoreError:
        return StoreError(f"the {self.backend} store option {name}={value!r} must be {kind}")

    # ------------------------------------------------------------ what is left
    @property
    def known(self) -> list[str]:
        return sorted(self._known)

    def rest(self) -> dict[str, Any]:
        """The options nobody asked for (handed on to a client library that checks them)."""
        left, self._left = self._left, {}
        return left

    def finish(self) -> None:
        """Refuse options nobody asked for, naming the valid ones."""
        if self._left:
            names = ", ".join(repr(k) for k in sorted(self._left))
            plural = "s" if len(self._left) > 1 else ""
            raise StoreError(
                f"unknown {self.backend} store option{plural} {names}: "
                f"the valid ones are {', '.join(self.known)}"
            )


@dataclass(frozen=True)
class CommonOptions:
    """What every store takes: its paging, its concurrency and how it retries."""

    page_size: int = 1000
    #: Requests at once in a folder operation (and Swift's worker threads): 100 copies
    #: go in two rounds; bounded so as not to open hundreds of connections or be
    #: throttled by the server (S3's 503 SlowDown, Swift's rate limits).
    max_concurrency: int = 64
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def read(cls, r: OptionReader, *, max_concurrency: int = 64, retries: int = 2) -> CommonOptions:
        """``page_size``, ``max_concurrency``, ``retries``, ``retry_backoff``,
        ``retry_max_backoff``, ``deadline``, ``deadline_min_rate``."""
        base = RetryPolicy(retries=retries)
        retry = RetryPolicy(
            retries=r.integer("retries", base.retries),
            backoff=r.number("retry_backoff", base.backoff),
            max_backoff=r.number("retry_max_backoff", base.max_backoff),
            deadline=r.number("deadline", base.deadline),
            min_rate=r.integer("deadline_min_rate", base.min_rate),
        )
        return cls(
            page_size=r.integer("page_size", 1000),
            max_concurrency=r.integer("max_concurrency", max_concurrency),
            retry=retry,
        )

    def store_kwargs(self, prefix: str) -> dict[str, Any]:
        """The keywords of :class:`ObjectStore`'s constructor."""
        return {
            "prefix": prefix,
            "page_size": self.page_size,
            "max_concurrency": self.max_concurrency,
            "retry": self.retry,
        }
