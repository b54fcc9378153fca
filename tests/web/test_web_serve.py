"""``microcred-verify serve``: the real server, two workers, keep-alive without Nagle stalls."""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_with_two_workers_answers_keep_alive_requests_without_delay() -> None:
    """uvicorn's --workers listener loses TCP_NODELAY (~40 ms per keep-alive request); ours does not."""
    port = _free_port()
    env = {**os.environ, "MICROCRED_VERIFY_OFFLINE": "1", "MICROCRED_LANG": "en"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from verifier.cli import main; main()",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("GET", "/healthz")
                assert connection.getresponse().read() == b'{"status":"ok"}'
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        timings = []
        for _ in range(25):
            started = time.perf_counter()
            connection.request("GET", "/verify?lang=en")
            response = connection.getresponse()
            assert response.status == 200
            assert "Verify a micro-major certificate" in response.read().decode()
            timings.append(time.perf_counter() - started)
        connection.close()
        assert statistics.median(timings) < 0.03, timings
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serve_help() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", "from verifier.cli import main; main()", "serve", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0
    assert "--workers" in completed.stdout
