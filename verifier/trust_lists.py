"""Verify trust-list credentials and keep the configured ones current.

A trust list (``docs/trust-lists.md``) is a VC 2.0 ``TrustListCredential`` signed with Data
Integrity by a registry operator. Reading one (:func:`read_trust_list`) is:

1. a full :func:`~verifier.verify.verify_credential` of the list — every required check: pinned
   contexts, the trust-list JSON Schema, the proof, the signing key belonging to the list's
   issuer, the validity period (an expired list is refused, as an ETSI TS 119 612 list past its
   ``NextUpdate`` is), and its status if it has one;
2. its signer is one of the registries the verifier is configured to trust (a valid signature
   by anyone else proves nothing about institutions);
3. every entry is well-formed, and no DID is listed twice.

:class:`TrustListProvider` holds the configured lists (files, or URLs fetched through the HTTP
cache like status lists), re-reads them when they change, and reports a list it cannot use as
an :class:`~verifier.trust.UnusableTrustList` with the reason, so that the trust check can say
"could not check" instead of "unknown issuer".
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .cache import HttpCache
from .datetimes import parse_date_time_stamp, utc_now
from .dids import DIDResolver
from .fetch import MAX_RESPONSE_BYTES, Fetcher, FetchError
from .i18n import Text, t
from .jsonsafe import parse_json
from .problems import ProblemError
from .result import CheckStatus
from .trust import TRUST_LIST_CREDENTIAL, TrustedIssuer, TrustList, UnusableTrustList
from .verify import verify_credential

#: Largest trust list accepted: the fetcher's response cap (several thousand institutions).
MAX_TRUST_LIST_BYTES = MAX_RESPONSE_BYTES
MAX_TRUST_LIST_VALUES = 200_000
#: How long a list that could not be used is remembered before it is tried again.
RETRY_UNUSABLE_AFTER = timedelta(seconds=60)
TRUST_LIST_ACCEPT = "application/vc+ld+json, application/ld+json, application/json"


class TrustListError(Exception):
    """A trust list that cannot be used; the message is safe to show to anyone."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.text = message


def read_trust_list(
    document: Mapping[str, Any] | bytes | str,
    *,
    registries: Collection[str] | None,
    now: datetime | None = None,
    fetch: Fetcher | None = None,
    resolver: DIDResolver | None = None,
    allow_loopback_http: bool = False,
    source: str | None = None,
    retrieved_at: datetime | None = None,
    stale: bool = False,
) -> TrustList:
    """Verify a trust-list credential (see the module docstring) and return what it lists.

    ``registries`` are the DIDs of the registry operators this verifier trusts; ``None`` accepts
    any signer and is for inspecting a list (``microcred trust show``), never for deciding trust.
    ``fetch``/``resolver`` are used for a did:web registry's DID document. Raises
    :class:`TrustListError` saying why a list cannot be used.
    """
    try:
        parsed = (
            parse_json(document, max_bytes=MAX_TRUST_LIST_BYTES, max_values=MAX_TRUST_LIST_VALUES)
            if isinstance(document, bytes | str)
            else dict(document)
        )
    except ProblemError as exc:
        raise TrustListError(t("it is not valid JSON: {reason}", reason=exc.problem.detail)) from None
    if not isinstance(parsed, dict) or TRUST_LIST_CREDENTIAL not in _as_list(parsed.get("type")):
        raise TrustListError(t("it is not a trust list (a {type})", type=TRUST_LIST_CREDENTIAL))
    result = verify_credential(
        parsed,
        now=now,
        fetch=fetch,
        resolver=resolver,
        allow_loopback_http=allow_loopback_http,
    )
    if not result.verified:
        validity = result.check("validity")
        if validity is not None and validity.details.get("expired"):
            raise TrustListError(t("it expired on {date}", date=str(parsed.get("validUntil"))))
        failed = next(c for c in result.checks if c.required and not c.ok)
        if failed.status is CheckStatus.UNKNOWN:
            raise TrustListError(t("it could not be checked: {reason}", reason=failed.message))
        raise TrustListError(t("it is not valid: {reason}", reason=failed.message))
    signer = _issuer_id(parsed)
    if registries is not None and signer not in registries:
        raise TrustListError(
            t(
                "it is signed by {signer}, which is not a registry this verifier is configured to trust",
                signer=signer,
            )
        )
    issuer = parsed.get("issuer")
    return TrustList(
        operator=signer,
        issuers=_entries(parsed),
        operator_name=issuer.get("name") if isinstance(issuer, dict) else None,
        id=parsed.get("id"),
        name=parsed.get("name") if isinstance(parsed.get("name"), str) else None,
        valid_from=parse_date_time_stamp(parsed.get("validFrom")),
        valid_until=parse_date_time_stamp(parsed.get("validUntil")),
        sequence=parsed.get("sequenceNumber"),
        source=source,
        retrieved_at=retrieved_at,
        stale=stale,
    )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _issuer_id(document: Mapping[str, Any]) -> str:
    issuer = document.get("issuer")
    return str(issuer.get("id") if isinstance(issuer, dict) else issuer)


