"""Data Integrity proofs: add and verify, once for every cryptosuite.

The functions follow VC Data Integrity 1.0 §4 (Add Proof, Verify Proof, proof sets and chains)
and the shared shape of the cryptosuite algorithms (vc-di-eddsa §3.3, vc-di-ecdsa §3.2):

1. *transformation* — canonicalize the unsecured document;
2. *proof configuration* — the proof options without ``proofValue``, with the document's
   ``@context``, canonicalized the same way;
3. *hashing* — ``hashData = hash(canonical proof config) || hash(canonical document)``;
4. *serialization* — sign ``hashData``; ``proofValue`` is base58btc multibase.

Verification never trusts the proof's own claims about itself: the proof type, cryptosuite and
key type must agree, the purpose must be the expected one, the key must be authorized for that
purpose by its controller, and every proof of a proof set must verify.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature

from .._types import JsonObject
from ..canonical import CanonicalizationLimitError
from ..contexts import DocumentLoader
from ..datetimes import format_date_time_stamp, parse_date_time_stamp, utc_now
from ..dids import ASSERTION_METHOD, DIDResolver, VerificationMethod
from ..multikey import InvalidKeyError, Signer, decode_multibase, encode_base58btc
from ..problems import (
    CRYPTOGRAPHIC_SECURITY_ERROR,
    PARSING_ERROR,
    PROOF_GENERATION_ERROR,
    PROOF_VERIFICATION_ERROR,
    ProblemError,
    fail,
)
from .cryptosuites import ALL_CRYPTOSUITES, EDDSA_RDFC_2022, Cryptosuite
from .cryptosuites.base import DATA_INTEGRITY_PROOF

#: Default tolerance between the signer's clock and ours.
DEFAULT_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class VerifiedProof:
    """A proof that verified: which suite, which key, when."""

    cryptosuite: str
    verification_method: VerificationMethod
    proof_purpose: str
    created: datetime | None


def proofs_of(document: Mapping[str, Any]) -> list[JsonObject]:
    """The document's proofs as a list (a single proof object is a set of one)."""
    raw = document.get("proof")
    if raw is None:
        return []
    proofs = raw if isinstance(raw, list) else [raw]
    for index, proof in enumerate(proofs):
        if not isinstance(proof, dict):
            raise fail(PROOF_VERIFICATION_ERROR, "Malformed proof", "A proof must be a JSON object.", f"$.proof[{index}]")
    return proofs


def unsecured(document: Mapping[str, Any]) -> JsonObject:
    """The document without its ``proof`` (a shallow copy: values are shared, not copied)."""
    return {key: value for key, value in document.items() if key != "proof"}


# --- Creating ----------------------------------------------------------------------------------


def create_proof(
    document: Mapping[str, Any],
    signer: Signer,
    *,
    cryptosuite: Cryptosuite = EDDSA_RDFC_2022,
    created: datetime | None = None,
    proof_purpose: str = ASSERTION_METHOD,
    proof_id: str | None = None,
    previous_proof: str | list[str] | None = None,
    loader: DocumentLoader | None = None,
) -> JsonObject:
    """Create a proof over ``document`` (its existing proofs are not signed, except the
    ``previous_proof`` ones of a proof chain). Raises ``ValueError`` on misuse and
    :class:`~verifier.problems.ProblemError` (``PROOF_GENERATION_ERROR``) if the document
    cannot be signed losslessly.
    """
    if signer.algorithm not in cryptosuite.key_algorithms:
        raise ValueError(
            f"{cryptosuite.name} needs a {' or '.join(sorted(cryptosuite.key_algorithms))} key, "
            f"not {signer.algorithm}"
        )
    options: JsonObject = {"type": cryptosuite.proof_type}
    if proof_id is not None:
        options["id"] = proof_id
    if cryptosuite.is_data_integrity_proof:
        options["cryptosuite"] = cryptosuite.name
    options["created"] = format_date_time_stamp(created or utc_now())
    options["verificationMethod"] = signer.verification_method
    options["proofPurpose"] = proof_purpose
    if previous_proof is not None:
        options["previousProof"] = previous_proof
    if cryptosuite.proof_carries_context and "@context" in document:
        options["@context"] = copy.deepcopy(document["@context"])
    secured_input = _secured_input(document, options)
    try:
        hash_data = _hash_data(secured_input, options, cryptosuite, signer.algorithm, loader)
    except ProblemError as exc:
        raise fail(
            PROOF_GENERATION_ERROR, "Cannot sign this document", exc.problem.detail, exc.problem.path
        ) from exc
    options["proofValue"] = encode_base58btc(signer.sign(hash_data))
    return options


def add_proof(document: Mapping[str, Any], signer: Signer, **kwargs: Any) -> JsonObject:
    """Return a copy of ``document`` with a new proof added (VC Data Integrity §4.1)."""
    proof = create_proof(document, signer, **kwargs)
    secured = copy.deepcopy(dict(document))
    existing = proofs_of(document)
    secured["proof"] = [*existing, proof] if existing else proof
    return secured


