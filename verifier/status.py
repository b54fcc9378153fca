"""Bitstring Status List v1.0: encode, decode, read an entry, and check a credential's status.

The bitstring is GZIP-compressed and multibase base64url encoded (``u`` prefix, no padding;
§2.2). Index 0 is the left-most bit, i.e. the most significant bit of the first byte (§2.2,
as the reference implementation reads it). A list must hold at least 131,072 entries of
``statusSize`` bits (§3.2 step 7) so that one credential hides among many (herd privacy).

Checking a status (§3.2) needs the status list credential, which is *fetched*; the caller
supplies a :class:`StatusListSource`. Revocation is irreversible (§2.1): once a source has seen
an entry revoked, an older copy of the list served later (a stale cache, a replay) does not
un-revoke it.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .fetch import Fetcher, FetchError
from .i18n import Text, t
from .jsonsafe import parse_json
from .problems import (
    MALFORMED_VALUE_ERROR,
    RANGE_ERROR,
    STATUS_LIST_LENGTH_ERROR,
    STATUS_RETRIEVAL_ERROR,
    Problem,
    RetrievalError,
    fail,
)

#: §3.2 step 2: the minimum number of entries of a status list.
MIN_ENTRIES = 131_072
#: Largest uncompressed bitstring accepted (16 MiB = 134 million one-bit entries).
MAX_BITSTRING_BYTES = 16 * 1024 * 1024
#: Largest status list credential accepted, before any JSON-LD work.
MAX_STATUS_LIST_BYTES = 2 * 1024 * 1024

REVOCATION = "revocation"
SUSPENSION = "suspension"
MESSAGE = "message"
REFRESH = "refresh"

_INDEX = re.compile(r"0|[1-9][0-9]*")


# --- Bitstrings --------------------------------------------------------------------------------


def encode_status_list(bitstring: bytes) -> str:
    """GZIP then multibase-base64url ``bitstring`` (deterministic: mtime 0)."""
    compressed = gzip.compress(bitstring, compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def decode_status_list(encoded: str, *, max_bytes: int = MAX_BITSTRING_BYTES) -> bytes:
    """Decode an ``encodedList``; refuse bad encodings and decompression bombs."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise fail(
            MALFORMED_VALUE_ERROR,
            t("Malformed status list"),
            t("encodedList must be multibase base64url (start with 'u')."),
        )
    body = encoded[1:]
    if "=" in body or not re.fullmatch(r"[A-Za-z0-9_-]*", body):
        raise fail(
            MALFORMED_VALUE_ERROR,
            t("Malformed status list"),
            t("encodedList is not unpadded base64url."),
        )
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise fail(
            MALFORMED_VALUE_ERROR,
            t("Malformed status list"),
            t("encodedList is not valid base64url."),
        ) from None
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        bitstring = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error:
        raise fail(
            MALFORMED_VALUE_ERROR,
            t("Malformed status list"),
            t("encodedList is not valid GZIP data."),
        ) from None
    if len(bitstring) > max_bytes:
        raise fail(
            MALFORMED_VALUE_ERROR,
            t("Status list too large"),
            t(
                "The status list expands to more than {limit:,} bytes; it is refused.",
                limit=max_bytes,
            ),
        )
    if not inflater.eof:
        raise fail(
            MALFORMED_VALUE_ERROR,
            t("Malformed status list"),
            t("encodedList is truncated GZIP data."),
        )
    return bitstring


def read_status(bitstring: bytes, index: int, status_size: int = 1) -> int:
    """Return the ``status_size``-bit value at entry ``index`` (most significant bit first)."""
    if index < 0 or status_size < 1:
        raise ValueError("index must be >= 0 and status_size >= 1")
    first_bit = index * status_size
    if first_bit + status_size > len(bitstring) * 8:
        raise fail(
            RANGE_ERROR,
            t("Status index out of range"),
            t(
                "Entry {index} is beyond the end of the status list ({entries:,} entries).",
                index=index,
                entries=len(bitstring) * 8 // status_size,
            ),
        )
    value = 0
    for bit in range(first_bit, first_bit + status_size):
        value = (value << 1) | ((bitstring[bit >> 3] >> (7 - (bit & 7))) & 1)
    return value


