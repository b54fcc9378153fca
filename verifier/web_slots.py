"""Where a verification runs in a server process: on the event loop when it cannot block, else
in one of a few worker threads.

Verifying is CPU work in Python (JSON-LD expansion, RDFC-1.0) under one interpreter lock. When
every document it needs (DID document, status lists, trust lists) is fresh in the cache, it
cannot block, so it runs right on the event loop inside :func:`verifier.cache.cache_only`:
no thread hand-off, no lock contention between the loop and a worker. Measured under
``bench/verify_load.py``, that is about a fifth less CPU per request and a third lower p95
latency than the worker thread (``bench/README.md``). Should it need a request after all, the
cache raises :class:`~verifier.cache.NetworkNeeded` before any I/O and the verification runs
again in a worker thread (the expansion and canonicalization it already did are memoized).

At most ``total`` verifications run in worker threads at once: running many at once in one
process answers none of them sooner (each takes longer, each holds its expanded document and
N-Quads in memory). Measured in one process, eight at once cost up to about twice the CPU
each of one at a time; under ``bench/verify_load.py`` a limit of 2 instead of Starlette's 40
threads answered about 5 % more requests per second. A request waiting for a slot holds no
thread: it waits in the event loop. More than one slot, because a verification may wait on
the network (within the fetcher's time limit), and one slow origin should not stop every other
verification of the process. ``MICROCRED_VERIFY_CONCURRENCY`` sets the number.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

from .cache import NetworkNeeded, cache_only

T = TypeVar("T")


class VerificationSlots:
    """``total`` worker-thread slots per process; ``inline``: first try on the event loop."""

    def __init__(self, total: int, *, inline: bool = True) -> None:
        if total < 1:
            raise ValueError("at least one verification slot is needed")
        self.total = total
        self.inline = inline
        # An anyio limiter belongs to one event loop; a server has one, a test suite many.
        self._limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
            weakref.WeakKeyDictionary()
        )

    def _limiter(self) -> anyio.CapacityLimiter:
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = anyio.CapacityLimiter(self.total)
        return limiter

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)``: here if it needs no request, else in a worker thread once a slot is free."""
        if self.inline:
            try:
                with cache_only():
                    return function(*args)
            except NetworkNeeded:
                pass  # nothing was requested yet: run it again where it may wait
        return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter())
