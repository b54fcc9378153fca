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
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature

from .._types import JsonObject
from ..canonical import CanonicalizationLimitError
from ..contexts import DocumentLoader
from ..datetimes import format_date_time_stamp, parse_date_time_stamp, utc_now
from ..dids import ASSERTION_METHOD, DIDResolver, VerificationMethod
from ..i18n import t
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
            raise fail(
                PROOF_VERIFICATION_ERROR,
                t("Malformed proof"),
                t("A proof must be a JSON object."),
                f"$.proof[{index}]",
            )
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
    expires: datetime | None = None,
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
    if expires is not None:
        options["expires"] = format_date_time_stamp(expires)
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
            PROOF_GENERATION_ERROR,
            t("Cannot sign this document"),
            exc.problem.detail,
            exc.problem.path,
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
        raise fail(
            PROOF_VERIFICATION_ERROR,
            t("Not signed"),
            t("The document has no proof (it is not signed)."),
            "$.proof",
        )
    run = _ProofRun(
        document=document,
        by_id={p["id"]: p for p in proofs if isinstance(p.get("id"), str)},
        resolver=resolver,
        expected_purpose=expected_purpose,
        accepted=set(ALL_CRYPTOSUITES) if accepted_cryptosuites is None else set(accepted_cryptosuites),
        now=now or utc_now(),
        skew=max_clock_skew,
        loader=loader,
        expanded_unsecured=expanded_unsecured,
    )
    results = []
    for index, proof in enumerate(proofs):
        path = "$.proof" if not isinstance(document.get("proof"), list) else f"$.proof[{index}]"
        try:
            results.append(_verify_one(run, proof))
        except ProblemError as exc:
            if exc.problem.path is None:  # say which proof, keeping the kind of error
                raise type(exc)(replace(exc.problem, path=path)) from None
            raise
    return results


@dataclass
class _ProofRun:
    """What every proof of one document is verified against."""

    document: Mapping[str, Any]
    by_id: Mapping[str, JsonObject]
    resolver: DIDResolver
    expected_purpose: str
    accepted: set[str]
    now: datetime
    skew: timedelta
    loader: DocumentLoader | None
    expanded_unsecured: list[Any] | None
    #: Canonical documents already computed (a proof set signs the same document N times).
    canonical: dict[tuple[Any, ...], bytes] = field(default_factory=dict)


def _verify_one(run: _ProofRun, proof: JsonObject) -> VerifiedProof:
    expected_purpose = run.expected_purpose
    suite = _suite_for(proof, run.accepted)
    for name in ("verificationMethod", "proofPurpose", "proofValue"):
        if not isinstance(proof.get(name), str) or not proof[name]:
            raise fail(
                PROOF_VERIFICATION_ERROR,
                t("Malformed proof"),
                t("The proof has no {field}.", field=name),
            )
    purpose = proof["proofPurpose"]
    if purpose != expected_purpose:
        raise fail(
            PROOF_VERIFICATION_ERROR,
            t("Wrong proof purpose"),
            t(
                "The proof was made for {purpose}, but a credential needs {expected}.",
                purpose=purpose,
                expected=expected_purpose,
            ),
        )
    created = _check_times(proof, run.now, run.skew)
    proof_value = proof["proofValue"]
    if not proof_value.startswith("z"):
        raise fail(
            PROOF_VERIFICATION_ERROR,
            t("Malformed proof"),
            t("proofValue must be base58btc multibase (start with 'z')."),
        )
    try:
        signature = decode_multibase(proof_value)
    except InvalidKeyError as exc:
        raise fail(
            PROOF_VERIFICATION_ERROR,
            t("Malformed proof"),
            t("proofValue cannot be decoded: {reason}.", reason=str(exc)),
        ) from None

    method = run.resolver.verification_method(proof["verificationMethod"], purpose)
    algorithm = method.public_key.algorithm
    if algorithm not in suite.key_algorithms:
        raise fail(
            PROOF_VERIFICATION_ERROR,
            t("Key does not fit the cryptosuite"),
            t(
                "{suite} needs a {needed} key, but {key} is a {algorithm} key.",
                suite=suite.name,
                needed=" / ".join(sorted(suite.key_algorithms)),
                key=method.id,
                algorithm=algorithm,
            ),
        )
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    secured_input = _secured_input(unsecured(run.document), options, run.by_id)
    expanded = run.expanded_unsecured if "proof" not in secured_input else None
    hash_data = _hash_data(
        secured_input, options, suite, algorithm, run.loader, cache=run.canonical, expanded=expanded
    )
    try:
        method.public_key.verify(signature, hash_data)
    except InvalidSignature:
        raise fail(
            CRYPTOGRAPHIC_SECURITY_ERROR,
            t("Signature does not match"),
            t(
                "The signature does not match the credential: its content was changed after it "
                "was signed, or it was not signed with this key."
            ),
        ) from None
    return VerifiedProof(suite.name, method, purpose, created)