class Bitstring:
    """A mutable status bitstring, for issuers building lists."""

    def __init__(self, entries: int = MIN_ENTRIES, status_size: int = 1) -> None:
        if entries < 1 or status_size < 1:
            raise ValueError("entries and status_size must be positive")
        self.entries = entries
        self.status_size = status_size
        self._bits = bytearray((entries * status_size + 7) // 8)

    @classmethod
    def from_bytes(cls, raw: bytes, status_size: int = 1) -> Bitstring:
        """A bitstring over a copy of ``raw`` (most significant bit first)."""
        bitstring = cls(max(1, len(raw) * 8 // status_size), status_size)
        bitstring._bits[:] = raw
        return bitstring

    @classmethod
    def decode(cls, encoded: str, status_size: int = 1) -> Bitstring:
        return cls.from_bytes(decode_status_list(encoded), status_size)

    def to_bytes(self) -> bytes:
        return bytes(self._bits)

    def get(self, index: int) -> int:
        return read_status(bytes(self._bits), index, self.status_size)

    def set(self, index: int, value: int) -> None:
        if not 0 <= index < self.entries:
            raise IndexError(f"index {index} is outside the list (0..{self.entries - 1})")
        if not 0 <= value < (1 << self.status_size):
            raise ValueError(f"value {value} does not fit in {self.status_size} bit(s)")
        first_bit = index * self.status_size
        for offset in range(self.status_size):
            bit = first_bit + offset
            mask = 0x80 >> (bit & 7)
            if (value >> (self.status_size - 1 - offset)) & 1:
                self._bits[bit >> 3] |= mask
            else:
                self._bits[bit >> 3] &= ~mask & 0xFF

    def encode(self) -> str:
        return encode_status_list(bytes(self._bits))


# --- Status entries ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """A ``BitstringStatusListEntry`` as read from the signed credential."""

    purpose: str
    index: int
    list_url: str
    size: int = 1
    messages: Mapping[int, str] | None = None


def parse_status_entry(entry: Mapping[str, Any], path: str = "$.credentialStatus") -> StatusEntry:
    """Validate a ``BitstringStatusListEntry`` (§2.1); raise MALFORMED_VALUE_ERROR on defects."""

    def bad(detail: Text) -> Exception:
        return fail(MALFORMED_VALUE_ERROR, t("Malformed status entry"), detail, path)

    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        raise bad(t("statusPurpose must be a non-empty string."))
    raw_index = entry.get("statusListIndex")
    if not isinstance(raw_index, str) or not _INDEX.fullmatch(raw_index) or len(raw_index) > 12:
        raise bad(t('statusListIndex must be a base-10 integer written as a string, such as "94567".'))
    list_url = entry.get("statusListCredential")
    if not isinstance(list_url, str) or not list_url.startswith(("https://", "http://")):
        raise bad(t("statusListCredential must be the URL of a status list credential."))
    size = entry.get("statusSize", 1)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 8:
        raise bad(t("statusSize must be an integer from 1 to 8."))
    messages = None
    if size > 1 or "statusMessage" in entry:
        raw_messages = entry.get("statusMessage")
        if not isinstance(raw_messages, list) or (size > 1 and len(raw_messages) != 1 << size):
            raise bad(t("statusMessage must list all {count} status values.", count=1 << size))
        messages = {}
        for item in raw_messages:
            status = item.get("status") if isinstance(item, dict) else None
            message = item.get("message") if isinstance(item, dict) else None
            if (
                not isinstance(status, str)
                or not re.fullmatch(r"0x[0-9a-fA-F]+", status)
                or not isinstance(message, str)
            ):
                raise bad(t('each statusMessage needs a hex status such as "0x1" and a message.'))
            messages[int(status, 16)] = message
    return StatusEntry(purpose, int(raw_index), list_url, size, messages)


# --- Where status lists come from ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusListDocument:
    """A status list credential as retrieved, with where and when it came from."""

    url: str
    credential: dict[str, Any]
    retrieved_at: datetime | None = None
    stale: bool = False
    #: Why a possibly out-of-date copy was used (offline, origin down, a bundle), if it was.
    note: Text | None = None


class StatusListSource:
    """Supplies status list credentials: preloaded documents first, then the fetcher.

    Without a fetcher and without a preloaded copy, a list cannot be retrieved and the status
    check reports *unknown* — never "not revoked".
    """

    def __init__(
        self,
        *,
        fetch: Fetcher | None = None,
        documents: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self._fetch = fetch
        self._documents = {url: dict(doc) for url, doc in (documents or {}).items()}
        self._revoked: set[tuple[str, int]] = set()
        self._verified: dict[tuple[str, str | None], tuple[Mapping[str, Any], Any, bytes]] = {}
        self._parsed: dict[str, tuple[bytes, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> StatusListDocument:
        """Return the status list credential at ``url`` or raise a :class:`RetrievalError`."""
        if url in self._documents:
            return StatusListDocument(url, self._documents[url])
        if self._fetch is None:
            raise _unretrievable(url, t("this verifier has no network access and no cached copy of it"))
        try:
            response = self._fetch(
                url, accept="application/vc+ld+json, application/ld+json, application/json"
            )
        except FetchError as exc:
            raise _unretrievable(url, exc.text) from None
        credential = self._parse(url, response.content)
        return StatusListDocument(url, credential, response.fetched_at, response.stale, response.note)

    def _parse(self, url: str, content: bytes) -> dict[str, Any]:
        """Parse a fetched list, reusing the parsed object while the bytes are unchanged.

        A cache serves the same bytes until the list changes; the same object lets
        :meth:`verified_list` skip re-verifying its signature.
        """
        with self._lock:
            previous = self._parsed.get(url)
        if previous is not None and (previous[0] is content or previous[0] == content):
            return previous[1]
        credential = parse_json(content, max_bytes=MAX_STATUS_LIST_BYTES)
        if not isinstance(credential, dict):
            raise fail(
                MALFORMED_VALUE_ERROR,
                t("Malformed status list"),
                t("The status list is not a JSON object."),
            )
        with self._lock:
            self._parsed[url] = (content, credential)
        return credential

    def verified_list(
        self, url: str, credential: Mapping[str, Any], issuer: str | None
    ) -> tuple[Any, bytes] | None:
        """The result of an earlier verification of this very list document for ``issuer``.

        A batch that checks many credentials against one list (the issuer's own self-check, a
        verifier with a cached list) verifies the list's signature and decodes its bits once.
        """
        with self._lock:
            found = self._verified.get((url, issuer))
        if found is None or found[0] is not credential:
            return None
        return found[1], found[2]

    def remember_verified(
        self, url: str, credential: Mapping[str, Any], issuer: str | None, result: Any, bits: bytes
    ) -> None:
        with self._lock:
            self._verified[(url, issuer)] = (credential, result, bits)

    def remember_revoked(self, url: str, index: int) -> None:
        """Record that ``index`` of ``url`` was seen revoked (revocation never reverts)."""
        with self._lock:
            self._revoked.add((url, index))

    def was_revoked(self, url: str, index: int) -> bool:
        with self._lock:
            return (url, index) in self._revoked


def _unretrievable(url: str, reason: Text | str) -> RetrievalError:
    return RetrievalError(
        Problem(
            STATUS_RETRIEVAL_ERROR,
            t("Status list not available"),
            t("The status list {url} could not be retrieved: {reason}.", url=url, reason=reason),
        )
    )


def check_bitstring_length(bitstring: bytes, status_size: int) -> None:
    """§3.2 step 7: a list shorter than 131,072 entries does not give herd privacy."""
    entries = len(bitstring) * 8 // status_size
    if entries < MIN_ENTRIES:
        raise fail(
            STATUS_LIST_LENGTH_ERROR,
            t("Status list too short"),
            t(
                "The status list has {entries:,} entries; at least {minimum:,} are required so "
                "that checking one credential does not single out its holder.",
                entries=entries,
                minimum=MIN_ENTRIES,
            ),
        )
