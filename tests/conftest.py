"""Fixtures shared by every test folder: the repository root on sys.path so that
``tests.servers`` (the real servers the suite starts) imports however pytest runs."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
