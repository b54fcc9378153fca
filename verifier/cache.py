"""An HTTP cache for the documents a verifier fetches: DID documents, status lists, trust lists.

A subset of HTTP Caching (RFC 9111) for a private cache in front of a :class:`~verifier.fetch.
Fetcher`:

* **Storing** (§3): the body with its validators (``ETag``, ``Last-Modified``), when it was
  fetched and its freshness lifetime. ``Cache-Control: no-store`` is never stored (§5.2.2.5).
* **Freshness** (§4.2): ``max-age`` (§5.2.2.1), else ``Expires`` − ``Date``, else the heuristic
  of §4.2.2 (10 % of the time since ``Last-Modified``, at most an hour); ``no-cache`` means a
  lifetime of zero. Every lifetime is capped (one day by default) so that a revocation shows
  within a bounded time whatever the server says. A fresh entry is served without a request.
* **Validation** (§4.3): a stale entry is revalidated with ``If-None-Match`` /
  ``If-Modified-Since``; ``304 Not Modified`` refreshes it (§4.3.4).
* **Stale on error**: when the origin does not answer (or answers with an error), the stale copy
  is served marked ``stale`` with a note saying why — the behaviour of ``stale-if-error``
  (RFC 5861 §4), which the verifier, as the end client, chooses for itself and always discloses.
* **Offline**: no request at all; any cached copy is served, with its age and a note.
* **Cache only, for now** (:func:`cache_only`): a fresh entry is served as usual; anything that
  would need a request raises :class:`NetworkNeeded` instead, so a web server can verify on its
  event loop when everything is cached and move to a worker thread only when it must wait.

Entries live in memory (a bounded LRU, the layer a long-running web service reads) and, when a
directory is given, on disk: one file per URL named by the SHA-256 of the URL, written to a
temporary file and renamed into place (atomic for concurrent readers and writers in other
processes), checked against its recorded length and digest when read, and pruned, oldest
first, when the directory grows past its size bound. A damaged or unreadable file is a miss;
a full or read-only disk only costs the cache, never the verification.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from .datetimes import utc_now
from .fetch import Fetcher, FetchError, FetchResponse, RevalidatingFetcher
from .i18n import Text, t

#: Default bound of the on-disk cache.
DEFAULT_MAX_CACHE_BYTES = 64 * 1024 * 1024
#: Default bound of the in-memory layer (entries and bytes).
DEFAULT_MEMORY_ENTRIES = 1024
DEFAULT_MEMORY_BYTES = 64 * 1024 * 1024
#: No response is considered fresh for longer than this, whatever its headers say.
DEFAULT_MAX_FRESHNESS = timedelta(days=1)
#: RFC 9111 §4.2.2: heuristic freshness is a fraction of the time since Last-Modified.
HEURISTIC_FRACTION = 0.1
MAX_HEURISTIC_FRESHNESS = timedelta(hours=1)

_FORMAT = 1
_ENTRY_SUFFIX = ".entry"
_CACHE_ONLY: contextvars.ContextVar[bool] = contextvars.ContextVar("microcred_cache_only", default=False)


class NetworkNeeded(BaseException):
    """Raised inside :func:`cache_only` where a document would have to be requested.

    A ``BaseException``: a verification check turns every ``Exception`` into a failed check,
    and this must instead abandon the whole verification, to be run again where it may wait.
    """


@contextlib.contextmanager
def cache_only() -> Iterator[None]:
    """Within this block (this thread or task), a request raises :class:`NetworkNeeded`."""
    token = _CACHE_ONLY.set(True)
    try:
        yield
    finally:
        _CACHE_ONLY.reset(token)


def require_network(url: str) -> None:
    """Call before any blocking retrieval: raises :class:`NetworkNeeded` inside :func:`cache_only`."""
    if _CACHE_ONLY.get():
        raise NetworkNeeded(url)


_KEPT_HEADERS = ("content-type", "etag", "last-modified")


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One stored response: the body and what is needed to decide whether it may be reused."""

    url: str
    body: bytes
    fetched_at: datetime
    freshness: timedelta
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    #: The ``Age`` the response already had when it was received (RFC 9111 §4.2.3).
    initial_age: timedelta = timedelta(0)

    def age(self, now: datetime) -> timedelta:
        """How old the copy is: time since it was fetched plus the age it arrived with."""
        return max(now - self.fetched_at, timedelta(0)) + self.initial_age

    def is_fresh(self, now: datetime) -> bool:
        return self.age(now) < self.freshness

    def response(self, *, stale: bool = False, note: Text | None = None) -> FetchResponse:
        headers = {
            name: value
            for name, value in (
                ("content-type", self.content_type),
                ("etag", self.etag),
                ("last-modified", self.last_modified),
            )
            if value
        }
        return FetchResponse(
            url=self.url,
            content=self.body,
            headers=headers,
            fetched_at=self.fetched_at,
            stale=stale,
            note=note,
        )

    def to_json(self) -> dict[str, Any]:
        """The entry's metadata (everything but the body), as stored and bundled."""
        return {
            "url": self.url,
            "fetchedAt": self.fetched_at.isoformat(),
            "freshnessSeconds": self.freshness.total_seconds(),
            "initialAgeSeconds": self.initial_age.total_seconds(),
            "etag": self.etag,
            "lastModified": self.last_modified,
            "contentType": self.content_type,
        }

    @classmethod
    def from_json(cls, meta: dict[str, Any], body: bytes) -> CacheEntry:
        """The inverse of :meth:`to_json`; raises ``ValueError`` on anything malformed."""
        try:
            fetched_at = datetime.fromisoformat(meta["fetchedAt"])
            entry = cls(
                url=_text(meta["url"]),
                body=body,
                fetched_at=fetched_at,
                freshness=timedelta(seconds=float(meta.get("freshnessSeconds", 0))),
                etag=_optional_text(meta.get("etag")),
                last_modified=_optional_text(meta.get("lastModified")),
                content_type=_optional_text(meta.get("contentType")),
                initial_age=timedelta(seconds=float(meta.get("initialAgeSeconds", 0))),
            )
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"malformed cache entry: {exc}") from None
        if fetched_at.tzinfo is None:
            raise ValueError("malformed cache entry: fetchedAt has no time zone")
        return entry


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