def _entries(document: Mapping[str, Any]) -> dict[str, TrustedIssuer]:
    """The entries of a list that passed its JSON Schema (so their shape is known)."""
    entries: dict[str, TrustedIssuer] = {}
    for raw in _as_list(document.get("credentialSubject")):
        did = raw["id"]
        if did in entries:
            raise TrustListError(t("it lists {did} twice", did=did))
        names = raw.get("nameMap", {})
        window = []
        for name in ("validFrom", "validUntil"):
            value = raw.get(name)
            moment = parse_date_time_stamp(value)
            if value is not None and moment is None:
                raise TrustListError(
                    t(
                        "the {name} of {did} is not a date-time with a time zone",
                        name=name,
                        did=did,
                    )
                )
            window.append(moment)
        entries[did] = TrustedIssuer(
            did=did,
            name_zh=names.get("zh") or raw["name"],
            name_en=names.get("en"),
            institution_code=raw.get("institutionCode"),
            domain=raw.get("domain"),
            valid_from=window[0],
            valid_until=window[1],
        )
    return entries


# --- The configured lists ----------------------------------------------------------------------


def is_url(location: str) -> bool:
    return location.startswith(("https://", "http://"))


@dataclass(frozen=True, slots=True)
class _Loaded:
    digest: str
    outcome: TrustList | UnusableTrustList
    checked_at: datetime


class TrustListProvider:
    """The trust lists a verifier is configured with, verified, and re-read when they change.

    ``locations`` are files or HTTPS URLs, most authoritative first. A URL is fetched through
    ``fetch`` (normally the :class:`~verifier.cache.HttpCache`, so a list is cached, revalidated
    and served stale with a note exactly like a status list); a location the cache holds (an
    offline bundle stores file-based lists under their original path) is read from it, any other
    location from the file system. A list is verified once per distinct content; a verified
    list is re-checked against its validity period on every use.
    """

    def __init__(
        self,
        locations: Sequence[str],
        *,
        registries: Collection[str],
        fetch: Fetcher | None = None,
        allow_loopback_http: bool = False,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.locations = tuple(locations)
        self.registries = frozenset(registries)
        self._fetch = fetch
        self._allow_loopback_http = allow_loopback_http
        self._clock = clock
        self._loaded: dict[str, _Loaded] = {}
        self._lock = threading.Lock()

    def current(self) -> tuple[TrustList | UnusableTrustList, ...]:
        """Every configured list, in order: verified, or unusable with the reason."""
        return tuple(self._current(location) for location in self.locations)

    def _current(self, location: str) -> TrustList | UnusableTrustList:
        now = self._clock()
        try:
            content, retrieved_at, stale = self._read(location)
        except TrustListError as exc:
            return UnusableTrustList(location, exc.text)
        digest = hashlib.sha256(content).hexdigest()
        with self._lock:
            loaded = self._loaded.get(location)
        if loaded is not None and loaded.digest == digest:
            outcome = loaded.outcome
            if isinstance(outcome, TrustList):
                return self._still_valid(outcome, location, now, retrieved_at, stale)
            if now - loaded.checked_at < RETRY_UNUSABLE_AFTER:
                return outcome
        outcome = self._verify(location, content, now, retrieved_at, stale)
        with self._lock:
            self._loaded[location] = _Loaded(digest, outcome, now)
        return outcome

    def _read(self, location: str) -> tuple[bytes, datetime | None, bool]:
        cached = isinstance(self._fetch, HttpCache) and self._fetch.cached(location) is not None
        if is_url(location) or cached:
            if self._fetch is None:
                raise TrustListError(t("this verifier has no network access and no cached copy of it"))
            try:
                response = self._fetch(location, accept=TRUST_LIST_ACCEPT)
            except FetchError as exc:
                raise TrustListError(t("it could not be retrieved: {reason}", reason=exc.text)) from None
            return response.content, response.fetched_at, response.stale
        try:
            path = Path(location)
            if path.stat().st_size > MAX_TRUST_LIST_BYTES:
                raise TrustListError(t("it is larger than {limit:,} bytes", limit=MAX_TRUST_LIST_BYTES))
            return path.read_bytes(), None, False
        except OSError as exc:
            raise TrustListError(
                t("the file could not be read ({reason})", reason=exc.strerror or type(exc).__name__)
            ) from None

    def _verify(
        self, location: str, content: bytes, now: datetime, retrieved_at: datetime | None, stale: bool
    ) -> TrustList | UnusableTrustList:
        resolver = DIDResolver(fetch=self._fetch, allow_loopback_http=self._allow_loopback_http)
        try:
            return read_trust_list(
                content,
                registries=self.registries,
                now=now,
                resolver=resolver,
                fetch=self._fetch,
                allow_loopback_http=self._allow_loopback_http,
                source=location,
                retrieved_at=retrieved_at,
                stale=stale,
            )
        except TrustListError as exc:
            return UnusableTrustList(location, exc.text)

    @staticmethod
    def _still_valid(
        trust_list: TrustList, location: str, now: datetime, retrieved_at: datetime | None, stale: bool
    ) -> TrustList | UnusableTrustList:
        if trust_list.valid_until is not None and now > trust_list.valid_until:
            return UnusableTrustList(
                location, t("it expired on {date}", date=trust_list.valid_until.isoformat())
            )
        if trust_list.retrieved_at == retrieved_at and trust_list.stale == stale:
            return trust_list
        return replace(trust_list, retrieved_at=retrieved_at, stale=stale)


__all__ = ["TrustListError", "TrustListProvider", "read_trust_list"]
