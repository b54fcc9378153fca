"""Resolve a proof's ``verificationMethod`` to a public key: did:key offline, did:web via a fetcher.

VC Data Integrity §4.? ("Retrieve Verification Method") and Controlled Identifiers 1.0 §3.3:
dereference the verification method's controller document, check the method is listed under
the proof's purpose (here ``assertionMethod``) and that its ``controller`` is the document's
subject. did:key documents are derived from the key itself (did:key spec §3.1); did:web
documents are fetched from ``https://<host>/.well-known/did.json`` or the path form (did:web
spec §3.2) with a caller-supplied :class:`~verifier.fetch.Fetcher`; without one, did:web cannot
be resolved and the proof check reports that, rather than guessing.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .fetch import Fetcher, FetchError
from .i18n import Text, t
from .jsonsafe import parse_json
from .multikey import (
    P256_PUB_HEADER,
    P384_PUB_HEADER,
    InvalidKeyError,
    PublicKey,
    decode_public_key_multibase,
    encode_base58btc,
    public_key_from_raw_ed25519,
)
from .problems import (
    INVALID_CONTROLLED_IDENTIFIER_DOCUMENT,
    INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID,
    INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD,
    INVALID_VERIFICATION_METHOD,
    INVALID_VERIFICATION_METHOD_URL,
    Problem,
    ProblemError,
    RetrievalError,
    fail,
)

MAX_DID_DOCUMENT_BYTES = 256 * 1024
ASSERTION_METHOD = "assertionMethod"
_RELATIONSHIPS = (
    "authentication",
    ASSERTION_METHOD,
    "keyAgreement",
    "capabilityInvocation",
    "capabilityDelegation",
)


@dataclass(frozen=True, slots=True)
class VerificationMethod:
    """One verification method of a controller document, with its decoded key."""

    id: str
    type: str
    controller: str
    public_key: PublicKey


@dataclass(frozen=True, slots=True)
class DIDDocument:
    """The parts of a DID (controller) document a verifier needs."""

    id: str
    methods: Mapping[str, VerificationMethod]
    relationships: Mapping[str, frozenset[str]]

    def method_for(self, method_id: str, purpose: str) -> VerificationMethod:
        """Return the method ``method_id`` if it is authorized for ``purpose``."""
        method = self.methods.get(method_id)
        if method is None:
            raise _invalid(t("The DID document of {did} has no key {key}.", did=self.id, key=method_id))
        if method_id not in self.relationships.get(purpose, frozenset()):
            raise _invalid(
                t(
                    "The key {key} is not authorized for {purpose} in the DID document of {did}; "
                    "it cannot sign credentials.",
                    key=method_id,
                    purpose=purpose,
                    did=self.id,
                ),
                INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD,
            )
        if method.controller != self.id:
            raise _invalid(
                t(
                    "The key {key} is controlled by {controller}, not {did}.",
                    key=method_id,
                    controller=method.controller,
                    did=self.id,
                )
            )
        return method


def _invalid(detail: Text, type_: str = INVALID_VERIFICATION_METHOD) -> ProblemError:
    return fail(type_, t("Unusable signing key"), detail)


# --- did:key ---------------------------------------------------------------------------------


def resolve_did_key(did: str) -> DIDDocument:
    """Derive the DID document of a ``did:key`` (Multikey verification method, no network)."""
    if not did.startswith("did:key:") or "#" in did:
        raise _invalid(t("{did} is not a did:key DID.", did=did))
    fingerprint = did[len("did:key:") :]
    try:
        key = decode_public_key_multibase(fingerprint)
    except InvalidKeyError as exc:
        raise _invalid(
            t("The did:key {did} does not hold a usable key: {reason}.", did=did, reason=str(exc))
        ) from None
    method_id = f"{did}#{fingerprint}"
    method = VerificationMethod(method_id, "Multikey", did, key)
    ids = frozenset({method_id})
    return DIDDocument(did, {method_id: method}, dict.fromkeys(_RELATIONSHIPS, ids))


# --- did:web ---------------------------------------------------------------------------------


_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def did_web_url(did: str, *, allow_loopback_http: bool = False) -> str:
    """Turn a ``did:web`` DID into the HTTPS URL of its document (did:web spec §3.2).

    With ``allow_loopback_http`` (local demos and tests only), a loopback host is reached over
    plain HTTP, since a local demo server has no certificate.
    """
    if not did.startswith("did:web:") or any(c in did for c in "#?/"):
        raise _invalid(t("{did} is not a did:web DID.", did=did))
    parts = did[len("did:web:") :].split(":")
    host = unquote(parts[0])
    if not host or any(c in host for c in "/@\\ ") or not all(parts):
        raise _invalid(t("{did} is not a valid did:web DID.", did=did))
    path = "/".join(unquote(p) for p in parts[1:])
    scheme = "http" if allow_loopback_http and host.rsplit(":", 1)[0] in _LOOPBACK_HOSTS else "https"
    return f"{scheme}://{host}/{path}/did.json" if path else f"{scheme}://{host}/.well-known/did.json"


def parse_did_document(document: Any, did: str) -> DIDDocument:
    """Read a DID document (plain JSON processing, CID 1.0 §3) for ``did``."""
    if not isinstance(document, dict):
        raise _invalid(
            t("The DID document of {did} is not a JSON object.", did=did),
            INVALID_CONTROLLED_IDENTIFIER_DOCUMENT,
        )
    if document.get("id") != did:
        raise _invalid(
            t(
                "The DID document fetched for {did} is about {other} instead.",
                did=did,
                other=str(document.get("id"))[:120],
            ),
            INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID,
        )
    methods: dict[str, VerificationMethod] = {}
    relationships: dict[str, set[str]] = {}

    def add(entry: Any) -> str:
        method = _parse_method(entry, did)
        previous = methods.get(method.id)
        if previous is not None and previous != method:
            raise _invalid(
                t(
                    "The DID document of {did} defines {key} twice, differently.",
                    did=did,
                    key=method.id,
                )
            )
        methods[method.id] = method
        return method.id

    raw_methods = document.get("verificationMethod", [])
    if not isinstance(raw_methods, list):
        raise _invalid(
            t(
                "The DID document of {did} has a malformed {name} list.",
                did=did,
                name="verificationMethod",
            )
        )
    for entry in raw_methods:
        add(entry)
    for relationship in _RELATIONSHIPS:
        raw = document.get(relationship, [])
        if not isinstance(raw, list):
            raise _invalid(
                t(
                    "The DID document of {did} has a malformed {name} list.",
                    did=did,
                    name=relationship,
                )
            )
        for item in raw:
            if isinstance(item, str):
                relationships.setdefault(relationship, set()).add(_absolute(item, did))
            else:
                relationships.setdefault(relationship, set()).add(add(item))
    return DIDDocument(did, methods, {k: frozenset(v) for k, v in relationships.items()})


def _absolute(reference: str, did: str) -> str:
    return did + reference if reference.startswith("#") else reference


def _parse_method(entry: Any, did: str) -> VerificationMethod:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise _invalid(t("The DID document of {did} has a verification method without an id.", did=did))
    method_id = _absolute(entry["id"], did)
    controller = entry.get("controller")
    if not isinstance(controller, str):
        raise _invalid(t("The verification method {key} has no controller.", key=method_id))
    type_ = entry.get("type")
    try:
        if type_ in ("Multikey", "Ed25519VerificationKey2020") and "publicKeyMultibase" in entry:
            key = decode_public_key_multibase(entry["publicKeyMultibase"])
            if type_ == "Ed25519VerificationKey2020" and key.algorithm != "Ed25519":
                raise InvalidKeyError("an Ed25519VerificationKey2020 must hold an Ed25519 key")
        elif type_ == "JsonWebKey" and isinstance(entry.get("publicKeyJwk"), dict):
            key = _public_key_from_jwk(entry["publicKeyJwk"])
        else:
            raise InvalidKeyError(f"unsupported verification method type {type_!r}")
    except InvalidKeyError as exc:
        raise _invalid(
            t(
                "The verification method {key} is unusable: {reason}.",
                key=method_id,
                reason=str(exc),
            )
        ) from None
    return VerificationMethod(method_id, str(type_), _absolute(controller, did), key)


def _public_key_from_jwk(jwk: Mapping[str, Any]) -> PublicKey:
    if "d" in jwk:
        raise InvalidKeyError("a public JWK must not contain the private key 'd'")
    if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
        return public_key_from_raw_ed25519(_b64url(jwk.get("x")))
    if jwk.get("kty") == "EC" and jwk.get("crv") in ("P-256", "P-384"):
        size = 32 if jwk["crv"] == "P-256" else 48
        x, y = _b64url(jwk.get("x")), _b64url(jwk.get("y"))
        if len(x) != size or len(y) != size:
            raise InvalidKeyError("EC JWK coordinates have the wrong length")
        compressed = bytes([2 + (y[-1] & 1)]) + x  # SEC 1 §2.3.3 point compression
        prefix = P256_PUB_HEADER if size == 32 else P384_PUB_HEADER
        return decode_public_key_multibase(encode_base58btc(prefix + compressed))
    raise InvalidKeyError("unsupported JWK (Ed25519, P-256 and P-384 are supported)")


def _b64url(value: Any) -> bytes:
    if not isinstance(value, str):
        raise InvalidKeyError("JWK coordinates must be base64url strings")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise InvalidKeyError("JWK coordinates are not base64url") from None


# --- Resolver --------------------------------------------------------------------------------


class DIDResolver:
    """Resolves DIDs to documents: did:key always, did:web only with a fetcher.

    ``documents`` pre-seeds known documents (a test, an offline bundle, the issuer's own DID).
    Resolved did:web documents are kept for the resolver's lifetime.
    """

    def __init__(
        self,
        *,
        fetch: Fetcher | None = None,
        documents: Mapping[str, Any] | None = None,
        allow_loopback_http: bool = False,
    ) -> None:
        self._fetch = fetch
        self._allow_loopback_http = allow_loopback_http
        self._cache: dict[str, DIDDocument] = {}
        for did, document in (documents or {}).items():
            self._cache[did] = parse_did_document(document, did)

    def resolve(self, did: str) -> DIDDocument:
        """Return the DID document of ``did``, or raise a problem saying why not."""
        cached = self._cache.get(did)
        if cached is not None:
            return cached
        if did.startswith("did:key:"):
            document = resolve_did_key(did)
        elif did.startswith("did:web:"):
            document = self._fetch_document(
                did, did_web_url(did, allow_loopback_http=self._allow_loopback_http)
            )
        elif did.startswith("https://"):
            # A controller document at an HTTPS URL (Controlled Identifiers 1.0 §3.3), as the
            # 1EdTech Open Badges test vector uses.
            document = self._fetch_document(did, did)
        else:
            method = ":".join(did.split(":", 2)[:2])
            raise _invalid(
                t(
                    "The DID method {method} is not supported (did:key and did:web are).",
                    method=method,
                )
            )
        self._cache[did] = document
        return document

    def _fetch_document(self, did: str, url: str) -> DIDDocument:
        if self._fetch is None:
            raise RetrievalError(
                Problem(
                    INVALID_CONTROLLED_IDENTIFIER_DOCUMENT,
                    t("Signing key not available"),
                    t(
                        "The document of {did} (which holds the signing key) is not cached here "
                        "and this verifier has no network access to fetch it.",
                        did=did,
                    ),
                )
            )
        try:
            response = self._fetch(url, accept="application/did+json, application/json")
        except FetchError as exc:
            raise RetrievalError(
                Problem(
                    INVALID_CONTROLLED_IDENTIFIER_DOCUMENT,
                    t("Signing key not available"),
                    t(
                        "The DID document of {did} could not be fetched: {reason}.",
                        did=did,
                        reason=exc.text,
                    ),
                )
            ) from None
        try:
            raw = parse_json(response.content, max_bytes=MAX_DID_DOCUMENT_BYTES)
        except ProblemError as exc:
            raise _invalid(
                t(
                    "The DID document of {did} is not valid JSON: {reason}",
                    did=did,
                    reason=exc.problem.detail,
                ),
                INVALID_CONTROLLED_IDENTIFIER_DOCUMENT,
            ) from None
        return parse_did_document(raw, did)

    def verification_method(self, method_id: str, purpose: str = ASSERTION_METHOD) -> VerificationMethod:
        """Dereference a verification method DID URL and check it may be used for ``purpose``."""
        if isinstance(method_id, str) and method_id.startswith("did:key:") and "#" not in method_id:
            # A bare did:key names its only key; the W3C Bitstring Status List examples use it.
            method_id = f"{method_id}#{method_id[len('did:key:') :]}"
        if (
            not isinstance(method_id, str)
            or "#" not in method_id
            or not method_id.startswith(("did:", "https://"))
        ):
            raise _invalid(
                t(
                    "The verification method {key} is not a DID URL (or HTTPS URL) with a fragment.",
                    key=str(method_id)[:120],
                ),
                INVALID_VERIFICATION_METHOD_URL,
            )
        did = method_id.split("#", 1)[0]
        return self.resolve(did).method_for(method_id, purpose)


__all__ = [
    "ASSERTION_METHOD",
    "DIDDocument",
    "DIDResolver",
    "VerificationMethod",
    "did_web_url",
    "parse_did_document",
    "resolve_did_key",
]
