"""QR format ``MC1``: a signed summary credential in a QR code that scans from a printed page.

Like the EU Digital COVID Certificate on paper, the QR code carries a signed, compressed
payload behind a versioned prefix, so a verifier needs nothing from the issuer at scan time
(a cached DID document and status list are enough). What it carries is a VC 2.0
:mod:`summary credential <verifier.summary_credential>` signed with ``eddsa-rdfc-2022``; the
decoder rebuilds that credential exactly, and :func:`verifier.verify_credential` verifies it
like any other.

The QR text is ``{verifier_url}#MC1:{digits}``: a phone camera opens the verifier page, and the
payload stays in the URL fragment, which browsers never send to a server (RFC 3986 §3.5).
The digits are the payload bytes as one base-10 number, so the QR code holds them in numeric
mode at 3⅓ bits per digit (8.03 bits per byte; base32 in alphanumeric mode costs 8.8, base45
8.25 and its space and ``%`` are not allowed in a fragment). The payload is::

    flags (1 byte) || signature (64) || digest (32) || [uuid (16)] || [did:key (32)] || record

where *record* is raw DEFLATE (RFC 1951), primed with :data:`~verifier.qr_dictionary.DICTIONARY`,
of the remaining fields in a fixed order. Everything the format fixes (contexts, types, the
proof's suite and purpose, the JSON structure) is implied by the version and never sent. The
measurements behind these choices and the byte-exact layout are in ``docs/qr-format.md``.

Decoding is for untrusted input: every length is bounded before work is done, decompression
stops at :data:`MAX_RECORD_BYTES`, and every malformed input raises :class:`QRPayloadError`
with a message for people, never another exception.
"""

from __future__ import annotations

import hashlib
import re
import uuid
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from .canonical import canonize_jcs
from .datetimes import format_date_time_stamp, parse_date_time_stamp
from .i18n import Text, t
from .multikey import decode_multibase, encode_base58btc, encode_base64url
from .qr_dictionary import DICTIONARY
from .summary_credential import CertificateSummary, SummaryStatusEntry

FORMAT_VERSION = 1
PREFIX = f"MC{FORMAT_VERSION}:"
#: Longest QR text accepted (a version 40 QR code holds at most 7,089 digits).
MAX_TEXT_CHARS = 8_000
#: Longest payload in digits, well under Python's 4,300-digit integer conversion limit ...
MAX_DIGITS = 4_000
#: ... and in bytes: the most whose padded width (3,998 digits) stays within MAX_DIGITS.
MAX_PAYLOAD_BYTES = 1_660
#: The decompressed record may not exceed this (a zip bomb stops here).
MAX_RECORD_BYTES = 8_192
MAX_TEXT_FIELD_BYTES = 1_024
MAX_STATUS_ENTRIES = 8

_ISSUER_DID_KEY = 0x01
_RELATED_UUID = 0x02
_VALID_UNTIL = 0x04
_CREATED_DIFFERS = 0x08
_KNOWN_FLAGS = _ISSUER_DID_KEY | _RELATED_UUID | _VALID_UNTIL | _CREATED_DIFFERS

_DID_KEY = "did:key:"
_ED25519_MULTICODEC = b"\xed\x01"
_SHA2_256_MULTIHASH = b"\x12\x20"
_MULTIHASH = {0x12: ("sha256", 32), 0x20: ("sha384", 48)}
_URN_UUID = "urn:uuid:"
_PROOF_CONSTANTS = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-rdfc-2022",
    "proofPurpose": "assertionMethod",
}
_PREFIX_PATTERN = re.compile(r"MC([0-9]{1,4}):")
_NUMBER = re.compile(r"(0|[1-9][0-9]{0,8})(\.[0-9]{0,5}[1-9])?")
_LOG10_256 = 2.408239965311849
_LATEST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z