# --- Verifying ---------------------------------------------------------------------------------


def verify_proofs(
    document: Mapping[str, Any],
    *,
    resolver: DIDResolver,
    expected_purpose: str = ASSERTION_METHOD,
    accepted_cryptosuites: Collection[str] | None = None,
    now: datetime | None = None,
    max_clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
    loader: DocumentLoader | None = None,
    expanded_unsecured: list[Any] | None = None,
) -> list[VerifiedProof]:
    """Verify every proof of ``document`` (a set, possibly with chains).

    ``expanded_unsecured`` is the strict expansion of the document without its proofs, when
    the caller already computed it (it is then not expanded again).

    Returns one :class:`VerifiedProof` per proof, in document order, or raises a
    :class:`~verifier.problems.ProblemError` naming the first proof that fails and why.
    """
    proofs = proofs_of(document)
    if not proofs:
        raise fail(PROOF_VERIFICATION_ERROR, "Not signed", "The document has no proof (it is not signed).", "$.proof")
    accepted = set(ALL_CRYPTOSUITES) if accepted_cryptosuites is None else set(accepted_cryptosuites)
    moment = now or utc_now()
    by_id = {p["id"]: p for p in proofs if isinstance(p.get("id"), str)}
    cache: dict[tuple[Any, ...], bytes] = {}
    results = []
    for index, proof in enumerate(proofs):
        path = "$.proof" if not isinstance(document.get("proof"), list) else f"$.proof[{index}]"
        try:
            results.append(
                _verify_one(
                    document,
                    proof,
                    by_id,
                    resolver,
                    expected_purpose,
                    accepted,
                    moment,
                    max_clock_skew,
                    loader,
                    cache,
                    expanded_unsecured,
                )
            )
        except ProblemError as exc:
            if exc.problem.path is None:
                raise fail(exc.problem.type, exc.problem.title, exc.problem.detail, path) from None
            raise
    return results


def _verify_one(
    document: Mapping[str, Any],
    proof: JsonObject,
    by_id: Mapping[str, JsonObject],
    resolver: DIDResolver,
    expected_purpose: str,
    accepted: set[str],
    now: datetime,
    skew: timedelta,
    loader: DocumentLoader | None,
    cache: dict[tuple[Any, ...], bytes],
    expanded_unsecured: list[Any] | None,
) -> VerifiedProof:
    suite = _suite_for(proof, accepted)
    for field in ("verificationMethod", "proofPurpose", "proofValue"):
        if not isinstance(proof.get(field), str) or not proof[field]:
            raise fail(PROOF_VERIFICATION_ERROR, "Malformed proof", f"The proof has no {field}.")
    purpose = proof["proofPurpose"]
    if purpose != expected_purpose:
        raise fail(
            PROOF_VERIFICATION_ERROR,
            "Wrong proof purpose",
            f"The proof was made for {purpose!r}, but a credential needs {expected_purpose!r}.",
        )
    created = _check_times(proof, now, skew)
    proof_value = proof["proofValue"]
    if not proof_value.startswith("z"):
        raise fail(PROOF_VERIFICATION_ERROR, "Malformed proof", "proofValue must be base58btc multibase (start with 'z').")
    try:
        signature = decode_multibase(proof_value)
    except InvalidKeyError as exc:
        raise fail(PROOF_VERIFICATION_ERROR, "Malformed proof", f"proofValue cannot be decoded: {exc}.") from None

    method = resolver.verification_method(proof["verificationMethod"], purpose)
    algorithm = method.public_key.algorithm
    if algorithm not in suite.key_algorithms:
        raise fail(
            PROOF_VERIFICATION_ERROR,
            "Key does not fit the cryptosuite",
            f"{suite.name} needs a {' or '.join(sorted(suite.key_algorithms))} key, but "
            f"{method.id} is a {algorithm} key.",
        )
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    secured_input = _secured_input(unsecured(document), options, by_id)
    expanded = expanded_unsecured if "proof" not in secured_input else None
    hash_data = _hash_data(secured_input, options, suite, algorithm, loader, cache, expanded)
    try:
        method.public_key.verify(signature, hash_data)
    except InvalidSignature:
        raise fail(
            CRYPTOGRAPHIC_SECURITY_ERROR,
            "Signature does not match",
            "The signature does not match the credential: its content was changed after it "
            "was signed, or it was not signed with this key.",
        ) from None
    return VerifiedProof(suite.name, method, purpose, created)


def _suite_for(proof: Mapping[str, Any], accepted: set[str]) -> Cryptosuite:
    proof_type = proof.get("type")
    if not isinstance(proof_type, str):
        raise fail(PROOF_VERIFICATION_ERROR, "Malformed proof", "The proof has no type.")
    if proof_type == DATA_INTEGRITY_PROOF:
        name = proof.get("cryptosuite")
        if not isinstance(name, str):
            raise fail(PROOF_VERIFICATION_ERROR, "Malformed proof", "The DataIntegrityProof has no cryptosuite.")
    else:
        name = proof_type
        if "cryptosuite" in proof:
            raise fail(PROOF_VERIFICATION_ERROR, "Malformed proof", f"A {proof_type} proof has no cryptosuite property.")
    suite = ALL_CRYPTOSUITES.get(name)
    if suite is None or suite.proof_type != proof_type:
        raise fail(
            PROOF_VERIFICATION_ERROR,
            "Unsupported cryptosuite",
            f"The proof uses {name!r}, which this verifier does not support.",
        )
    if name not in accepted:
        raise fail(
            PROOF_VERIFICATION_ERROR,
            "Cryptosuite not accepted",
            f"The proof uses {name!r}, which this verifier is configured not to accept.",
        )
    return suite