# --- RFC 9111 freshness ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """What a response's headers allow: whether to store it, and for how long it is fresh."""

    store: bool
    freshness: timedelta
    initial_age: timedelta


def cache_control(value: str | None) -> dict[str, str | None]:
    """Parse a ``Cache-Control`` header (RFC 9111 §5.2) into lower-case directives."""
    directives: dict[str, str | None] = {}
    for part in (value or "").split(","):
        name, _, argument = part.strip().partition("=")
        if name:
            directives[name.strip().lower()] = argument.strip().strip('"') if argument else None
    return directives


def _seconds(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


def cache_policy(
    headers: dict[str, str], now: datetime, *, max_freshness: timedelta = DEFAULT_MAX_FRESHNESS
) -> CachePolicy:
    """RFC 9111 §3 and §4.2.1–4.2.2 applied to a response's (lower-case) headers."""
    directives = cache_control(headers.get("cache-control"))
    initial_age = timedelta(seconds=_seconds(headers.get("age")) or 0)
    if "no-store" in directives:
        return CachePolicy(False, timedelta(0), initial_age)
    max_age = _seconds(directives.get("max-age"))
    if "no-cache" in directives:
        lifetime = timedelta(0)
    elif max_age is not None:
        lifetime = timedelta(seconds=max_age)
    elif (expires := _http_date(headers.get("expires"))) is not None:
        lifetime = expires - (_http_date(headers.get("date")) or now)
    elif (modified := _http_date(headers.get("last-modified"))) is not None:
        lifetime = min((now - modified) * HEURISTIC_FRACTION, MAX_HEURISTIC_FRESHNESS)
    else:
        lifetime = timedelta(0)
    return CachePolicy(True, min(max(lifetime, timedelta(0)), max_freshness), initial_age)


# --- Stores ------------------------------------------------------------------------------------


class MemoryStore:
    """A thread-safe LRU of entries, bounded by count and by total body size."""

    def __init__(
        self, *, max_entries: int = DEFAULT_MEMORY_ENTRIES, max_bytes: int = DEFAULT_MEMORY_BYTES
    ) -> None:
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, url: str) -> CacheEntry | None:
        with self._lock:
            entry = self._entries.get(url)
            if entry is not None:
                self._entries.move_to_end(url)
            return entry

    def put(self, entry: CacheEntry) -> None:
        with self._lock:
            self._remove(entry.url)
            if len(entry.body) > self._max_bytes:
                return
            self._entries[entry.url] = entry
            self._bytes += len(entry.body)
            while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.body)

    def delete(self, url: str) -> None:
        with self._lock:
            self._remove(url)

    def _remove(self, url: str) -> None:
        previous = self._entries.pop(url, None)
        if previous is not None:
            self._bytes -= len(previous.body)

    def entries(self) -> list[CacheEntry]:
        with self._lock:
            return list(self._entries.values())