class QRPayloadError(ValueError):
    """A QR text that is not a readable ``MC1`` payload, or a summary that cannot become one."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = message


# --- Public API ----------------------------------------------------------------------------------


def encode_qr_text(summary: Mapping[str, Any], verifier_url: str) -> str:
    """The QR text for a *signed* summary credential: ``{verifier_url}#MC1:{digits}``.

    Raises :class:`QRPayloadError` if ``verifier_url`` is not an absolute http(s) URL without
    a fragment, or if ``summary`` is not of the fixed summary shape (then it could not be
    rebuilt exactly, and its signature would not verify). The result is checked by decoding it.
    """
    _check_verifier_url(verifier_url)
    try:
        facts, proof = _read_signed_summary(summary)
        payload = _encode_payload(facts, proof)
    except ValueError as exc:
        raise QRPayloadError(
            t("The QR code cannot carry this summary credential: {reason}", reason=str(exc))
        ) from exc
    text = f"{verifier_url}#{PREFIX}{_to_digits(payload)}"
    if len(text) > MAX_TEXT_CHARS or decode_qr_text(text) != dict(summary):
        raise QRPayloadError(
            t(
                "The QR code cannot carry this summary credential: {reason}",
                reason=t("it does not decode back to the same credential."),
            )
        )
    return text


def decode_qr_text(text: str | bytes) -> dict[str, Any]:
    """The signed summary credential a QR text carries (verify it with ``verify_credential``).

    Accepts the whole URL, any URL whose fragment holds the payload, or the bare ``MC1:…``
    payload. Raises :class:`QRPayloadError` for anything else.
    """
    digits = _payload_digits(text)
    payload = _from_digits(digits)
    return _decode_payload(payload)


def related_resource_digest(credential: Mapping[str, Any]) -> str:
    """``digestMultibase`` of a credential: SHA-256 multihash of its JCS bytes, base64url.

    The bytes are the RFC 8785 (JCS) serialization of the signed credential, proof included,
    so any change to the credential or its proof changes the digest (VC 2.0 §5.3).
    """
    return encode_base64url(_SHA2_256_MULTIHASH + hashlib.sha256(_jcs(credential)).digest())


def check_related_resource(summary: Mapping[str, Any], credential: Mapping[str, Any]) -> None:
    """Check that ``summary`` (a verified summary credential) belongs to ``credential``.

    VC Data Model 2.0 §5.3: a verifier that uses a related resource MUST compute its digest
    and MUST produce an error when it does not match. Raises :class:`QRPayloadError` if the
    summary names another credential or the digest differs.
    """
    related = summary.get("relatedResource")
    entries = [e for e in (related if isinstance(related, list) else [related]) if isinstance(e, Mapping)]
    if not entries:
        raise QRPayloadError(t("The QR code's summary does not name the credential it belongs to."))
    matching = [e for e in entries if e.get("id") == credential.get("id")]
    if not matching:
        raise QRPayloadError(
            t(
                "The QR code belongs to credential {expected}, but this credential is {actual}.",
                expected=", ".join(str(e.get("id")) for e in entries),
                actual=str(credential.get("id")),
            )
        )
    expected = matching[0].get("digestMultibase")
    try:
        multihash = decode_multibase(expected) if isinstance(expected, str) else b""
    except ValueError:
        multihash = b""
    algorithm = _MULTIHASH.get(multihash[0]) if len(multihash) > 2 else None
    if algorithm is None or multihash[1] != algorithm[1] or len(multihash) != 2 + algorithm[1]:
        raise QRPayloadError(
            t("The QR code's summary gives the credential's digest in a form this verifier does not know.")
        )
    if hashlib.new(algorithm[0], _jcs(credential)).digest() != multihash[2:]:
        raise QRPayloadError(
            t("This credential differs from the one its QR code was issued for: the digests do not match.")
        )


# --- Summary credential → payload --------------------------------------------------------------


def _read_signed_summary(summary: Mapping[str, Any]) -> tuple[CertificateSummary, dict[str, Any]]:
    if not isinstance(summary, Mapping):
        raise ValueError("the summary credential must be a JSON object")
    proof = summary.get("proof")
    if not isinstance(proof, Mapping) or set(proof) != {
        *_PROOF_CONSTANTS,
        "created",
        "verificationMethod",
        "proofValue",
    }:
        raise ValueError("it must have exactly one eddsa-rdfc-2022 proof")
    if any(proof[key] != value for key, value in _PROOF_CONSTANTS.items()):
        raise ValueError("its proof must be an eddsa-rdfc-2022 assertionMethod proof")
    return CertificateSummary.from_credential(summary), dict(proof)


def _encode_payload(facts: CertificateSummary, proof: Mapping[str, Any]) -> bytes:
    flags = 0
    head = bytearray()
    signature = _multibase(_string(proof["proofValue"]), "z")
    if len(signature) != 64:
        raise ValueError("the proofValue must be a 64-byte Ed25519 signature")
    digest = _multibase(facts.related_digest, "u")
    if len(digest) != 34 or digest[:2] != _SHA2_256_MULTIHASH:
        raise ValueError("the relatedResource digest must be a SHA-256 multihash (uEiA…)")
    head += signature + digest[2:]
    record = _Writer()
    related_uuid = _uuid_bytes(facts.related_id)
    if related_uuid is not None:
        flags |= _RELATED_UUID
        head += related_uuid
    issuer_key = _did_key_bytes(facts.issuer)
    if issuer_key is not None:
        flags |= _ISSUER_DID_KEY
        head += issuer_key
    else:
        record.text(facts.issuer)
    valid_from = _seconds(facts.valid_from)
    record.uint(valid_from)
    if facts.valid_until is not None:
        flags |= _VALID_UNTIL
        record.uint(_seconds(facts.valid_until))
    created = _seconds(_string(proof["created"]))
    if created != valid_from:
        flags |= _CREATED_DIFFERS
        record.uint(created)
    record.text(_fragment(facts.issuer, _string(proof["verificationMethod"])))
    record.text(facts.micro_major_code)
    record.text(facts.certificate_number)
    record.text(facts.learner_name)
    record.text(facts.micro_major_name)
    record.text(facts.college_name)
    record.uint(facts.course_count)
    record.number(facts.credits_earned)
    record.text(facts.credit_system_name)
    record.number(facts.hours_per_credit)
    if len(facts.status) > MAX_STATUS_ENTRIES:
        raise ValueError(f"it has more than {MAX_STATUS_ENTRIES} status entries")
    record.uint(len(facts.status))
    for entry in facts.status:
        record.text(entry.purpose)
        record.text(entry.list_url)
        record.uint(entry.index)
        record.uint(1 if entry.with_id else 0)
    if related_uuid is None:
        record.text(facts.related_id)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, zdict=DICTIONARY)
    return bytes([flags]) + bytes(head) + compressor.compress(bytes(record.data)) + compressor.flush()


class _Writer:
    """Record fields: UTF-8 text ended by NUL, LEB128 unsigned integers, JCS numbers as text."""

    def __init__(self) -> None:
        self.data = bytearray()

    def text(self, value: str) -> None:
        raw = value.encode("utf-8")
        if b"\x00" in raw or len(raw) > MAX_TEXT_FIELD_BYTES:
            raise ValueError(f"a text field contains NUL or is longer than {MAX_TEXT_FIELD_BYTES} bytes")
        self.data += raw + b"\x00"

    def uint(self, value: int) -> None:
        if value < 0 or value >= 2**63:
            raise ValueError("an integer field is out of range")
        while True:
            byte, value = value & 0x7F, value >> 7
            self.data.append(byte | (0x80 if value else 0))
            if not value:
                return

    def number(self, value: int | float) -> None:
        text = _jcs(value).decode("ascii")
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"the number {text} is outside what the format carries")
        self.text(text)


# --- Payload → summary credential ----------------------------------------------------------------


def _damaged(reason: Text) -> QRPayloadError:
    return QRPayloadError(t("The QR code is damaged or was scanned incompletely: {reason}", reason=reason))


def _decode_payload(payload: bytes) -> dict[str, Any]:
    reader = _Reader(payload)
    flags = reader.byte()
    if flags & ~_KNOWN_FLAGS:
        raise _damaged(t("unknown flags are set."))
    signature = reader.take(64)
    digest = reader.take(32)
    related_id = _URN_UUID + str(uuid.UUID(bytes=reader.take(16))) if flags & _RELATED_UUID else None
    issuer = (
        _DID_KEY + encode_base58btc(_ED25519_MULTICODEC + reader.take(32))
        if flags & _ISSUER_DID_KEY
        else None
    )
    record = _Reader(_inflate(reader.rest()))
    if issuer is None:
        issuer = record.text()
    valid_from = record.date()
    valid_until = record.date() if flags & _VALID_UNTIL else None
    created = record.date() if flags & _CREATED_DIFFERS else valid_from
    fragment = record.text()
    if not fragment:
        if not flags & _ISSUER_DID_KEY:
            raise _damaged(t("a field has a value the format does not define."))
        fragment = issuer[len(_DID_KEY) :]
    # Keyword arguments are evaluated left to right: the record's field order.
    summary = CertificateSummary(
        issuer=issuer,
        valid_from=valid_from,
        valid_until=valid_until,
        micro_major_code=record.text(),
        certificate_number=record.text(),
        learner_name=record.text(),
        micro_major_name=record.text(),
        college_name=record.text(),
        course_count=record.uint(),
        credits_earned=record.number(),
        credit_system_name=record.text(),
        hours_per_credit=record.number(),
        status=_read_status(record),
        related_id=related_id if related_id is not None else record.text(),
        related_digest=encode_base64url(_SHA2_256_MULTIHASH + digest),
    )
    record.end()
    document = summary.credential()
    document["proof"] = {
        "type": _PROOF_CONSTANTS["type"],
        "cryptosuite": _PROOF_CONSTANTS["cryptosuite"],
        "created": created,
        "verificationMethod": f"{issuer}#{fragment}",
        "proofPurpose": _PROOF_CONSTANTS["proofPurpose"],
        "proofValue": encode_base58btc(signature),
    }
    return document


def _read_status(record: _Reader) -> tuple[SummaryStatusEntry, ...]:
    count = record.uint()
    if count > MAX_STATUS_ENTRIES:
        raise _damaged(t("it lists too many status entries."))
    entries = []
    for _ in range(count):
        purpose, list_url, index, with_id = record.text(), record.text(), record.uint(), record.uint()
        if with_id > 1:
            raise _damaged(t("a field has a value the format does not define."))
        entries.append(SummaryStatusEntry(purpose, list_url, index, bool(with_id)))
    return tuple(entries)


class _Reader:
    """Reads what :class:`_Writer` wrote, refusing anything out of shape."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._position = 0

    def byte(self) -> int:
        return self.take(1)[0]

    def take(self, count: int) -> bytes:
        end = self._position + count
        if end > len(self._data):
            raise _damaged(t("the payload ends too early."))
        chunk, self._position = self._data[self._position : end], end
        return chunk

    def rest(self) -> bytes:
        chunk, self._position = self._data[self._position :], len(self._data)
        return chunk

    def text(self) -> str:
        end = self._data.find(b"\x00", self._position)
        if end < 0:
            raise _damaged(t("the payload ends too early."))
        raw = self.take(end - self._position)
        self._position += 1
        if len(raw) > MAX_TEXT_FIELD_BYTES:
            raise _damaged(t("a text field is too long."))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _damaged(t("a text field is not valid UTF-8.")) from None

    def uint(self) -> int:
        value = 0
        for shift in range(0, 63, 7):
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if byte == 0 and shift:
                    raise _damaged(t("a number is not in canonical form."))
                return value
        raise _damaged(t("a number is not in canonical form."))

    def number(self) -> int | float:
        text = self.text()
        if not _NUMBER.fullmatch(text):
            raise _damaged(t("a number is not in canonical form."))
        return float(text) if "." in text else int(text)

    def date(self) -> str:
        seconds = self.uint()
        if seconds > _LATEST_SECOND:
            raise _damaged(t("a date is out of range."))
        return format_date_time_stamp(datetime.fromtimestamp(seconds, UTC))

    def end(self) -> None:
        if self._position != len(self._data):
            raise _damaged(t("there is data after the last field."))


