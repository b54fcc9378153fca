"""The HTTP cache: fresh, stale, 304, origin down, offline, no-store, size caps, restarts, processes.

Real HTTP round trips against a plain-HTTP site on 127.0.0.1 (the fetcher allows plain HTTP
only to loopback, and only when told to); time comes from a fake clock.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import NOW, REPO, STATUS_URL, golden_signed, status_list
from http_site import Answer, Site

from verifier.cache import (
    CacheEntry,
    DiskStore,
    HttpCache,
    MemoryStore,
    NetworkNeeded,
    cache_control,
    cache_only,
    cache_policy,
)
from verifier.configured import ConfiguredVerifier, VerifierSettings
from verifier.fetch import FetchError, FetchResponse, HttpFetcher
from verifier.i18n import t
from verifier.status import StatusListSource
from verifier.verify import verify_credential

ACCEPT = "application/json"


class Clock:
    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def site() -> Iterator[Site]:
    running = Site()
    yield running
    running.stop()


@pytest.fixture
def fetcher() -> Iterator[HttpFetcher]:
    network = HttpFetcher(allow_loopback_http=True, timeout=2.0)
    yield network
    network.close()


def _cache(fetch: Any, directory: Path | None, clock: Clock, **kwargs: Any) -> HttpCache:
    return HttpCache(fetch, directory=directory, clock=clock, **kwargs)


def test_a_fresh_entry_is_served_without_a_request(site: Site, fetcher: HttpFetcher, tmp_path: Path) -> None:
    site.put("/did.json", {"id": "x"}, Cache_Control="max-age=300", ETag='"v1"')
    clock = Clock()
    cache = _cache(fetcher, tmp_path, clock)
    first = cache(site.url("/did.json"), accept=ACCEPT)
    clock.advance(seconds=299)
    second = cache(site.url("/did.json"), accept=ACCEPT)
    assert json.loads(second.content) == {"id": "x"}
    assert len(site.hits("/did.json")) == 1
    assert first.fetched_at == second.fetched_at == NOW
    assert not second.stale
    assert second.note is None


def test_a_stale_entry_is_revalidated_and_a_304_refreshes_it(
    site: Site, fetcher: HttpFetcher, tmp_path: Path
) -> None:
    body = json.dumps({"id": "x"}).encode()

    def answer(headers: dict[str, str]) -> Answer:
        if headers.get("if-none-match") == '"v1"':
            return Answer(status=304, headers={"ETag": '"v1"', "Cache-Control": "max-age=60"})
        return Answer(body, 200, {"ETag": '"v1"', "Cache-Control": "max-age=60"})

    site.route("/list", answer)
    clock = Clock()
    cache = _cache(fetcher, tmp_path, clock)
    cache(site.url("/list"), accept=ACCEPT)
    clock.advance(seconds=61)
    refreshed = cache(site.url("/list"), accept=ACCEPT)
    assert refreshed.content == body
    assert refreshed.fetched_at == NOW + timedelta(seconds=61)
    assert not refreshed.stale
    hits = site.hits("/list")
    assert len(hits) == 2
    assert "if-none-match" not in hits[0]
    assert hits[1]["if-none-match"] == '"v1"'
    clock.advance(seconds=30)  # fresh again after the 304: no third request
    cache(site.url("/list"), accept=ACCEPT)
    assert len(site.hits("/list")) == 2


def test_last_modified_is_sent_as_if_modified_since_and_a_new_body_replaces_the_old(
    site: Site, fetcher: HttpFetcher, tmp_path: Path
) -> None:
    modified = "Mon, 01 Sep 2025 00:00:00 GMT"
    site.put("/list", {"v": 1}, Last_Modified=modified, Cache_Control="no-cache")
    clock = Clock()
    cache = _cache(fetcher, tmp_path, clock)
    cache(site.url("/list"), accept=ACCEPT)
    site.put("/list", {"v": 2}, Cache_Control="no-cache")
    second = cache(site.url("/list"), accept=ACCEPT)
    assert json.loads(second.content) == {"v": 2}
    assert site.hits("/list")[1]["if-modified-since"] == modified


@pytest.mark.parametrize("failure", ["error", "refused"])
def test_origin_down_serves_the_stale_copy_saying_so(
    fetcher: HttpFetcher, tmp_path: Path, failure: str
) -> None:
    site = Site()
    site.put("/status/1", {"v": 1}, Cache_Control="max-age=300", ETag='"a"')
    clock = Clock()
    cache = _cache(fetcher, tmp_path, clock)
    url = site.url("/status/1")
    cache(url, accept=ACCEPT)
    clock.advance(hours=3)
    if failure == "error":
        site.route("/status/1", Answer(status=503))
    else:
        site.stop()
    served = cache(url, accept=ACCEPT)
    if failure == "error":
        site.stop()
    assert json.loads(served.content) == {"v": 1}
    assert served.stale
    assert served.fetched_at == NOW
    assert served.note is not None
    assert "did not answer" in served.note.render("en")
    assert "服务器未响应" in served.note.render("zh")


def test_origin_down_with_nothing_cached_is_an_error(
    site: Site, fetcher: HttpFetcher, tmp_path: Path
) -> None:
    site.route("/x", Answer(status=500))
    with pytest.raises(FetchError, match="HTTP 500"):
        _cache(fetcher, tmp_path, Clock())(site.url("/x"), accept=ACCEPT)


def test_offline_serves_any_age_and_says_so_but_never_connects(
    site: Site, fetcher: HttpFetcher, tmp_path: Path
) -> None:
    site.put("/did.json", {"id": "x"}, Cache_Control="max-age=60")
    clock = Clock()
    _cache(fetcher, tmp_path, clock)(site.url("/did.json"), accept=ACCEPT)
    clock.advance(days=40)
    offline = _cache(fetcher, tmp_path, clock, offline=True)
    served = offline(site.url("/did.json"), accept=ACCEPT)
    assert json.loads(served.content) == {"id": "x"}
    assert served.stale
    assert served.fetched_at == NOW
    assert served.note is not None
    assert "offline" in served.note.render("en")
    with pytest.raises(FetchError, match="not in the offline cache"):
        offline(site.url("/other"), accept=ACCEPT)
    assert len(site.requests) == 1


def test_offline_needs_no_fetcher(tmp_path: Path) -> None:
    cache = HttpCache(None, directory=tmp_path)
    assert cache.offline
    with pytest.raises(FetchError, match="not in the offline cache"):
        cache("https://example.org/x", accept=ACCEPT)


def test_cache_only_serves_fresh_entries_and_signals_before_any_request(
    site: Site, fetcher: HttpFetcher, tmp_path: Path
) -> None:
    """What lets a server verify on its event loop: no request can start inside cache_only."""
    site.put("/did.json", {"id": "x"}, Cache_Control="max-age=60")
    clock = Clock()
    cache = _cache(fetcher, tmp_path, clock)
    with cache_only(), pytest.raises(NetworkNeeded):
        cache(site.url("/did.json"), accept=ACCEPT)  # not cached yet
    assert site.requests == []
    cache(site.url("/did.json"), accept=ACCEPT)
    with cache_only():
        assert json.loads(cache(site.url("/did.json"), accept=ACCEPT).content) == {"id": "x"}
    clock.advance(seconds=61)
    with cache_only(), pytest.raises(NetworkNeeded):
        cache(site.url("/did.json"), accept=ACCEPT)  # stale: it would revalidate
    assert len(site.requests) == 1
    # Outside the block, and offline (which never requests anything), nothing changes.
    assert not cache(site.url("/did.json"), accept=ACCEPT).stale
    offline = _cache(fetcher, tmp_path, clock, offline=True)
    clock.advance(days=3)
    with cache_only():
        assert offline(site.url("/did.json"), accept=ACCEPT).stale
    assert len(site.requests) == 2


def test_network_needed_is_not_swallowed_by_a_check(tmp_path: Path) -> None:
    """Checks turn exceptions into failed checks; this signal must abandon the whole verification."""
    requested: list[str] = []

    def network(url: str, *, accept: str) -> FetchResponse:
        requested.append(url)
        raise FetchError(t("unreachable"))

    cache = _cache(network, tmp_path, Clock())
    with cache_only(), pytest.raises(NetworkNeeded) as raised:
        verify_credential(golden_signed(), now=NOW, status_lists=StatusListSource(fetch=cache))
    assert str(raised.value) == STATUS_URL
    assert requested == []
    result = verify_credential(golden_signed(), now=NOW, status_lists=StatusListSource(fetch=cache))
    assert requested == [STATUS_URL]  # outside the block the same verification asks, and says so
    status = result.check("status")
    assert status is not None
    assert status.status.value == "unknown"


def test_no_store_is_never_stored(site: Site, fetcher: HttpFetcher, tmp_path: Path) -> None:
    site.put("/secret", {"v": 1}, Cache_Control="no-store, max-age=600")
    clock = Clock()
    cache = _cache(fetcher, tmp_path, clock)
    cache(site.url("/secret"), accept=ACCEPT)
    cache(site.url("/secret"), accept=ACCEPT)
    assert len(site.hits("/secret")) == 2
    assert list(tmp_path.glob("*.entry")) == []
    with pytest.raises(FetchError):
        _cache(fetcher, tmp_path, clock, offline=True)(site.url("/secret"), accept=ACCEPT)


def test_response_size_cap_applies_through_the_cache(site: Site, tmp_path: Path) -> None:
    site.put("/big", b"x" * 5000, Cache_Control="max-age=60")
    small = HttpFetcher(allow_loopback_http=True, max_bytes=1000)
    try:
        with pytest.raises(FetchError, match="larger than 1,000 bytes"):
            _cache(small, tmp_path, Clock())(site.url("/big"), accept=ACCEPT)
    finally:
        small.close()
    assert list(tmp_path.glob("*.entry")) == []


def test_disk_cache_is_bounded_oldest_first(tmp_path: Path) -> None:
    store = DiskStore(tmp_path, max_bytes=3000)
    for number in range(6):
        store.put(CacheEntry(f"https://example.org/{number}", b"x" * 900, NOW, timedelta(minutes=5)))
        # File times order eviction; make them distinct even on coarse file systems.
        stamp = 1_700_000_000 + number
        os.utime(
            tmp_path / (hashlib.sha256(f"https://example.org/{number}".encode()).hexdigest() + ".entry"),
            (stamp, stamp),
        )
    sizes = sum(p.stat().st_size for p in tmp_path.glob("*.entry"))
    assert sizes <= 3000
    assert store.get("https://example.org/5") is not None
    assert store.get("https://example.org/0") is None
    store.put(CacheEntry("https://example.org/huge", b"x" * 10_000, NOW, timedelta(minutes=5)))
    assert store.get("https://example.org/huge") is None


def test_memory_layer_is_bounded_by_entries_and_bytes() -> None:
    memory = MemoryStore(max_entries=2, max_bytes=1000)
    for number in range(3):
        memory.put(CacheEntry(f"u{number}", b"x" * 10, NOW, timedelta(0)))
    assert [e.url for e in memory.entries()] == ["u1", "u2"]
    memory.put(CacheEntry("big", b"x" * 995, NOW, timedelta(0)))
    assert [e.url for e in memory.entries()] == ["big"]


def test_file_names_are_hashes_and_damaged_files_are_misses(tmp_path: Path) -> None:
    store = DiskStore(tmp_path)
    url = "https://example.org/../../etc/passwd?x=/y"
    store.put(CacheEntry(url, b'{"a":1}', NOW, timedelta(minutes=5), etag='"e"'))
    [path] = tmp_path.glob("*.entry")
    assert len(path.stem) == 64
    assert all(c in "0123456789abcdef" for c in path.stem)
    assert store.get(url) is not None
    path.write_bytes(path.read_bytes()[:-2])  # truncated, as a crash mid-write would leave it
    assert store.get(url) is None
    path.write_bytes(b"garbage")
    assert store.get(url) is None


def test_cache_survives_a_process_restart(fetcher: HttpFetcher, tmp_path: Path) -> None:
    site = Site()
    site.put("/did.json", {"id": "did:web:example"}, Cache_Control="max-age=300")
    url = site.url("/did.json")
    _cache(fetcher, tmp_path, Clock(datetime.now(UTC)))(url, accept=ACCEPT)
    site.stop()
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from verifier.cache import HttpCache\n"
        "from verifier.fetch import HttpFetcher\n"
        "cache = HttpCache(HttpFetcher(allow_loopback_http=True), directory=Path(sys.argv[1]))\n"
        "r = cache(sys.argv[2], accept='application/json')\n"
        "print(json.dumps({'body': json.loads(r.content), 'stale': r.stale}))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path), url],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == {"body": {"id": "did:web:example"}, "stale": False}


def _write_many(directory: str, marker: int) -> int:
    store = DiskStore(Path(directory))
    body = json.dumps({"writer": marker, "padding": "x" * 50_000}).encode()
    for _ in range(200):
        store.put(CacheEntry("https://example.org/shared", body, NOW, timedelta(minutes=5)))
    return marker


def test_concurrent_processes_never_see_a_partial_entry(tmp_path: Path) -> None:
    store = DiskStore(tmp_path)
    seen: set[int] = set()
    with ProcessPoolExecutor(max_workers=2) as pool:
        writers = [pool.submit(_write_many, str(tmp_path), marker) for marker in (1, 2)]
        while not all(w.done() for w in writers):
            entry = store.get("https://example.org/shared")
            if entry is not None:
                seen.add(json.loads(entry.body)["writer"])  # always a whole, valid document
        assert sorted(w.result() for w in writers) == [1, 2]
    assert seen <= {1, 2}
    assert store.get("https://example.org/shared") is not None
    assert list(tmp_path.glob(".tmp-*")) == []


def test_cache_control_and_freshness_follow_rfc_9111() -> None:
    assert cache_control('max-age=60, No-Cache, private="x"') == {
        "max-age": "60",
        "no-cache": None,
        "private": "x",
    }
    date = "Mon, 01 Sep 2025 00:00:00 GMT"
    assert cache_policy({"cache-control": "max-age=120"}, NOW).freshness == timedelta(seconds=120)
    assert cache_policy({"cache-control": "no-cache, max-age=120"}, NOW).freshness == timedelta(0)
    assert not cache_policy({"cache-control": "no-store"}, NOW).store
    expires = {"date": date, "expires": "Mon, 01 Sep 2025 00:10:00 GMT"}
    assert cache_policy(expires, NOW).freshness == timedelta(minutes=10)
    heuristic = {"last-modified": "Fri, 29 Aug 2025 00:00:00 GMT"}  # 3 days before NOW: 10 % capped at 1 h
    assert cache_policy(heuristic, NOW).freshness == timedelta(hours=1)
    assert cache_policy({"cache-control": "max-age=31536000"}, NOW).freshness == timedelta(days=1)
    assert cache_policy({}, NOW).freshness == timedelta(0)
    assert cache_policy({"age": "30", "cache-control": "max-age=60"}, NOW).initial_age == timedelta(
        seconds=30
    )


def test_status_check_shows_when_a_stale_list_was_fetched_and_why() -> None:
    """The verification result says the list is 3 h old and that the issuer did not answer."""
    clock = Clock()
    document = json.dumps(status_list()).encode()
    down = False

    def origin(url: str, *, accept: str) -> FetchResponse:
        if down:
            raise FetchError(t("{url} could not be reached", url=url))
        return FetchResponse(url, document, {"cache-control": "max-age=300"})

    cache = HttpCache(origin, clock=clock)
    fresh = verify_credential(golden_signed(), now=clock.now, status_lists=StatusListSource(fetch=cache))
    status = fresh.check("status")
    assert status is not None
    assert status.ok
    assert status.details["entries"][0]["stale"] is False
    assert status.details["entries"][0]["retrievedAt"] == NOW.isoformat()
    assert "as fetched" not in status.message_in("en")
    clock.advance(hours=3)
    down = True
    stale = verify_credential(golden_signed(), now=clock.now, status_lists=StatusListSource(fetch=cache))
    status = stale.check("status")
    assert stale.verified
    assert status is not None
    assert status.ok
    assert status.details["entries"][0]["stale"] is True
    assert status.details["entries"][0]["list"] == STATUS_URL
    english = status.message_in("en")
    assert "as fetched 3 h ago (2025-09-01 00:00 UTC)" in english
    assert "the server did not answer" in english
    assert "3 小时前" in status.message_in("zh")


def test_a_304_without_a_conditional_request_is_an_error(site: Site, fetcher: HttpFetcher) -> None:
    site.route("/odd", Answer(status=304))
    with pytest.raises(FetchError, match="HTTP 304"):
        fetcher(site.url("/odd"), accept=ACCEPT)


def test_entry_metadata_round_trips_and_malformed_metadata_is_refused() -> None:
    entry = CacheEntry(
        "https://example.org/x", b"{}", NOW, timedelta(seconds=90), '"e"', "lm", "application/json"
    )
    assert CacheEntry.from_json(entry.to_json(), b"{}") == entry
    for broken in (
        {},
        {**entry.to_json(), "fetchedAt": "2025-09-01T00:00:00"},
        {**entry.to_json(), "url": 7},
    ):
        with pytest.raises(ValueError, match="malformed cache entry"):
            CacheEntry.from_json(broken, b"{}")


def test_settings_come_from_the_environment_and_flags_win(tmp_path: Path) -> None:
    environ = {
        "HOME": str(tmp_path),
        "MICROCRED_TRUST_LISTS": " a.json, https://registry.example.org/list.json ,",
        "MICROCRED_TRUST_REGISTRIES": "did:web:registry.example.org",
        "MICROCRED_ALLOW_LOCAL_HTTP": "1",
    }
    settings = VerifierSettings.from_environ(environ)
    assert settings.cache_dir == tmp_path / ".cache" / "microcred"
    assert settings.trust_lists == ("a.json", "https://registry.example.org/list.json")
    assert settings.registries == ("did:web:registry.example.org",)
    assert settings.allow_local_http
    assert VerifierSettings.from_environ({**environ, "XDG_CACHE_HOME": "/var/cache"}).cache_dir == Path(
        "/var/cache/microcred"
    )
    assert VerifierSettings.from_environ(
        {**environ, "MICROCRED_CACHE_DIR": str(tmp_path / "c")}
    ).cache_dir == (tmp_path / "c")
    flagged = VerifierSettings.from_environ(environ, trust_lists=("b.json",), registries=(), offline=True)
    assert (flagged.trust_lists, flagged.registries, flagged.offline) == (
        ("b.json",),
        ("did:web:registry.example.org",),
        True,
    )
    assert not VerifierSettings.from_environ({}).allow_local_http
    offline = ConfiguredVerifier(VerifierSettings(cache_dir=tmp_path, offline=True))
    assert offline.offline
    offline.close()


def test_a_services_own_documents_count_as_a_request(tmp_path: Path) -> None:
    """The issuer app serves its DID document and status lists from its database: I/O, so a
    verification reading them cannot run on the event loop."""
    served: list[str] = []

    def local(url: str) -> FetchResponse | None:
        served.append(url)
        return None

    settings = VerifierSettings(offline=True, cache_dir=tmp_path)
    verifier = ConfiguredVerifier(settings, local=local)
    assert verifier.has_local_documents
    assert not ConfiguredVerifier(settings).has_local_documents
    with cache_only(), pytest.raises(NetworkNeeded):
        verifier.fetch("https://issuer.example/.well-known/did.json", accept=ACCEPT)
    assert served == []
