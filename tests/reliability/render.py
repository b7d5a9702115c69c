"""Render the ledger the reliability tests wrote (build/reliability/ledger.json) as the
Markdown table of docs/reliability.md.

    .venv/bin/python -m pytest tests/reliability
    .venv/bin/python tests/reliability/render.py               # build/reliability/table.md
    .venv/bin/python tests/reliability/render.py --write-docs  # also docs/reliability.md

A test run (``scripts/test.sh``) renders only under build/, so it never changes a tracked
file; ``--write-docs`` (``scripts/render-docs.sh``) is the explicit step that puts the table
into docs/reliability.md, between its ``<!-- ledger -->`` markers. Either way the exit status
is 1 if any byte was lost. Nothing in the table is typed by hand: every figure is a count the
tests made.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "reliability"
LEDGER = OUT / "ledger.json"
TABLE = OUT / "table.md"
DOC = ROOT / "docs" / "reliability.md"
START, END = "<!-- ledger -->", "<!-- /ledger -->"
TITLES = {
    "faults": "Faults injected",
    "bad_inputs": "Bad inputs tried",
    "saves": "Saves attempted",
    "conflicts_detected": "Concurrent edits detected",
    "recoveries": "Interrupted operations recovered",
    "races": "Races run (each round asserts what must never happen)",
    "bytes_lost": "Bytes lost (must be 0)",
    "server_errors": "5xx answers to bad or hostile input (must be 0)",
    "shared_links_opened": "Shared links opened anonymously",
    "browser_opened": "Hostile links opened in Chromium",
    "scripts_ran": "Scripts that ran in a shared page (must be 0)",
}
#: Categories whose every count must be 0: render.py exits 1 otherwise.
MUST_BE_ZERO = ("bytes_lost", "server_errors", "scripts_ran")


def render(ledger: dict[str, dict[str, int]]) -> str:
    lines = ["| what | kind | count |", "|---|---|---:|"]
    for cat, title in TITLES.items():
        kinds = ledger.get(cat, {})
        for kind, n in sorted(kinds.items()):
            lines.append(f"| {title} | {kind} | {n} |")
        lines.append(f"| **{title}** | **total** | **{sum(kinds.values())}** |")
    return "\n".join(lines)


def with_table(doc: str, table: str) -> str:
    """``doc`` with the text between the ledger markers replaced by ``table``."""
    head, found, rest = doc.partition(START)
    _, found_end, tail = rest.partition(END)
    if not (found and found_end):
        raise ValueError(f"{DOC.relative_to(ROOT)} has no {START} ... {END} markers")
    return f"{head}{START}\n{table}\n{END}{tail}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ledger", type=Path, default=LEDGER, help=f"(default: {LEDGER})")
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help=f"also put the table into {DOC.relative_to(ROOT)} (a tracked file)",
    )
    args = parser.parse_args(argv)
    try:
        ledger = json.loads(args.ledger.read_text())
    except FileNotFoundError:
        print(
            f"render.py: no ledger at {args.ledger}: run the reliability tests first"
            " (.venv/bin/python -m pytest tests/reliability, or ./scripts/test.sh)",
            file=sys.stderr,
        )
        return 2
    lost = sum(ledger.get("bytes_lost", {}).values())
    table = render(ledger)
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text(table + "\n")
    print(table)
    print(f"\n(written to {TABLE.relative_to(ROOT)})", file=sys.stderr)
    if args.write_docs:
        doc = DOC.read_text()
        new = with_table(doc, table)
        if new != doc:
            DOC.write_text(new)
            print(f"(updated {DOC.relative_to(ROOT)})", file=sys.stderr)
        else:
            print(f"({DOC.relative_to(ROOT)} already shows this run)", file=sys.stderr)
    if lost:
        print(f"\n{lost} bytes lost", file=sys.stderr)
        return 1
    bad = {c: sum(ledger.get(c, {}).values()) for c in MUST_BE_ZERO}
    if any(bad.values()):
        print(f"\nmust be 0: {bad}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