def _inflate(stream: bytes) -> bytes:
    """Raw DEFLATE with the format's dictionary, stopped at :data:`MAX_RECORD_BYTES`."""
    inflater = zlib.decompressobj(-15, zdict=DICTIONARY)
    try:
        record = inflater.decompress(stream, MAX_RECORD_BYTES + 1)
    except zlib.error:
        raise _damaged(t("the compressed data is corrupt.")) from None
    if len(record) > MAX_RECORD_BYTES or inflater.unconsumed_tail:
        raise _damaged(t("the compressed data expands beyond {limit} bytes.", limit=MAX_RECORD_BYTES))
    if not inflater.eof:
        raise _damaged(t("the payload ends too early."))
    if inflater.unused_data:
        raise _damaged(t("there is data after the last field."))
    return record


# --- Text, digits and bytes --------------------------------------------------------------------


def _payload_digits(text: str | bytes) -> str:
    """The digits after ``MC1:`` in a URL's fragment or a bare payload."""
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise QRPayloadError(t("This is not a microcred certificate QR code.")) from None
    if not isinstance(text, str):
        raise QRPayloadError(t("This is not a microcred certificate QR code."))
    if len(text) > MAX_TEXT_CHARS:
        raise QRPayloadError(t("The QR code text is too long ({length} characters).", length=len(text)))
    payload = text.strip().partition("#")[2] or text.strip()
    if "%" in payload:  # a scanner or a share sheet may have percent-encoded the ':'
        payload = unquote(payload)
    match = _PREFIX_PATTERN.match(payload)
    if match is None:
        raise QRPayloadError(t("This is not a microcred certificate QR code."))
    if int(match.group(1)) != FORMAT_VERSION:
        raise QRPayloadError(
            t(
                "This QR code uses format MC{version}, which this verifier does not support.",
                version=match.group(1),
            )
        )
    digits = payload[match.end() :]
    if not digits:
        raise _damaged(t("the payload ends too early."))
    if not digits.isascii() or not digits.isdigit():
        raise _damaged(t("the payload must be digits only."))
    if len(digits) > MAX_DIGITS:
        raise QRPayloadError(t("The QR code text is too long ({length} characters).", length=len(text)))
    return digits


