"""``ObjectStore.get_range`` on every backend: what shelf:// streams large files with."""

from __future__ import annotations

from typing import Any

import pytest

from nbshelf.stores import NotFound


async def test_get_range_reads_pieces_and_stops_at_the_end(store: Any) -> None:
    data = bytes(range(256)) * 40  # 10240 bytes
    await store.put("d/blob.bin", data)
    store.requests.reset()
    assert await store.get_range("d/blob.bin", 0, 100) == data[:100]
    assert await store.get_range("d/blob.bin", 5000, 9000) == data[5000:9000]
    assert await store.get_range("d/blob.bin", 10000, 20000) == data[10000:]  # short at the end
    assert await store.get_range("d/blob.bin", 7, 7) == b""  # no request at all
    assert store.requests["GET"] == 3
    with pytest.raises(NotFound):
        await store.get_range("d/missing.bin", 0, 10)
