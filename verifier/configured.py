"""A verifier configured with its network, cache and trust: what the CLI and the web page run.

:func:`~verifier.verify.verify_credential` takes everything as arguments and never reads the
environment. This module puts the pieces together once, from explicit settings:

* the bounded :class:`~verifier.fetch.HttpFetcher` (HTTPS only, no private addresses; plain
  HTTP to loopback only with ``allow_local_http``);
* the :class:`~verifier.cache.HttpCache` in front of it (memory, plus a directory), offline when
  asked, or an offline :class:`~verifier.bundle.Bundle` instead of both;
* one :class:`~verifier.status.StatusListSource` shared by every verification (a list's
  signature is verified once per version; a revocation once seen is never undone);
* the :class:`~verifier.trust_lists.TrustListProvider` of the configured trust lists.

:class:`ConfiguredVerifier` is thread-safe: a web service builds one at start-up and calls
:meth:`ConfiguredVerifier.verify` from every request. :meth:`VerifierSettings.from_environ`
reads the ``MICROCRED_*`` variables listed in :data:`ENVIRONMENT` from a mapping the caller
passes (the CLI and the web app pass ``os.environ``; the library never reads it itself).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from .bundle import Bundle, RecordingFetcher
from .cache import HttpCache, require_network
from .datetimes import utc_now
from .dids import DIDResolver
from .fetch import Fetcher, FetchResponse, HttpFetcher
from .jsonsafe import parse_json
from .presentation import PresentationResult, is_presentation, verify_presentation
from .problems import ProblemError
from .result import VerificationResult
from .status import StatusListSource
from .trust import TrustList, UnusableTrustList
from .trust_lists import TrustListProvider
from .verify import verify_credential

CACHE_DIR_ENV = "MICROCRED_CACHE_DIR"
ALLOW_LOCAL_HTTP_ENV = "MICROCRED_ALLOW_LOCAL_HTTP"
TRUST_LISTS_ENV = "MICROCRED_TRUST_LISTS"
TRUST_REGISTRIES_ENV = "MICROCRED_TRUST_REGISTRIES"

#: Every environment variable the verifier reads, with its meaning and default (for docs).
ENVIRONMENT: Mapping[str, tuple[str, str]] = {
    CACHE_DIR_ENV: (
        "Folder where fetched DID documents, status lists and trust lists are cached.",
        "$XDG_CACHE_HOME/microcred, else ~/.cache/microcred",
    ),
    ALLOW_LOCAL_HTTP_ENV: (
        "1 lets the fetcher use plain HTTP to loopback addresses (local demos and tests only).",
        "off",
    ),
    TRUST_LISTS_ENV: (
        "Comma-separated trust lists (files or HTTPS URLs), most authoritative first.",
        "none",
    ),
    TRUST_REGISTRIES_ENV: (
        "Comma-separated DIDs of the registry operators whose signed trust lists are accepted.",
        "none",
    ),
}


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/microcred``, else ``~/.cache/microcred`` (XDG Base Directory spec)."""
    base = environ.get("XDG_CACHE_HOME")
    if base and Path(base).is_absolute():
        return Path(base) / "microcred"
    home = environ.get("HOME")
    return (Path(home) if home else Path.home()) / ".cache" / "microcred"


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


@dataclass(frozen=True, slots=True)
class VerifierSettings:
    """How a verifier reaches the network and whom it trusts. Every field has a safe default.

    ``cache_dir=None`` keeps the cache in memory only. ``bundle`` verifies from an offline
    bundle and implies ``offline``. ``trust_lists`` are files or HTTPS URLs; ``registries`` the
    DIDs whose signed trust lists are accepted.
    """

    cache_dir: Path | None = None
    offline: bool = False
    bundle: Path | None = None
    trust_lists: tuple[str, ...] = ()
    registries: tuple[str, ...] = ()
    allow_local_http: bool = False
    timeout: float = 5.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], **overrides: Any) -> VerifierSettings:
        """Settings from ``MICROCRED_*`` variables in ``environ``, then ``overrides`` on top.

        Overrides that are ``None`` or empty are ignored, so a CLI can pass its options as they
        come (flags win over the environment, which wins over defaults).
        """
        cache = environ.get(CACHE_DIR_ENV, "").strip()
        settings = cls(
            cache_dir=Path(cache).expanduser() if cache else default_cache_dir(environ),
            trust_lists=_list(environ.get(TRUST_LISTS_ENV)),
            registries=_list(environ.get(TRUST_REGISTRIES_ENV)),
            allow_local_http=environ.get(ALLOW_LOCAL_HTTP_ENV, "").strip() == "1",
        )
        chosen = {k: v for k, v in overrides.items() if v not in (None, (), "")}
        return replace(settings, **chosen)


#: Documents a process publishes itself: the response for ``url``, or ``None`` if not ours.
LocalDocuments = Callable[[str], FetchResponse | None]


