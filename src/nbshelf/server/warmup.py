"""What the first requests would otherwise do on the event loop, done as the server starts.

- The store is opened and its worker threads started (Swift's blocking client runs in
  them): a thread started by a request holds the event loop until it runs, which under
  load is milliseconds each (the first folder rename on Swift held it 135 ms).
- asyncio's default executor (``asyncio.to_thread``: notebooks parsed and serialised,
  bodies hashed) is made and its threads started, for the same reason.
- Everything loaded so far is frozen out of the cyclic garbage collector
  (``gc.freeze``): a full collection otherwise walks every object of the server (about
  180,000 after start-up: 100 ms on a loaded 2-core machine, on the event loop), and a
  large folder listing allocates enough to trigger several. Frozen objects are never
  collected, which costs nothing for what lives as long as the server (modules,
  configuration); what requests make later is collected as before.
- The interpreter's thread switch interval goes from 5 ms to 1 ms: a worker thread
  running Python (a notebook parsed, serialised or validated) keeps the GIL until the
  interval is up whenever the event loop asks for it, so the interval is the loop's
  longest wait behind any worker. A value the user set (not Python's default) is kept.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..contents import ShelfContentsManager
from ..stores import StoreError
from ..stores.base import start_threads


def _default_executor() -> None:
    """The loop's default executor, made now with asyncio's own size and started."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        loop = asyncio.get_event_loop_policy().get_event_loop()
    if loop.is_running():  # started inside a running server: too late to replace it
        return
    workers = min(32, (os.cpu_count() or 1) + 4)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asyncio")
    start_threads(pool, workers)
    loop.set_default_executor(pool)


#: The thread switch interval of a server (Python's default is 0.005 s).
SWITCH_INTERVAL = 0.001
_PYTHON_DEFAULT_INTERVAL = 0.005


def tune_interpreter() -> None:
    """What the server changes in the interpreter once it has started: everything loaded
    so far frozen out of the garbage collector, the switch interval down to
    :data:`SWITCH_INTERVAL` unless set otherwise already. The benchmark process calls it
    too, for every system it measures."""
    if abs(sys.getswitchinterval() - _PYTHON_DEFAULT_INTERVAL) < 1e-9:
        sys.setswitchinterval(SWITCH_INTERVAL)
    gc.collect()
    gc.freeze()


def warm(serverapp: Any, cm: ShelfContentsManager) -> None:
    """Open ``cm``'s store and start the threads requests would start; freeze what is
    loaded out of the garbage collector. A store that cannot be opened is left for the
    first request to report, as before."""
    try:
        cm.store.start_threads()
    except StoreError as e:
        serverapp.log.warning("nbshelf: the store is not open yet (%s)", e)
    except Exception as e:  # a start-up nicety: never a reason not to start
        serverapp.log.warning("nbshelf: store threads not started (%s)", type(e).__name__)
    try:
        _default_executor()
    except RuntimeError as e:  # no event loop can be made in this thread
        serverapp.log.debug("nbshelf: default executor left to asyncio (%s)", e)
    tune_interpreter()


__all__ = ["SWITCH_INTERVAL", "tune_interpreter", "warm"]