def _digit_count(byte_count: int) -> int:
    """How many decimal digits the largest ``byte_count``-byte number has (the padded width)."""
    return len(str(256**byte_count - 1)) if byte_count else 0


def _to_digits(payload: bytes) -> str:
    """The payload as one big-endian number in base 10, zero-padded to its fixed width."""
    if not payload or len(payload) > MAX_PAYLOAD_BYTES:
        raise QRPayloadError(
            t(
                "The QR code cannot carry this summary credential: {reason}",
                reason=t("the payload is too long."),
            )
        )
    return str(int.from_bytes(payload, "big")).zfill(_digit_count(len(payload)))


def _from_digits(digits: str) -> bytes:
    estimate = int(len(digits) / _LOG10_256)
    for byte_count in (estimate, estimate + 1, estimate - 1):
        if byte_count > 0 and _digit_count(byte_count) == len(digits):
            value = int(digits)
            if value >= 256**byte_count:
                raise _damaged(t("the payload has an impossible length."))
            return value.to_bytes(byte_count, "big")
    raise _damaged(t("the payload has an impossible length."))


# --- Field forms -------------------------------------------------------------------------------


def _check_verifier_url(url: str) -> None:
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or "#" in url
        or not url.isascii()
        or any(c.isspace() or ord(c) < 0x20 for c in url)
        or len(url) > 512
    ):
        raise QRPayloadError(
            t(
                "The verifier URL {url} must be an absolute http(s) URL without a fragment.",
                url=str(url)[:200],
            )
        )


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a proof field is not a string")
    return value