def _suite_for(proof: Mapping[str, Any], accepted: set[str]) -> Cryptosuite:
    proof_type = proof.get("type")
    if not isinstance(proof_type, str):
        raise fail(PROOF_VERIFICATION_ERROR, t("Malformed proof"), t("The proof has no type."))
    if proof_type == DATA_INTEGRITY_PROOF:
        name = proof.get("cryptosuite")
        if not isinstance(name, str):
            raise fail(
                PROOF_VERIFICATION_ERROR,
                t("Malformed proof"),
                t("The DataIntegrityProof has no cryptosuite."),
            )
    else:
        name = proof_type
        if "cryptosuite" in proof:
            raise fail(
                PROOF_VERIFICATION_ERROR,
                t("Malformed proof"),
                t("A {type} proof has no cryptosuite property.", type=proof_type),
            )
    suite = ALL_CRYPTOSUITES.get(name)
    if suite is None or suite.proof_type != proof_type:
        raise fail(
            PROOF_VERIFICATION_ERROR,
            t("Unsupported cryptosuite"),
            t("The proof uses {suite}, which this verifier does not support.", suite=name),
        )
    if name not in accepted:
        raise fail(
            PROOF_VERIFICATION_ERROR,
            t("Cryptosuite not accepted"),
            t(
                "The proof uses {suite}, which this verifier is configured not to accept.",
                suite=name,
            ),
        )
    return suite


def _check_times(proof: Mapping[str, Any], now: datetime, skew: timedelta) -> datetime | None:
    created = None
    if "created" in proof:
        created = parse_date_time_stamp(proof["created"])
        if created is None:
            raise fail(
                PROOF_VERIFICATION_ERROR,
                t("Malformed proof"),
                t("The proof's created date is not a valid dateTimeStamp."),
            )
        if created > now + skew:
            raise fail(
                PROOF_VERIFICATION_ERROR,
                t("Proof created in the future"),
                t(
                    "The proof claims to have been created at {created}, which is in the future.",
                    created=proof["created"],
                ),
            )
    if "expires" in proof:
        expires = parse_date_time_stamp(proof["expires"])
        if expires is None:
            raise fail(
                PROOF_VERIFICATION_ERROR,
                t("Malformed proof"),
                t("The proof's expires date is not a valid dateTimeStamp."),
            )
        if expires < now - skew:
            raise fail(
                PROOF_VERIFICATION_ERROR,
                t("Proof expired"),
                t("The proof expired at {expires}.", expires=proof["expires"]),
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
        raise fail(
            PROOF_VERIFICATION_ERROR,
            t("Malformed proof"),
            t("previousProof must be a proof id or a list of them."),
        )
    if by_id is None:
        by_id = {p["id"]: p for p in proofs_of(unsecured_document) if isinstance(p.get("id"), str)}
    matching = []
    for proof_id in ids:
        if proof_id not in by_id:
            raise fail(
                PROOF_VERIFICATION_ERROR,
                t("Broken proof chain"),
                t("previousProof names {id}, which is not in the document.", id=proof_id),
            )
        matching.append(by_id[proof_id])
    document["proof"] = matching
    return document


def _hash_data(
    secured_input: Mapping[str, Any],
    options: Mapping[str, Any],
    suite: Cryptosuite,
    algorithm: Any,
    loader: DocumentLoader | None,
    *,
    cache: dict[tuple[Any, ...], bytes] | None = None,
    expanded: list[Any] | None = None,
) -> bytes:
    """Transformation, proof configuration and hashing (vc-di-eddsa §3.3.2–3.3.4)."""
    hash_name = suite.hash_name(algorithm)
    key = (
        suite.canonicalize,
        hash_name,
        tuple(p.get("id") for p in secured_input.get("proof", [])),
    )
    try:
        canonical_document = cache.get(key) if cache is not None else None
        if canonical_document is None:
            canonical_document = suite.canonicalize(secured_input, hash_name, loader, expanded)
            if cache is not None:
                cache[key] = canonical_document
        config = _proof_configuration(options, secured_input, suite)
        canonical_config = suite.canonicalize(config, hash_name, loader, None)
    except CanonicalizationLimitError:
        raise fail(
            PARSING_ERROR,
            t("Document too complex"),
            t(
                "The document has blank nodes that cannot be told apart without too much work; "
                "it is refused as a likely denial-of-service attempt (RDFC-1.0 §4.4.3)."
            ),
        ) from None
    return suite.hash(canonical_config, algorithm) + suite.hash(canonical_document, algorithm)


def _proof_configuration(
    options: Mapping[str, Any], document: Mapping[str, Any], suite: Cryptosuite
) -> JsonObject:
    """The proof options plus the document's ``@context`` (vc-di-eddsa §3.3.5, §3.4.5)."""
    if "created" in options and parse_date_time_stamp(options["created"]) is None:
        raise fail(
            PROOF_VERIFICATION_ERROR,
            t("Malformed proof"),
            t("The proof's created date is not a valid dateTimeStamp."),
        )
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
                t("Malformed proof"),
                t("The proof carries an @context that does not match the document's."),
            )
        return dict(options)
    if suite.proof_context is not None and suite.proof_context not in contexts:
        contexts.append(suite.proof_context)
    config: JsonObject = dict(options)
    config["@context"] = contexts
    return config
