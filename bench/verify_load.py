"""Requests per second of ``POST /api/verify`` under load, against baselines from the same run.

Run: ``.venv/bin/python bench/verify_load.py [--documents N] [--duration S] [--connections C]``
(needs Debian's ``wrk``: ``apt-get install wrk``).

The verifier runs as ``microcred-verify serve --workers 2`` (uvicorn, one worker per core, each
on a listening socket of its own),
settings from the environment (``MICROCRED_ALLOW_LOCAL_HTTP=1`` so it may fetch from the
loopback issuer below; DID documents and status lists cached in memory by
:class:`verifier.cache.HttpCache`, so after the first request of each worker nothing is
fetched). A did:web issuer on 127.0.0.1 (``tests/loopback_issuer.py``) serves the DID
document, the status lists and a signed trust list naming it, with ``Cache-Control: max-age=300``;
every answer therefore includes the trust check, as in production.

Load comes from ``wrk`` (C, one process, 2 threads, keep-alive connections) with a Lua script
cycling through pre-signed request bodies. Its own CPU time is measured and reported, because
on 2 cores it competes with the server.

Rows, all from one run:

* baseline: ``GET /healthz`` of the same app (the HTTP stack's ceiling here);
* baseline: ``verify_credential`` called in one process, no HTTP server, on never-seen
  credentials, DID document and status lists cached in memory as the server caches them;
* **cold**: every request a credential the server has never seen (distinct ``id``, pre-signed),
  so the content memos of expansion and canonicalization never hit — the honest figure;
* **repeated**: one credential over and over (memo hits: a verifier asked about the same
  certificate again).
* cold again on a fresh server with ``MICROCRED_VERIFY_CONCURRENCY=40`` (as many verifications
  in worker threads at once as Starlette's thread pool runs): what the default limit of 2 gains
  when verifications must wait on the network (with everything cached they run on the event
  loop, and the setting hardly matters).

Results go to bench/results/verify_load-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from loopback_issuer import LoopbackIssuer  # noqa: E402

from verifier import HttpFetcher, verify_credential  # noqa: E402
from verifier.cache import HttpCache  # noqa: E402
from verifier.fetch import Fetcher  # noqa: E402
from verifier.memo import clear_memos  # noqa: E402
from verifier.status import StatusListSource  # noqa: E402

LUA = r"""
local bodies = {}
local position = 1
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  local share = math.floor(#bodies / tonumber(args[2]))
  position = (id - 1) * share + 1
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept-Language"] = "en"
end

function request()
  local body = bodies[position]
  position = position + 1
  if position > #bodies then position = 1 end
  return wrk.format(nil, "/api/verify", nil, body)
end

function done(summary, latency, requests)
  io.write(string.format(
    "RESULT {\"requests\": %d, \"seconds\": %.6f, \"non2xx\": %d, \"errors\": %d, " ..
    "\"p50_ms\": %.3f, \"p95_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f}\n",
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
"""

GET_LUA = r"""
function done(summary, latency, requests)
  io.write(string.format(
    "RESULT {\"requests\": %d, \"seconds\": %.6f, \"non2xx\": %d, \"errors\": %d, " ..
    "\"p50_ms\": %.3f, \"p95_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f}\n",
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the verifier did not start")


def _run_wrk(url: str, script: Path, duration: int, connections: int, args: list[str]) -> dict[str, Any]:
    """Run wrk; return its RESULT line plus the CPU seconds wrk itself used."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-s", str(script), url]
    if args:
        command += ["--", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    stdout = process.stdout.read() if process.stdout else ""
    if status != 0:
        raise RuntimeError(f"wrk failed: {stdout} {process.stderr.read() if process.stderr else ''}")
    match = re.search(r"^RESULT (\{.*\})$", stdout, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no result from wrk: {stdout}")
    result: dict[str, Any] = json.loads(match.group(1))
    result["per_second"] = result["requests"] / result["seconds"]
    result["wrk_cpu_seconds"] = usage.ru_utime + usage.ru_stime
    result["wrk_cpu_share_of_2_cores"] = result["wrk_cpu_seconds"] / (result["seconds"] * 2)
    return result


def _start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    """``microcred-verify serve`` on ``port`` with ``env``, once it accepts connections."""
    server = subprocess.Popen(
        [
            sys.executable, "-c", "from verifier.cli import main; main()", "serve",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _wait_until_up(port)
    time.sleep(2)  # let every worker import
    return server


def _server_cpu_seconds(pid: int) -> float:
    """CPU seconds of the server process tree (uvicorn's supervisor and its workers)."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        pids.append(int(child))
    for one in pids:
        fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _single_process_rate(documents: list[str], source: StatusListSource, fetch: Fetcher) -> float:
    """verify_credential calls per second in this process on never-seen documents (no HTTP)."""
    sample = documents[-200:]
    verify_credential(json.loads(sample[0]), fetch=fetch, status_lists=source, allow_loopback_http=True)
    clear_memos()  # signing them verified them in this process: they must be never-seen again
    started = time.perf_counter()
    for body in sample[1:]:
        result = verify_credential(
            json.loads(body), fetch=fetch, status_lists=source, allow_loopback_http=True
        )
        assert result.verified, result.to_json()
    return (len(sample) - 1) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=6000, help="distinct pre-signed credentials")
    parser.add_argument("--duration", type=int, default=8, help="seconds per load run")
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()

    site = LoopbackIssuer()
    print(f"signing {options.documents} distinct credentials…", file=sys.stderr)
    documents = [json.dumps(site.credential(1000 + i, learner=i)) for i in range(options.documents)]
    network = HttpFetcher(allow_loopback_http=True)
    fetch = HttpCache(network)  # as the server: DID document and status lists cached in memory
    single = _single_process_rate(documents, StatusListSource(fetch=fetch), fetch)

    env = {
        **os.environ,
        "MICROCRED_ALLOW_LOCAL_HTTP": "1",
        "MICROCRED_LANG": "en",
        "MICROCRED_TRUST_LISTS": site.trust_list_url,
        "MICROCRED_TRUST_REGISTRIES": site.registry.did_key,
        "MICROCRED_CACHE_DIR": str(Path(tempfile.mkdtemp(prefix="microcred-bench-cache-"))),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    port = _free_port()
    server = _start_server(env, port, options.workers)
    rows: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory() as folder:
            cold_bodies = Path(folder) / "cold.jsonl"
            warm_bodies = Path(folder) / "warm.jsonl"
            # The first bodies warm up each worker (contexts, DID document, status lists);
            # the cold run uses the rest, each document once.
            cold_bodies.write_text("\n".join(documents[1:-200]) + "\n")
            warm_bodies.write_text(documents[0] + "\n")
            post = Path(folder) / "post.lua"
            post.write_text(LUA)
            get = Path(folder) / "get.lua"
            get.write_text(GET_LUA)
            base = f"http://127.0.0.1:{port}"
            _run_wrk(base + "/api/verify", post, 2, options.connections, [str(warm_bodies), "2"])
            _run_wrk(base + "/healthz", get, 2, options.connections, [])
            cpu_before = _server_cpu_seconds(server.pid)
            rows["healthz"] = _run_wrk(base + "/healthz", get, options.duration, options.connections, [])
            cpu_mid = _server_cpu_seconds(server.pid)
            rows["cold"] = _run_wrk(
                base + "/api/verify", post, options.duration, options.connections, [str(cold_bodies), "2"]
            )
            cpu_cold = _server_cpu_seconds(server.pid)
            rows["repeated"] = _run_wrk(
                base + "/api/verify", post, options.duration, options.connections, [str(warm_bodies), "2"]
            )
            cpu_end = _server_cpu_seconds(server.pid)
            rows["healthz"]["server_cpu_seconds"] = cpu_mid - cpu_before
            rows["cold"]["server_cpu_seconds"] = cpu_cold - cpu_mid
            rows["repeated"]["server_cpu_seconds"] = cpu_end - cpu_cold
            if rows["cold"]["requests"] > len(documents) - 200:
                rows["cold"]["note"] = "more requests than distinct documents: some were repeats"
            server.terminate()
            server.wait(timeout=20)
            # The same never-seen load on a server that runs as many verifications at once as
            # Starlette's thread pool allows (40), as before MICROCRED_VERIFY_CONCURRENCY existed.
            # A fresh process: every document is new to it too.
            port = _free_port()
            server = _start_server({**env, "MICROCRED_VERIFY_CONCURRENCY": "40"}, port, options.workers)
            base = f"http://127.0.0.1:{port}"
            _run_wrk(base + "/api/verify", post, 2, options.connections, [str(warm_bodies), "2"])
            cpu_before = _server_cpu_seconds(server.pid)
            rows["cold_unlimited"] = _run_wrk(
                base + "/api/verify", post, options.duration, options.connections, [str(cold_bodies), "2"]
            )
            rows["cold_unlimited"]["server_cpu_seconds"] = _server_cpu_seconds(server.pid) - cpu_before
    finally:
        server.terminate()
        server.wait(timeout=20)
        network.close()
        site.stop()

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "workers": options.workers,
        "connections": options.connections,
        "duration_s": options.duration,
        "single_process_verify_per_second": single,
        **rows,
        "ratios": {
            "cold_vs_single_process": rows["cold"]["per_second"] / single,
            "cold_vs_cold_unlimited": rows["cold"]["per_second"] / rows["cold_unlimited"]["per_second"],
            "repeated_vs_single_process": rows["repeated"]["per_second"] / single,
            "cold_vs_healthz": rows["cold"]["per_second"] / rows["healthz"]["per_second"],
            "repeated_vs_healthz": rows["repeated"]["per_second"] / rows["healthz"]["per_second"],
        },
    }
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (results / f"verify_load-{stamp}.json").write_text(json.dumps(report, indent=2))

    print(f"{'run':<34}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'wrk CPU':>9}")
    for name, label in (
        ("healthz", "GET /healthz (HTTP baseline)"),
        ("cold", "POST /api/verify, never-seen docs"),
        ("repeated", "POST /api/verify, same doc"),
        ("cold_unlimited", "never-seen, 40 at once per worker"),
    ):
        row = rows[name]
        print(
            f"{label:<34}{row['per_second']:>9.0f}{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}"
            f"{row['p99_ms']:>9.1f}{row['non2xx'] + row['errors']:>9}{row['wrk_cpu_share_of_2_cores']:>8.0%}"
        )
    print(f"{'verify_credential, 1 process, no HTTP':<34}{single:>9.0f}")
    for name, value in report["ratios"].items():
        print(f"  {name}: {value:.2f}")


if __name__ == "__main__":
    main()