def _multibase(value: str, prefix: str) -> bytes:
    if not value.startswith(prefix):
        raise ValueError(f"{value[:12]}… is not multibase '{prefix}'")
    return decode_multibase(value)


def _uuid_bytes(identifier: str) -> bytes | None:
    """16 bytes if ``identifier`` is a canonical (lowercase) ``urn:uuid:``, else ``None``."""
    if not identifier.startswith(_URN_UUID):
        return None
    try:
        parsed = uuid.UUID(identifier[len(_URN_UUID) :])
    except ValueError:
        return None
    return parsed.bytes if _URN_UUID + str(parsed) == identifier else None


def _did_key_bytes(issuer: str) -> bytes | None:
    """The 32-byte key of an Ed25519 ``did:key`` in its canonical form, else ``None``."""
    if not issuer.startswith(_DID_KEY + "z6Mk"):
        return None
    try:
        raw = decode_multibase(issuer[len(_DID_KEY) :])
    except ValueError:
        return None
    return raw[2:] if len(raw) == 34 and raw[:2] == _ED25519_MULTICODEC else None


def _fragment(issuer: str, verification_method: str) -> str:
    """The verification method's fragment; empty for did:key's ``{did}#{method-specific id}``."""
    base, hash_sign, fragment = verification_method.partition("#")
    if base != issuer or not hash_sign or not fragment:
        raise ValueError("the verification method must be {issuer}#{fragment}")
    if issuer.startswith(_DID_KEY) and fragment == issuer[len(_DID_KEY) :]:
        return ""
    return fragment


def _seconds(value: str) -> int:
    parsed = parse_date_time_stamp(value)
    if parsed is None or format_date_time_stamp(parsed) != value or parsed.timestamp() < 0:
        raise ValueError(f"the date {value!r} is not in whole UTC seconds (YYYY-MM-DDThh:mm:ssZ)")
    return int(parsed.timestamp())


def _jcs(value: Any) -> bytes:
    try:
        return canonize_jcs(value)
    except (TypeError, ValueError) as exc:
        raise QRPayloadError(
            t("The credential cannot be serialized for its digest: {reason}", reason=str(exc))
        ) from None
