"""schemathesis against jupyter_server's own OpenAPI description of the contents API
(``jupyter_server/services/api/api.yaml``), with a real ``nbshelf serve`` behind it.

Property-based requests (hypothesis) to every contents and checkpoints operation:
no answer may be a 5xx, and the server must still answer afterwards. Bounded:
``NBSHELF_SCHEMATHESIS_EXAMPLES`` examples per operation (default 40), no deadline
per example, and the whole run stops early past ``NBSHELF_SCHEMATHESIS_SECONDS``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import jupyter_server
import pytest

from tests.servers.jupyter import NbshelfServer

from .conftest import Ledger

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402

SPEC = Path(jupyter_server.__file__).parent / "services" / "api" / "api.yaml"
EXAMPLES = int(os.environ.get("NBSHELF_SCHEMATHESIS_EXAMPLES", "40"))
BUDGET = float(os.environ.get("NBSHELF_SCHEMATHESIS_SECONDS", "90"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NbshelfServer]:
    root = tmp_path_factory.mktemp("fuzz")
    srv = NbshelfServer(root).start()
    # something to find: a notebook, a folder, a file
    srv.api(
        "PUT",
        "/api/contents/nb.ipynb",
        json={
            "type": "notebook",
            "content": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
        },
    )
    srv.api("PUT", "/api/contents/dir", json={"type": "directory"})
    srv.api("PUT", "/api/contents/a.txt", json={"type": "file", "format": "text", "content": "x"})
    yield srv
    srv.stop()


def test_contents_api_never_answers_5xx(server: NbshelfServer, ledger: Ledger) -> None:
    schema = schemathesis.openapi.from_path(str(SPEC))
    schema.config.base_url = server.url
    operations = [
        op.ok() for op in schema.get_all_operations() if op.ok().path.startswith("/api/contents")
    ]
    assert len(operations) >= 8
    started = time.monotonic()
    failures: list[str] = []
    sent = 0
    for op in operations:
        if time.monotonic() - started > BUDGET:
            break

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=op.as_strategy())
        def run(case: object) -> None:
            nonlocal sent
            if time.monotonic() - started > BUDGET:
                return
            response = case.call(headers=server.headers, timeout=30)  # type: ignore[attr-defined]
            sent += 1
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> "  # type: ignore[attr-defined]
                    f"{response.status_code}: {response.text[:200]}"
                )

        run()
    ledger.bad_input("schemathesis requests (contents API)", sent)
    assert server.api("GET", "/api/status").ok  # still up
    assert server.proc is not None and server.proc.poll() is None
    assert not failures, "\n".join(failures[:20])
    assert "] 500 " not in server.log()
