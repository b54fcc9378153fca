"""Offline bundles: what a verifier needs to check certificates on a machine with no network.

A bundle is one JSON document (gzip-compressed when its file name ends in ``.gz``; compressed
bundles are recognised by their content when read) holding a snapshot of the HTTP cache —
DID documents, status lists, trust lists, each with the time it was fetched — plus the trust
configuration (trust-list locations and registry DIDs) and the time of the snapshot:

.. code-block:: json

    {"type": "MicrocredVerifierBundle", "version": 1, "createdAt": "2025-09-01T08:00:00+00:00",
     "registries": ["did:web:registry.example.org"], "trustLists": ["https://…/trust-list.json"],
     "documents": [{"url": "https://…/status/revocation/1", "fetchedAt": "…", "etag": "…",
                    "freshnessSeconds": 300.0, "contentType": "application/vc+ld+json",
                    "document": {…the status list credential…}}]}

Verifying with a bundle never opens a connection: the bundle is served as an offline cache
(:class:`~verifier.cache.HttpCache` with ``preloaded`` entries), and every status check says
how old its list is. Status lists and trust lists are signed, so a bundle cannot forge them;
a ``did:web`` DID document is not signed, so **a bundle vouches for did:web keys**: use only
bundles you made or got from someone you trust, as you would your configuration.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .cache import CacheEntry, HttpCache
from .datetimes import utc_now
from .fetch import Fetcher, FetchResponse
from .i18n import Text, t
from .jsonsafe import parse_json
from .problems import ProblemError

BUNDLE_TYPE = "MicrocredVerifierBundle"
BUNDLE_VERSION = 1
#: Largest bundle read, compressed and uncompressed.
MAX_BUNDLE_BYTES = 256 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class BundleError(Exception):
    """A bundle that cannot be read or written; the message is safe to show."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.text = message


@dataclass(frozen=True, slots=True)
class Bundle:
    """A snapshot of fetched documents and of the trust configuration."""

    created_at: datetime
    entries: tuple[CacheEntry, ...]
    trust_lists: tuple[str, ...] = ()
    registries: tuple[str, ...] = ()

    def cache(self, *, clock: Callable[[], datetime] = utc_now) -> HttpCache:
        """An offline cache serving this bundle's documents (and nothing else)."""
        note = t(
            "from the offline bundle made {when}",
            when=self.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        )
        return HttpCache(None, preloaded=self.entries, offline_note=note, clock=clock)

    def to_json(self) -> dict[str, Any]:
        documents = []
        for entry in self.entries:
            item = {k: v for k, v in entry.to_json().items() if v is not None}
            try:
                item["document"] = json.loads(entry.body)
            except ValueError:
                item["bodyBase64"] = base64.b64encode(entry.body).decode("ascii")
            documents.append(item)
        return {
            "type": BUNDLE_TYPE,
            "version": BUNDLE_VERSION,
            "createdAt": self.created_at.isoformat(),
            "registries": list(self.registries),
            "trustLists": list(self.trust_lists),
            "documents": documents,
        }

    def write(self, path: Path) -> None:
        """Write the bundle to ``path`` (gzip when the name ends in ``.gz``), atomically."""
        data = json.dumps(self.to_json(), ensure_ascii=False, indent=1).encode("utf-8")
        if path.name.endswith(".gz"):
            data = gzip.compress(data, mtime=0)
        temporary = path.with_name(path.name + ".part")
        try:
            temporary.write_bytes(data)
            temporary.replace(path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise BundleError(
                t("the bundle could not be written to {path}: {reason}", path=str(path), reason=str(exc))
            ) from None

    @classmethod
    def read(cls, path: Path) -> Bundle:
        """Read a bundle file (plain or gzip JSON); :class:`BundleError` says what is wrong."""
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_BUNDLE_BYTES + 1)
        except OSError as exc:
            raise BundleError(
                t("the bundle {path} could not be read: {reason}", path=str(path), reason=str(exc))
            ) from None
        if raw.startswith(_GZIP_MAGIC):
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            try:
                raw = inflater.decompress(raw, MAX_BUNDLE_BYTES + 1)
            except zlib.error:
                raise BundleError(t("the bundle {path} is damaged gzip data", path=str(path))) from None
            if not inflater.eof and len(raw) <= MAX_BUNDLE_BYTES:
                raise BundleError(t("the bundle {path} is damaged gzip data", path=str(path)))
        if len(raw) > MAX_BUNDLE_BYTES:
            raise BundleError(
                t("the bundle {path} is larger than {limit:,} bytes", path=str(path), limit=MAX_BUNDLE_BYTES)
            )
        try:
            data = parse_json(raw, max_bytes=MAX_BUNDLE_BYTES, max_values=10_000_000)
        except ProblemError as exc:
            raise BundleError(
                t("the bundle {path} is not valid JSON: {reason}", path=str(path), reason=exc.problem.detail)
            ) from None
        return cls.from_json(data, str(path))

    @classmethod
    def from_json(cls, data: Any, name: str = "bundle") -> Bundle:
        if not isinstance(data, dict) or data.get("type") != BUNDLE_TYPE:
            raise BundleError(t("{path} is not a microcred verifier bundle", path=name))
        if data.get("version") != BUNDLE_VERSION:
            raise BundleError(
                t(
                    "the bundle {path} has version {version}; this verifier reads version {supported}",
                    path=name,
                    version=str(data.get("version")),
                    supported=BUNDLE_VERSION,
                )
            )
        try:
            created_at = datetime.fromisoformat(data["createdAt"])
            entries = tuple(_entry(item) for item in data.get("documents", []))
            trust_lists = tuple(_strings(data.get("trustLists", [])))
            registries = tuple(_strings(data.get("registries", [])))
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise BundleError(t("the bundle {path} is malformed", path=name)) from None
        if created_at.tzinfo is None:
            raise BundleError(t("the bundle {path} is malformed", path=name))
        return cls(created_at, entries, trust_lists, registries)


