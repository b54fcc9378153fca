"""At most a few verifications at a time in one server process; the other requests wait their turn.

Verifying is CPU work in Python (JSON-LD expansion, RDFC-1.0) under one interpreter lock, so
running many at once in one process answers none of them sooner: each takes longer, every one
holds its expanded document and N-Quads in memory, and a burst of requests becomes a burst of
half-finished work. Measured in one process, eight at once cost up to about twice the CPU each
of one at a time; under ``bench/verify_load.py`` a limit of 2 instead of Starlette's 40 threads
answered about 5 % more requests per second (``bench/README.md``). A request waiting for a slot
holds no thread: it waits in the event loop.

More than one slot, because a verification may wait on the network (a DID document or status
list not yet cached, within the fetcher's time limit), and one slow origin should not stop every
other verification of the process. ``MICROCRED_VERIFY_CONCURRENCY`` sets the number.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")


class VerificationSlots:
    """``total`` slots per process for running a blocking function in a worker thread."""

    def __init__(self, total: int) -> None:
        if total < 1:
            raise ValueError("at least one verification slot is needed")
        self.total = total
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
        """``function(*args)`` in a worker thread once a slot is free."""
        return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter())