class DiskStore:
    """Entries as files in ``directory``; safe to share between processes (see module docstring)."""

    def __init__(self, directory: Path, *, max_bytes: int = DEFAULT_MAX_CACHE_BYTES) -> None:
        self.directory = directory
        self._max_bytes = max_bytes

    def _path(self, url: str) -> Path:
        return self.directory / (hashlib.sha256(url.encode("utf-8")).hexdigest() + _ENTRY_SUFFIX)

    def get(self, url: str) -> CacheEntry | None:
        entry = self._read(self._path(url))
        return entry if entry is not None and entry.url == url else None

    def _read(self, path: Path) -> CacheEntry | None:
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        header, newline, body = raw.partition(b"\n")
        if not newline:
            return None
        try:
            meta = json.loads(header)
            if (
                not isinstance(meta, dict)
                or meta.get("format") != _FORMAT
                or meta.get("bodyLength") != len(body)
                or meta.get("bodySha256") != hashlib.sha256(body).hexdigest()
            ):
                return None
            return CacheEntry.from_json(meta, body)
        except ValueError:
            return None

    def put(self, entry: CacheEntry) -> None:
        if len(entry.body) > self._max_bytes:
            return
        meta = {
            "format": _FORMAT,
            **entry.to_json(),
            "bodyLength": len(entry.body),
            "bodySha256": hashlib.sha256(entry.body).hexdigest(),
        }
        data = json.dumps(meta, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n" + entry.body
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".part")
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(data)
                os.replace(temporary, self._path(entry.url))
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            return  # a full or read-only disk costs the cache, never the verification
        self.prune()

    def delete(self, url: str) -> None:
        with contextlib.suppress(OSError):
            self._path(url).unlink(missing_ok=True)

    def _files(self) -> list[tuple[float, int, Path]]:
        found = []
        try:
            candidates = list(self.directory.glob("*" + _ENTRY_SUFFIX))
        except OSError:
            return []
        for path in candidates:
            try:
                info = path.stat()
            except OSError:
                continue  # removed by another process meanwhile
            found.append((info.st_mtime, info.st_size, path))
        return found

    def prune(self) -> None:
        """Delete the oldest entries until the directory is within its size bound."""
        files = self._files()
        total = sum(size for _, size, _ in files)
        if total <= self._max_bytes:
            return
        for _, size, path in sorted(files):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                continue
            total -= size
            if total <= self._max_bytes * 0.9:
                return

    def entries(self) -> Iterator[CacheEntry]:
        for _, _, path in self._files():
            entry = self._read(path)
            if entry is not None:
                yield entry


# --- The cache ---------------------------------------------------------------------------------


