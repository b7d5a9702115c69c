"""A folder operation's journal names every key it touches: a folder of 100,000 is a
journal of 100,000 pairs. It is encoded a slice at a time (in a worker thread for a
large one) so writing it never holds the event loop; what is written must be the same
journal as one ``json.dumps`` would make, and read back whole."""

from __future__ import annotations

import json

import pytest

from nbshelf.contents import journal
from nbshelf.contents.journal import ENCODE_SLICE, Journal


def _journal(n: int) -> Journal:
    pairs = [(f"src/é {i}.ipynb", f'dst/"{i}"\\.ipynb') for i in range(n)]
    return journal.new_journal("rename", "src", "dst", pairs=pairs, lease_seconds=60)


@pytest.mark.parametrize("n", [0, 1, ENCODE_SLICE, ENCODE_SLICE + 1, 3 * ENCODE_SLICE + 7])
def test_a_journal_of_any_size_reads_back_whole(n: int) -> None:
    j = _journal(n)
    data = j.to_json()
    body = json.loads(data)
    assert body["pairs"] == [[s, d] for s, d in j.pairs]
    assert body["keys"] == []
    back = Journal.from_json(j.id, data)
    assert back.pairs == j.pairs
    assert (back.op, back.source, back.destination, back.owner, back.expires) == (
        j.op,
        j.source,
        j.destination,
        j.owner,
        j.expires,
    )


def test_a_delete_journal_names_its_keys() -> None:
    keys = [f"f/{i}.ipynb" for i in range(2 * ENCODE_SLICE + 3)]
    j = journal.new_journal("delete", "f", keys=keys, trash="t1", lease_seconds=60)
    body = json.loads(j.to_json())
    assert body["keys"] == keys and body["pairs"] == [] and body["trash"] == "t1"


async def test_a_large_journal_is_encoded_off_the_loop_to_the_same_bytes() -> None:
    j = _journal(2 * ENCODE_SLICE)
    assert await journal.encoded(j) == j.to_json()
