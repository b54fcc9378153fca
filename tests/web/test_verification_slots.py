"""MICROCRED_VERIFY_CONCURRENCY: at most N verifications at once per process, the rest wait."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifier.cache import require_network
from verifier.cli import serve_command
from verifier.web_config import DEFAULT_CONCURRENCY, VerifierConfig
from verifier.web_slots import VerificationSlots


def _peak_concurrency(slots: VerificationSlots, requests: int) -> tuple[int, list[int]]:
    running = peak = 0
    lock = threading.Lock()

    def work(number: int) -> int:
        nonlocal running, peak
        require_network("https://example.org/slow")  # this one waits on the network: threads
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return number

    async def main() -> list[int]:
        return list(await asyncio.gather(*(slots.run(work, n) for n in range(requests))))

    # A fresh event loop in its own thread: the test process may already run one (Playwright's).
    with ThreadPoolExecutor(1) as runner:
        results = runner.submit(asyncio.run, main()).result()
    return peak, results


@pytest.mark.parametrize("total", [1, 2, 3])
def test_no_more_than_the_slots_run_at_once_and_every_request_is_answered(total: int) -> None:
    peak, results = _peak_concurrency(VerificationSlots(total), 8)
    assert peak == total
    assert results == list(range(8))


def test_slots_work_across_event_loops() -> None:
    slots = VerificationSlots(2)
    assert _peak_concurrency(slots, 4)[0] == 2
    assert _peak_concurrency(slots, 4)[0] == 2  # a second loop (as in a test suite) gets its own limiter


def _threads_used(slots: VerificationSlots, needs_network: bool) -> tuple[int, list[str], list[int]]:
    """(the event loop's thread, the thread of every attempt, the results)."""
    attempts: list[str] = []

    def verify(number: int) -> int:
        attempts.append(threading.current_thread().name)
        if needs_network:
            require_network("https://example.org/status/1")
        return number * 2

    async def main() -> tuple[int, list[int]]:
        results = [await slots.run(verify, n) for n in range(3)]
        return threading.get_ident(), results

    with ThreadPoolExecutor(1, thread_name_prefix="loop") as runner:
        loop_thread, results = runner.submit(asyncio.run, main()).result()
    return loop_thread, attempts, results


def test_a_verification_that_needs_no_request_runs_on_the_event_loop() -> None:
    _, attempts, results = _threads_used(VerificationSlots(2), needs_network=False)
    assert results == [0, 2, 4]
    assert all(name.startswith("loop") for name in attempts)


def test_one_that_needs_a_request_is_run_again_in_a_worker_thread() -> None:
    _, attempts, results = _threads_used(VerificationSlots(2), needs_network=True)
    assert results == [0, 2, 4]
    # Each: one attempt on the loop, abandoned before any request, then one in a worker.
    assert [name.startswith("loop") for name in attempts] == [True, False] * 3


def test_a_service_reading_its_own_database_never_verifies_on_the_loop() -> None:
    _, attempts, _ = _threads_used(VerificationSlots(2, inline=False), needs_network=False)
    assert attempts
    assert not any(name.startswith("loop") for name in attempts)


def test_zero_slots_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        VerificationSlots(0)


def test_setting_from_the_environment(tmp_path: Path) -> None:
    home = {"HOME": str(tmp_path), "MICROCRED_VERIFY_OFFLINE": "1"}
    assert VerifierConfig.from_env(home).concurrency == DEFAULT_CONCURRENCY == 2
    assert VerifierConfig.from_env({**home, "MICROCRED_VERIFY_CONCURRENCY": " 6 "}).concurrency == 6
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(ValueError, match="MICROCRED_VERIFY_CONCURRENCY must be a positive whole number"):
            VerifierConfig.from_env({**home, "MICROCRED_VERIFY_CONCURRENCY": bad})


def test_serve_refuses_a_bad_setting_with_a_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        serve_command,
        ["--port", "1"],
        env={"HOME": str(tmp_path), "MICROCRED_VERIFY_CONCURRENCY": "none"},
    )
    assert result.exit_code == 2
    assert "MICROCRED_VERIFY_CONCURRENCY must be a positive whole number" in result.output
    assert "Traceback" not in result.output
