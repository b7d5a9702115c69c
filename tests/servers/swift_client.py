"""How a test talks to the test Swift: the options of a tempauth store, and the requests
the real Swift logged, counted the way the store counts them."""

from __future__ import annotations

import collections
from collections.abc import Iterable
from typing import Any

from .swift import AccessEntry, SwiftServer


def tempauth_options(swift: SwiftServer, **extra: Any) -> dict[str, Any]:
    opts: dict[str, Any] = {
        "auth_url": swift.auth_url,
        "account_name": "test:tester",
        "account_key": "testing",
        "environ": {},
        "retries": 1,
    }
    opts.update(extra)
    return opts


def server_counts(swift: SwiftServer, container: str) -> dict[str, int]:
    """Requests the real Swift logged since the last mark, as the store counts them."""
    return count_entries(swift.access_log(), container)


def count_entries(entries: Iterable[AccessEntry], container: str) -> dict[str, int]:
    """Swift access-log entries counted as the store counts them (a copy is the PUT with
    X-Copy-From it is; requests outside ``container`` but auth, /info, bulk deletes: left out)."""
    counts: collections.Counter[str] = collections.Counter()
    for e in entries:
        path, _, query = e.path.partition("?")
        if path.startswith("/auth/"):
            counts["AUTH"] += 1
        elif path == "/info":
            counts["INFO"] += 1
        elif "bulk-delete" in query:
            counts["POST"] += 1
        elif f"/{container}" not in path:
            continue
        elif e.method == "GET" and path.rstrip("/").endswith(f"/{container}"):
            counts["LIST"] += 1
        else:
            counts[e.method] += 1
    return dict(counts)
