"""Several server processes on one port, each accepting on a listening socket of its own.

uvicorn's ``--workers`` hands every worker the same listening socket, and whichever worker's
event loop wakes first accepts every connection then waiting (asyncio accepts up to the backlog
in one go). Clients that keep a few connections open — a load balancer, an HR system checking
a batch, ``wrk`` — often all land on one worker while the other idles: under
``bench/verify_load.py`` runs alternated between two busy cores and one. Here each worker binds
its own socket with ``SO_REUSEPORT`` and the kernel spreads new connections across them by
address hash, whatever each worker is doing.

The supervisor starts the workers (``spawn``: nothing inherited but the arguments), restarts
one that dies, and stops them all on ``SIGINT``/``SIGTERM``. A worker that dies within
:data:`STARTUP_GRACE` seconds of starting stops the whole server: its error would only repeat.
On Linux a worker also stops when the supervisor dies without stopping it (``kill -9``): the
kernel sends it ``SIGTERM`` (``PR_SET_PDEATHSIG``), so no orphan keeps serving the port. The
port is checked before any worker starts with an ordinary socket, which fails even when another
server's ``SO_REUSEPORT`` group holds the port (two servers would otherwise share it silently).
Without ``SO_REUSEPORT`` (not Linux) several workers are refused with a message.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

import uvicorn

logger = logging.getLogger("uvicorn.error")

#: A worker dying sooner than this after it started is a start-up failure, not a crash.
STARTUP_GRACE = 10.0
_POLL_SECONDS = 0.5
_STOP_SECONDS = 30.0


def tcp_listener(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A bound TCP socket that says it is TCP (``proto=IPPROTO_TCP``).

    uvicorn's own ``bind_socket`` leaves ``proto`` at 0; accepted connections inherit it, and
    asyncio then never sets ``TCP_NODELAY``, so every keep-alive request after the first waits
    ~40 ms for a delayed ACK (uvicorn issue #3149, open as of 0.54).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind((host, port))
    return listener


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _stop_with_parent(parent: int) -> None:
    """Linux: have the kernel send this process SIGTERM when the supervisor dies."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: the supervisor's own shutdown still stops us
        return
    if os.getppid() != parent:  # it died before the request took effect
        raise SystemExit(0)


def _worker(config: dict[str, Any], host: str, port: int, parent: int) -> None:
    """One worker process: its own socket in the port's ``SO_REUSEPORT`` group, one server."""
    _stop_with_parent(parent)
    uvicorn.Server(uvicorn.Config(**config)).run(sockets=[tcp_listener(host, port, reuse_port=True)])


def serve_workers(config: dict[str, Any], host: str, port: int, workers: int) -> None:
    """Run ``workers`` processes of ``uvicorn.Config(**config)`` on ``host:port`` until stopped."""
    uvicorn.Config(**config)  # sets up uvicorn's logging in this process too
    if not hasattr(socket, "SO_REUSEPORT"):
        logger.error("Several workers need SO_REUSEPORT, which this system lacks: run one worker.")
        raise SystemExit(1)
    # Fail here, clearly, if the port is taken, even by another server's SO_REUSEPORT group (the
    # probe does not join it); the probe is closed at once, so no connection is ever queued on a
    # socket nobody accepts from.
    try:
        tcp_listener(host, port).close()
    except OSError as exc:
        logger.error("Cannot listen on %s:%s: %s", host, port, exc.strerror or exc)
        raise SystemExit(1) from None
    context = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def start() -> tuple[BaseProcess, float]:
        process = context.Process(target=_worker, args=(config, host, port, os.getpid()), daemon=False)
        process.start()
        return process, time.monotonic()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    running: list[tuple[BaseProcess, float]] = []
    failed = False
    try:
        for _ in range(workers):  # inside the try: a worker that cannot start stops those started
            running.append(start())
        while not stopping.wait(_POLL_SECONDS):
            for index, (process, started) in enumerate(running):
                if process.is_alive():
                    continue
                if time.monotonic() - started < STARTUP_GRACE:
                    logger.error("A worker stopped while starting (exit code %s).", process.exitcode)
                    failed = True
                    stopping.set()
                    break
                logger.warning("A worker stopped (exit code %s); starting another.", process.exitcode)
                running[index] = start()
    finally:
        for process, _ in running:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + _STOP_SECONDS
        for process, _ in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failed:
        raise SystemExit(1)