class HttpCache:
    """A :class:`~verifier.fetch.Fetcher` that caches another one (see the module docstring).

    ``fetch=None`` or ``offline=True``: never a request; cached copies of any age are served
    with ``offline_note``. ``preloaded`` entries (an offline bundle) are served like cached ones
    and never written to disk.
    """

    def __init__(
        self,
        fetch: Fetcher | None,
        *,
        directory: Path | None = None,
        offline: bool = False,
        max_bytes: int = DEFAULT_MAX_CACHE_BYTES,
        memory: MemoryStore | None = None,
        max_freshness: timedelta = DEFAULT_MAX_FRESHNESS,
        preloaded: Iterable[CacheEntry] = (),
        offline_note: Text | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._fetch = fetch
        self._offline = offline or fetch is None
        self._disk = DiskStore(directory, max_bytes=max_bytes) if directory is not None else None
        self._memory = memory or MemoryStore()
        self._max_freshness = max_freshness
        self._preloaded = {entry.url: entry for entry in preloaded}
        self._offline_note = offline_note or t("offline mode: no network was used")
        self._clock = clock
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    @property
    def offline(self) -> bool:
        return self._offline

    @property
    def directory(self) -> Path | None:
        return self._disk.directory if self._disk is not None else None

    def cached(self, url: str) -> CacheEntry | None:
        """The stored entry for ``url`` (any age), without any network access."""
        entry = self._preloaded.get(url) or self._memory.get(url)
        if entry is None and self._disk is not None:
            entry = self._disk.get(url)
            if entry is not None:
                self._memory.put(entry)
        return entry

    def entries(self) -> list[CacheEntry]:
        """Every stored entry (preloaded, in memory, on disk), one per URL."""
        found: dict[str, CacheEntry] = {}
        for entry in (*self._preloaded.values(), *self._memory.entries(), *self._disk_entries()):
            previous = found.get(entry.url)
            if previous is None or entry.fetched_at > previous.fetched_at:
                found[entry.url] = entry
        return list(found.values())

    def _disk_entries(self) -> Iterator[CacheEntry]:
        return self._disk.entries() if self._disk is not None else iter(())

    def __call__(self, url: str, *, accept: str) -> FetchResponse:
        entry = self.cached(url)
        if self._offline:
            if entry is None:
                raise FetchError(t("{url} is not in the offline cache", url=url))
            now = self._clock()
            return entry.response(stale=not entry.is_fresh(now), note=self._offline_note)
        if entry is not None and entry.is_fresh(self._clock()):
            return entry.response()
        require_network(url)
        with self._lock_for(url):
            # Another thread may have refreshed it while this one waited.
            entry = self.cached(url)
            if entry is not None and entry.is_fresh(self._clock()):
                return entry.response()
            return self._refresh(self._fetch, url, accept, entry)

    def _refresh(
        self, fetch: Fetcher | None, url: str, accept: str, entry: CacheEntry | None
    ) -> FetchResponse:
        if fetch is None:  # unreachable: without a fetcher the cache is offline
            raise FetchError(t("{url} is not in the offline cache", url=url))
        try:
            if (
                entry is not None
                and (entry.etag or entry.last_modified)
                and isinstance(fetch, RevalidatingFetcher)
            ):
                response = fetch.revalidate(
                    url, accept=accept, etag=entry.etag, last_modified=entry.last_modified
                )
            else:
                response = fetch(url, accept=accept)
        except FetchError as exc:
            if entry is None:
                raise
            return entry.response(stale=True, note=t("the server did not answer ({reason})", reason=exc.text))
        now = self._clock()
        if response is None:  # 304 Not Modified: the stored body is current again
            if entry is None:  # a 304 to an unconditional request: a broken origin
                raise FetchError(t("{url} answered HTTP {status}", url=url, status=304))
            refreshed = replace(entry, fetched_at=now, initial_age=timedelta(0))
            self._store(refreshed)
            return refreshed.response()
        policy = cache_policy(response.headers, now, max_freshness=self._max_freshness)
        fresh = CacheEntry(
            url=url,
            body=response.content,
            fetched_at=now,
            freshness=policy.freshness,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            content_type=response.headers.get("content-type"),
            initial_age=policy.initial_age,
        )
        if policy.store:
            self._store(fresh)
        else:
            self._forget(url)
        return fresh.response()

    def _store(self, entry: CacheEntry) -> None:
        self._memory.put(entry)
        if self._disk is not None:
            self._disk.put(entry)

    def _forget(self, url: str) -> None:
        self._memory.delete(url)
        if self._disk is not None:
            self._disk.delete(url)

    def _lock_for(self, url: str) -> threading.Lock:
        with self._locks_guard:
            lock = self._locks.get(url)
            if lock is None:
                if len(self._locks) > 4 * DEFAULT_MEMORY_ENTRIES:
                    self._locks = {u: held for u, held in self._locks.items() if held.locked()}
                lock = self._locks[url] = threading.Lock()
            return lock


__all__ = [
    "DEFAULT_MAX_CACHE_BYTES",
    "DEFAULT_MAX_FRESHNESS",
    "CacheEntry",
    "CachePolicy",
    "DiskStore",
    "HttpCache",
    "MemoryStore",
    "cache_control",
    "cache_policy",
]