def _check_times(proof: Mapping[str, Any], now: datetime, skew: timedelta) -> datetime | None:
    created = None
    if "created" in proof:
        created = parse_date_time_stamp(proof["created"])
        if created is None:
            raise fail(PROOF_VERIFICATION_ERROR, "Malformed proof", "The proof's created date is not a valid dateTimeStamp.")
        if created > now + skew:
            raise fail(
                PROOF_VERIFICATION_ERROR,
                "Proof created in the future",
                f"The proof claims to have been created at {proof['created']}, which is in the future.",
            )
    if "expires" in proof:
        expires = parse_date_time_stamp(proof["expires"])
        if expires is None:
            raise fail(PROOF_VERIFICATION_ERROR, "Malformed proof", "The proof's expires date is not a valid dateTimeStamp.")
        if expires < now - skew:
            raise fail(
                PROOF_VERIFICATION_ERROR,
                "Proof expired",
                f"The proof expired at {proof['expires']}.",
            )
    return created


def _secured_input(
    unsecured_document: Mapping[str, Any],
    options: Mapping[str, Any],
    by_id: Mapping[str, JsonObject] | None = None,
) -> JsonObject:
    """The document a proof covers: unsecured, plus its ``previousProof`` proofs (§4.4)."""
    document = {key: value for key, value in unsecured_document.items() if key != "proof"}
    previous = options.get("previousProof")
    if previous is None:
        return document
    ids = [previous] if isinstance(previous, str) else previous
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise fail(PROOF_VERIFICATION_ERROR, "Malformed proof", "previousProof must be a proof id or a list of them.")
    if by_id is None:
        by_id = {p["id"]: p for p in proofs_of(unsecured_document) if isinstance(p.get("id"), str)}
    matching = []
    for proof_id in ids:
        if proof_id not in by_id:
            raise fail(PROOF_VERIFICATION_ERROR, "Broken proof chain", f"previousProof names {proof_id!r}, which is not in the document.")
        matching.append(by_id[proof_id])
    document["proof"] = matching
    return document


def _hash_data(
    secured_input: Mapping[str, Any],
    options: Mapping[str, Any],
    suite: Cryptosuite,
    algorithm: Any,
    loader: DocumentLoader | None,
    cache: dict[tuple[Any, ...], bytes] | None = None,
    expanded: list[Any] | None = None,
) -> bytes:
    """Transformation, proof configuration and hashing (vc-di-eddsa §3.3.2–3.3.4)."""
    hash_name = suite.hash_name(algorithm)
    key = (suite.canonicalize, hash_name, tuple(p.get("id") for p in secured_input.get("proof", [])))
    try:
        canonical_document = cache.get(key) if cache is not None else None
        if canonical_document is None:
            canonical_document = suite.canonicalize(secured_input, hash_name, loader, expanded)
            if cache is not None:
                cache[key] = canonical_document
        config = _proof_configuration(options, secured_input, suite)
        canonical_config = suite.canonicalize(config, hash_name, loader, None)
    except CanonicalizationLimitError as exc:
        raise fail(PARSING_ERROR, "Document too complex", str(exc).capitalize() + ".") from None
    return suite.hash(canonical_config, algorithm) + suite.hash(canonical_document, algorithm)


def _proof_configuration(
    options: Mapping[str, Any], document: Mapping[str, Any], suite: Cryptosuite
) -> JsonObject:
    """The proof options plus the document's ``@context`` (vc-di-eddsa §3.3.5, §3.4.5)."""
    if "created" in options and parse_date_time_stamp(options["created"]) is None:
        raise fail(PROOF_VERIFICATION_ERROR, "Malformed proof", "The proof's created date is not a valid dateTimeStamp.")
    context = document.get("@context")
    contexts = list(context) if isinstance(context, list) else [context]
    if "@context" in options:
        # Only the JCS suites put the document's context into the proof, and it must be a
        # prefix of the document's own (vc-di-eddsa §3.4.2 step 3).
        own = options["@context"]
        own_list = list(own) if isinstance(own, list) else [own]
        if not suite.proof_carries_context or own_list != contexts[: len(own_list)]:
            raise fail(
                PROOF_VERIFICATION_ERROR,
                "Malformed proof",
                "The proof carries an @context that does not match the document's.",
            )
        return dict(options)
    if suite.proof_context is not None and suite.proof_context not in contexts:
        contexts.append(suite.proof_context)
    config: JsonObject = dict(options)
    config["@context"] = contexts
    return config