def _entry(item: Any) -> CacheEntry:
    if not isinstance(item, dict):
        raise TypeError("a bundle document must be an object")
    if "document" in item:
        body = json.dumps(item["document"], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    else:
        body = base64.b64decode(item["bodyBase64"], validate=True)
    return CacheEntry.from_json(item, body)


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("expected a list of strings")
    return value


class RecordingFetcher:
    """A :class:`~verifier.fetch.Fetcher` that remembers every URL asked of it (for bundles)."""

    def __init__(self, inner: Fetcher) -> None:
        self.inner = inner
        self.requested: list[str] = []

    def __call__(self, url: str, *, accept: str) -> FetchResponse:
        if url not in self.requested:
            self.requested.append(url)
        return self.inner(url, accept=accept)


def build_bundle(
    cache: HttpCache,
    *,
    urls: Iterable[str] | None = None,
    trust_lists: Sequence[str] = (),
    registries: Sequence[str] = (),
    now: datetime | None = None,
) -> Bundle:
    """Snapshot ``cache``: the entries for ``urls`` (every entry when ``None``) and the trust lists.

    A trust list configured as a file is stored under its location as given, so that a
    verifier using the bundle finds it by the same name.
    """
    moment = now or utc_now()
    if urls is None:
        chosen = {entry.url: entry for entry in cache.entries()}
    else:
        chosen = {}
        for url in urls:
            entry = cache.cached(url)
            if entry is not None:
                chosen[url] = entry
    for location in trust_lists:
        if location in chosen:
            continue
        entry = cache.cached(location)
        if entry is None and not location.startswith(("https://", "http://")):
            try:
                body = Path(location).read_bytes()
            except OSError as exc:
                raise BundleError(
                    t("the trust list {path} could not be read: {reason}", path=location, reason=str(exc))
                ) from None
            entry = CacheEntry(location, body, moment, timedelta(0), content_type="application/json")
        if entry is not None:
            chosen[location] = entry
    return Bundle(moment, tuple(chosen.values()), tuple(trust_lists), tuple(registries))


__all__ = ["BUNDLE_TYPE", "BUNDLE_VERSION", "Bundle", "BundleError", "RecordingFetcher", "build_bundle"]
