"""Measuring one call: wall time, the longest event-loop stall, memory, requests."""

from __future__ import annotations

import asyncio
import collections
import gc
import inspect
import os
import threading
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

TICK = 0.001  # the ticker's sleep: a gap near 1 ms means the loop was never blocked
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


async def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a contents-manager method as jupyter_server's handlers do (``ensure_async``):
    a sync method runs right on the event loop thread."""
    result = fn(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


class RunQueueWait:
    """The calling thread's total time ready to run but not given a CPU, from the
    kernel's schedstat (0 where the kernel does not keep it)."""

    def __init__(self) -> None:
        try:
            self._fd: int | None = os.open(
                f"/proc/self/task/{threading.get_native_id()}/schedstat", os.O_RDONLY
            )
        except OSError:
            self._fd = None

    def seconds(self) -> float:
        if self._fd is None:
            return 0.0
        return int(os.pread(self._fd, 128, 0).split()[1]) / 1e9

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Ticker:
    """A coroutine that wakes every ``TICK`` s; the longest gap between two wake-ups is
    the longest time anything blocked the event loop while it ran.

    On a loaded machine a gap is also time the loop's thread was ready to run and got
    no CPU (the idle ticker alone shows gaps of 5-10 ms on two busy cores), or time
    another of this process's threads held the interpreter lock while the machine had
    no CPU for it. ``max_busy`` bounds the part of a gap the process made from above
    twice, and keeps the smaller bound: the gap less the time the loop's thread waited
    in the kernel's run queue (``/proc/self/task/<tid>/schedstat``), and the CPU time
    the whole process (every thread) used in the gap. A block the code made, whether
    the loop's thread ran a call's code, waited for the lock behind another thread
    that was running, or ran a pass of the garbage collector, is within both. Without
    schedstat the first bound is the gap itself.
    """

    def __init__(self) -> None:
        self.max_gap = 0.0
        self.max_busy = 0.0
        self._stop = False
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        waited = RunQueueWait()
        try:
            last, last_wait, last_cpu = time.perf_counter(), waited.seconds(), time.process_time()
            while not self._stop:
                await asyncio.sleep(TICK)
                now, wait, cpu = time.perf_counter(), waited.seconds(), time.process_time()
                gap = now - last
                self.max_gap = max(self.max_gap, gap)
                busy = min(gap - (wait - last_wait), cpu - last_cpu)
                self.max_busy = max(self.max_busy, min(gap, max(0.0, busy)))
                last, last_wait, last_cpu = now, wait, cpu
        finally:
            waited.close()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)  # let it take its first timestamp before the operation

    async def stop(self) -> float:
        self._stop = True
        if self._task is not None:
            await self._task
        return self.max_gap


class GcWatch:
    """The longest pass of Python's cyclic garbage collector while installed. A pass
    holds the interpreter, so every thread and the event loop wait for its whole length
    whichever thread started it: it tells a block the call's own code made from one the
    collector made (its cost grows with every object the process keeps alive).

    ``longest`` is wall time, which on a loaded machine includes time the collecting
    thread was off the CPU; ``longest_cpu`` is the CPU time the pass itself took (the
    collecting thread's own clock: a pass runs on one thread from start to end)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.longest_cpu = 0.0
        self._start = 0.0
        self._start_cpu = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start, self._start_cpu = time.perf_counter(), time.thread_time()
        else:
            self.longest = max(self.longest, time.perf_counter() - self._start)
            self.longest_cpu = max(self.longest_cpu, time.thread_time() - self._start_cpu)

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)


def rss_bytes() -> int:
    """This process's resident set size now."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:  # pragma: no cover - not Linux
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


class RssSampler:
    """Samples RSS every 2 ms in a thread; ``growth`` is the peak minus the start."""

    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.start_rss = rss_bytes()
        self.peak = self.start_rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_bytes())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def growth(self) -> int:
        return self.peak - self.start_rss


@dataclass
class Sample:
    """One measured call."""

    ms: float
    block_ms: float
    proxy: dict[str, int] | None = None
    store: dict[str, int] | None = None
    rss_growth: int | None = None
    #: the garbage collector's longest pass during the call (part of ``block_ms`` if
    #: the collector ran then)
    gc_ms: float = 0.0
    #: the collector's longest pass in CPU time (the wall figure less time off the CPU)
    gc_cpu_ms: float = 0.0
    #: the longest gap counting only the process's own time on the CPU (:class:`Ticker`)
    busy_ms: float = 0.0
    result: Any = field(default=None, repr=False)


async def measure(
    fn: Callable[[], Awaitable[Any]],
    *,
    proxy: Any = None,
    store: Any = None,
    memory: bool = False,
) -> Sample:
    """Run ``fn()`` once with the ticker (and the RSS sampler if ``memory``), counting the
    requests the proxy saw and the store counted."""
    if proxy is not None:
        proxy.reset()
    if store is not None:
        store.requests.reset()
    ticker = Ticker()
    await ticker.start()
    sampler = RssSampler() if memory else None
    if sampler is not None:
        sampler.__enter__()
    t0 = time.perf_counter()
    try:
        with GcWatch() as collector:
            result = await fn()
    finally:
        elapsed = time.perf_counter() - t0
        if sampler is not None:
            sampler.__exit__(None, None, None)
        gap = await ticker.stop()
    return Sample(
        ms=elapsed * 1000,
        block_ms=gap * 1000,
        gc_ms=collector.longest * 1000,
        gc_cpu_ms=collector.longest_cpu * 1000,
        busy_ms=ticker.max_busy * 1000,
        proxy=classify(proxy.snapshot()) if proxy is not None else None,
        store=store.requests.snapshot() if store is not None else None,
        rss_growth=sampler.growth if sampler is not None else None,
        result=result,
    )


async def python_heap_peak(fn: Callable[[], Awaitable[Any]]) -> int:
    """Peak growth of the Python heap (tracemalloc) during ``fn()``: allocations made
    outside Python's allocator (Rust, C libraries) are not seen; RSS covers those."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        await fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        if started:
            tracemalloc.stop()


def classify(records: list[Any]) -> dict[str, int]:
    """Requests as the server saw them, by operation: S3 or Swift requests named like the
    store counter (GET, HEAD, PUT, COPY, LIST, DELETE, POST, AUTH)."""
    counts: collections.Counter[str] = collections.Counter()
    for r in records:
        counts[_kind(r)] += 1
    return dict(counts)


def _kind(r: Any) -> str:
    path = r.path
    if path.startswith("/auth/"):
        return "AUTH"
    if path == "/info":  # Swift's capabilities (which middlewares, bulk delete limits)
        return "INFO"
    if path.startswith("/v1/"):  # Swift's native API: /v1/AUTH_x/container/object
        parts = path.split("/", 4)
        has_obj = len(parts) > 4 and parts[4] != ""
        if r.method == "GET" and not has_obj:
            return "LIST"
        if r.method == "PUT" and "x-copy-from" in r.headers:
            return "COPY"
        if "bulk-delete" in r.query:
            return "BULK-DELETE"
        return str(r.method)
    has_key = path.strip("/").count("/") >= 1  # S3 path style: /bucket/key
    if r.method == "GET":
        return "GET" if has_key and "list-type" not in r.query else "LIST"
    if r.method == "PUT":
        return "COPY" if "x-amz-copy-source" in r.headers else "PUT"
    if r.method == "POST":
        return "DELETE-MANY" if "delete" in r.query else "POST"
    return str(r.method)
