"""The real browser of the UI tests: Debian's Chromium, driven by Playwright (never
``playwright install``: scripts/test.sh installs the distribution's chromium)."""

from __future__ import annotations

import os
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def playwright() -> Any:
    """``playwright.sync_api``, or a skip saying what to install."""
    if not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
        print(f"\nSKIP: {reason}")
        pytest.skip(reason)
    return pytest.importorskip("playwright.sync_api", reason="pip install playwright")