class _LocalFirst:
    """Serve what ``local`` publishes straight from it (never cached, never stale), else ``inner``."""

    def __init__(self, local: LocalDocuments, inner: Fetcher) -> None:
        self.local = local
        self.inner = inner

    def __call__(self, url: str, *, accept: str) -> FetchResponse:
        require_network(url)  # the service's own documents come from its database: I/O too
        response = self.local(url)
        return response if response is not None else self.inner(url, accept=accept)


class ConfiguredVerifier:
    """Verifies credentials and presentations with the network, cache and trust of ``settings``.

    ``fetch`` replaces the network fetcher (tests, a custom transport); ``record_requests``
    keeps the URL of every document asked for (:attr:`requested`), which an offline bundle of
    exactly what some credentials need is built from. ``local`` serves the documents of a
    service that hosts this verifier itself (an issuer's own DID document and status lists),
    in-process and always current, so its own page shows a revocation at once.
    """

    def __init__(
        self,
        settings: VerifierSettings,
        *,
        fetch: Fetcher | None = None,
        clock: Callable[[], datetime] = utc_now,
        record_requests: bool = False,
        local: LocalDocuments | None = None,
    ) -> None:
        self.settings = settings
        self._owned: HttpFetcher | None = None
        self.bundle: Bundle | None = None
        trust_lists, registries = settings.trust_lists, settings.registries
        if settings.bundle is not None:
            self.bundle = Bundle.read(settings.bundle)
            self.cache = self.bundle.cache(clock=clock)
            trust_lists = trust_lists or self.bundle.trust_lists
            registries = registries or self.bundle.registries
        else:
            network: Fetcher | None = None
            if not settings.offline:
                if fetch is None:
                    fetch = self._owned = HttpFetcher(
                        timeout=settings.timeout, allow_loopback_http=settings.allow_local_http
                    )
                network = fetch
            self.cache = HttpCache(
                network, directory=settings.cache_dir, offline=settings.offline, clock=clock
            )
        # Offline, nothing is ever fetched, so a did:web on loopback may name its http:// URL:
        # that is only the key of a copy the cache (or bundle) took under the online policy.
        self._loopback_http = settings.allow_local_http or self.cache.offline
        self._recorder = RecordingFetcher(self.cache) if record_requests else None
        self.fetch: Fetcher = self._recorder or self.cache
        #: Whether some documents come from the hosting service's database (never cached).
        self.has_local_documents = local is not None
        if local is not None:
            self.fetch = _LocalFirst(local, self.fetch)
        self.status_lists = StatusListSource(fetch=self.fetch)
        self.trust = TrustListProvider(
            trust_lists,
            registries=registries,
            fetch=self.fetch,
            allow_loopback_http=self._loopback_http,
            clock=clock,
        )

    @property
    def offline(self) -> bool:
        return self.cache.offline

    @property
    def requested(self) -> list[str]:
        """Every URL asked for so far (with ``record_requests``; else empty)."""
        return list(self._recorder.requested) if self._recorder is not None else []

    def trust_lists(self) -> tuple[TrustList | UnusableTrustList, ...]:
        """The configured trust lists, verified now (or why each one cannot be used)."""
        return self.trust.current()

    def verify(
        self,
        document: Mapping[str, Any] | bytes | str,
        *,
        now: datetime | None = None,
        did_documents: Mapping[str, Any] | None = None,
        status_lists: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> VerificationResult | PresentationResult:
        """Verify a credential, or each credential of a presentation (parsed JSON or raw bytes)."""
        options = self._options(now, did_documents, status_lists)
        if isinstance(document, bytes | str):
            try:
                document = parse_json(document)
            except ProblemError:
                return verify_credential(document, **options)  # reports why it is not JSON
        if isinstance(document, Mapping) and is_presentation(document):
            return verify_presentation(document, **options)
        return verify_credential(document, **options)

    def verify_credential(
        self,
        document: Mapping[str, Any] | bytes | str,
        *,
        now: datetime | None = None,
        did_documents: Mapping[str, Any] | None = None,
        status_lists: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> VerificationResult:
        """Verify one credential with this configuration."""
        return verify_credential(document, **self._options(now, did_documents, status_lists))

    def _options(
        self,
        now: datetime | None,
        did_documents: Mapping[str, Any] | None,
        status_lists: Mapping[str, Mapping[str, Any]] | None,
    ) -> dict[str, Any]:
        source = (
            StatusListSource(fetch=self.fetch, documents=status_lists) if status_lists else self.status_lists
        )
        return {
            "now": now,
            "fetch": self.fetch,
            "resolver": DIDResolver(
                fetch=self.fetch, documents=did_documents, allow_loopback_http=self._loopback_http
            ),
            "status_lists": source,
            "trust_lists": self.trust.current(),
            "allow_loopback_http": self._loopback_http,
        }

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __enter__(self) -> ConfiguredVerifier:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


__all__ = [
    "ALLOW_LOCAL_HTTP_ENV",
    "CACHE_DIR_ENV",
    "ENVIRONMENT",
    "TRUST_LISTS_ENV",
    "TRUST_REGISTRIES_ENV",
    "ConfiguredVerifier",
    "LocalDocuments",
    "VerifierSettings",
    "default_cache_dir",
]
