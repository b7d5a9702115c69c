"""Render the ledger the reliability tests wrote (build/reliability/ledger.json) as the
Markdown table of docs/reliability.md, between its ``<!-- ledger -->`` markers.

    .venv/bin/python -m pytest tests/reliability
    .venv/bin/python tests/reliability/render.py [--check]

Nothing in the table is typed by hand: every figure is a count the tests made.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LEDGER = ROOT / "build" / "reliability" / "ledger.json"
DOC = ROOT / "docs" / "reliability.md"
START, END = "<!-- ledger -->", "<!-- /ledger -->"
TITLES = {
    "faults": "Faults injected",
    "bad_inputs": "Bad inputs tried",
    "saves": "Saves attempted",
    "conflicts_detected": "Concurrent edits detected",
    "recoveries": "Interrupted operations recovered",
    "bytes_lost": "Bytes lost (must be 0)",
}


def render(ledger: dict[str, dict[str, int]]) -> str:
    lines = ["| what | kind | count |", "|---|---|---:|"]
    for cat, title in TITLES.items():
        kinds = ledger.get(cat, {})
        for kind, n in sorted(kinds.items()):
            lines.append(f"| {title} | {kind} | {n} |")
        lines.append(f"| **{title}** | **total** | **{sum(kinds.values())}** |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    ledger = json.loads(LEDGER.read_text())
    lost = sum(ledger.get("bytes_lost", {}).values())
    table = render(ledger)
    doc = DOC.read_text()
    head, _, rest = doc.partition(START)
    _, _, tail = rest.partition(END)
    DOC.write_text(f"{head}{START}\n{table}\n{END}{tail}")
    print(table)
    if lost:
        print(f"\n{lost} bytes lost", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
