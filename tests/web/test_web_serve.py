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


def _start(port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MICROCRED_VERIFY_OFFLINE": "1", "MICROCRED_LANG": "en"}
    command = [sys.executable, "-c", "from verifier.cli import main; main()", "serve"]
    return subprocess.Popen(
        [*command, "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _listening_sockets(port: int) -> int:
    """Sockets in state LISTEN on ``port`` (IPv4), from the kernel's own table."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":
            count += 1
    return count


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def test_each_worker_listens_on_a_socket_of_its_own_and_stops_with_the_server() -> None:
    """SO_REUSEPORT: the kernel spreads connections over the workers, so a few keep-alive
    clients cannot all land on one worker while the other idles (verifier/web_workers.py)."""
    port = _free_port()
    server = _start(port, 3)
    try:
        deadline = time.monotonic() + 60
        while _listening_sockets(port) < 3:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        workers = _children(server.pid)
        assert len(workers) >= 3
        answered = 0
        for _ in range(12):  # new connections, each answered by whichever worker the kernel picks
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/healthz")
            answered += connection.getresponse().status == 200
            connection.close()
        assert answered == 12
    finally:
        server.terminate()
        server.wait(timeout=60)
        if server.stderr:
            server.stderr.close()
    deadline = time.monotonic() + 10  # multiprocessing's resource tracker leaves a moment later
    while [pid for pid in workers if Path(f"/proc/{pid}").exists()]:
        assert time.monotonic() < deadline, "a worker outlived the server"
        time.sleep(0.2)
    assert _listening_sockets(port) == 0


def test_a_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = _start(taken.getsockname()[1], 2)
        _, errors = server.communicate(timeout=60)
    assert server.returncode == 1
    text = errors.decode()
    assert "Cannot listen on 127.0.0.1" in text
    assert "Traceback" not in text


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


def _wait_listening(server: subprocess.Popen[bytes], port: int, count: int) -> None:
    deadline = time.monotonic() + 60
    while _listening_sockets(port) < count:
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.2)


def test_a_second_server_on_the_same_port_is_refused_not_silently_sharing_it() -> None:
    """Both would join one SO_REUSEPORT group and the kernel would split clients between them."""
    port = _free_port()
    first = _start(port, 2)
    try:
        _wait_listening(first, port, 2)
        second = _start(port, 2)
        _, errors = second.communicate(timeout=60)
        assert second.returncode == 1
        assert "Cannot listen on 127.0.0.1" in errors.decode()
        assert _listening_sockets(port) == 2
    finally:
        first.terminate()
        first.wait(timeout=60)
        if first.stderr:
            first.stderr.close()


def test_workers_stop_when_the_supervisor_is_killed() -> None:
    """kill -9 on the supervisor: the kernel tells each worker (PR_SET_PDEATHSIG), no orphan
    keeps answering on the port."""
    port = _free_port()
    server = _start(port, 2)
    try:
        _wait_listening(server, port, 2)
        workers = [pid for pid in _children(server.pid) if _listening_on(pid, port)]
        assert len(workers) == 2
        server.kill()
        server.wait(timeout=30)
        deadline = time.monotonic() + 30
        while [pid for pid in workers if _alive(pid)] or _listening_sockets(port):
            assert time.monotonic() < deadline, "a worker outlived its supervisor"
            time.sleep(0.2)
    finally:
        if server.stderr:
            server.stderr.close()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _listening_on(pid: int, port: int) -> bool:
    """Whether process ``pid`` holds a socket listening on ``port`` (IPv4)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":
            inodes.add(fields[9])
    try:
        links = [os.readlink(entry) for entry in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:
        return False
    return any(link == f"socket:[{inode}]" for link in links for inode in inodes)
