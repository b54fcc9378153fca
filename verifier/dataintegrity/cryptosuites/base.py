"""What a cryptosuite is: a name, a proof type, key types, a canonicalization and a hash."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ...canonical import canonize_jcs, canonize_quads
from ...contexts import DocumentLoader
from ...linkeddata import strict_expand
from ...memo import Memo, content_key
from ...multikey import Algorithm
from ...rdf import expanded_to_quads

DATA_INTEGRITY_PROOF = "DataIntegrityProof"
_CANONICAL: Memo[bytes] = Memo(256)

#: Canonicalizes a JSON-LD document given the hash the suite uses ("sha256" / "sha384"). The
#: last argument is the document's strict expansion when the caller already has it.
Canonicalizer = Callable[[Mapping[str, Any], str, DocumentLoader | None, list[Any] | None], bytes]


def rdfc_canonicalize(
    document: Mapping[str, Any],
    hash_name: str,
    loader: DocumentLoader | None,
    expanded: list[Any] | None = None,
) -> bytes:
    """RDFC-1.0 of the strictly expanded document (the *-rdfc-* suites' transformation).

    Memoized by content and hash (:mod:`verifier.memo`), like the expansion itself.
    """

    def compute() -> bytes:
        tree = expanded if expanded is not None else strict_expand(document, loader)
        return canonize_quads(expanded_to_quads(tree), hash_algorithm=hash_name).encode("utf-8")

    key = content_key(document)
    return _CANONICAL.get_or_compute(None if key is None else (id(loader), hash_name, key), compute)


def jcs_canonicalize(
    document: Mapping[str, Any],
    hash_name: str,
    loader: DocumentLoader | None,
    expanded: list[Any] | None = None,
) -> bytes:
    """RFC 8785 JCS (the *-jcs-* suites' transformation); the JSON-LD is still checked strictly.

    JCS signs the JSON itself, so undefined terms *are* signed; they are refused anyway, because
    a verifier could not say what they mean.
    """
    if expanded is None:
        strict_expand(document, loader)
    return canonize_jcs(dict(document))


@dataclass(frozen=True, slots=True)
class Cryptosuite:
    """A Data Integrity cryptosuite, as the spec's algorithms parameterise it."""

    #: The ``cryptosuite`` value (DataIntegrityProof) or the legacy proof ``type``.
    name: str
    #: The proof ``type`` this suite produces.
    proof_type: str
    #: Key types a verification method may have for this suite.
    key_algorithms: frozenset[Algorithm]
    canonicalize: Canonicalizer
    #: Context the proof configuration needs beyond the document's own (legacy suites only).
    proof_context: str | None = None
    #: The *-jcs-* suites copy the document's ``@context`` into the proof itself.
    proof_carries_context: bool = False

    def hash_name(self, algorithm: Algorithm) -> str:
        """The hash for this key type: SHA-384 for P-384 (ecdsa-2019 §3.?), SHA-256 otherwise."""
        return "sha384" if algorithm == "P-384" else "sha256"

    def hash(self, data: bytes, algorithm: Algorithm) -> bytes:
        return hashlib.new(self.hash_name(algorithm), data).digest()

    @property
    def is_data_integrity_proof(self) -> bool:
        return self.proof_type == DATA_INTEGRITY_PROOF
