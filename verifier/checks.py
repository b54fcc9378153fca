"""One function per verification check, in the order they run.

Each check reads what earlier checks established (a :class:`Verification` in progress) and
returns a :class:`CheckResult` whose message a registrar or an employer can act on. Untrusted
input never raises out of here: :class:`ProblemError` becomes *failed*, :class:`RetrievalError`
becomes *unknown* ("could not check").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .contexts import DocumentLoader
from .dataintegrity import VerifiedProof, unsecured, verify_proofs
from .datetimes import describe_age
from .dids import DIDResolver
from .i18n import Text, t
from .jsonsafe import parse_json
from .linkeddata import check_compacted_form, check_context, expand
from .model import (
    BITSTRING_STATUS_LIST_CREDENTIAL,
    BITSTRING_STATUS_LIST_ENTRY,
    STATUS,
    VC,
    VERIFIABLE_CREDENTIAL,
    CredentialFacts,
    literal,
    nodes,
    read_facts,
    types,
    values,
)
from .problems import (
    MALFORMED_VALUE_ERROR,
    PARSING_ERROR,
    PROOF_VERIFICATION_ERROR,
    RANGE_ERROR,
    STATUS_VERIFICATION_ERROR,
    Problem,
    ProblemError,
    RetrievalError,
)
from .result import CheckResult, CheckStatus
from .schema import check_schemas
from .status import (
    MESSAGE,
    REVOCATION,
    SUSPENSION,
    StatusListDocument,
    StatusListSource,
    check_bitstring_length,
    decode_status_list,
    parse_status_entry,
    read_status,
)
from .trust import TrustList, UnusableTrustList, find_issuer


@dataclass
class Verification:
    """The state one verification builds up as its checks run."""

    source: Any
    now: datetime
    max_clock_skew: timedelta
    resolver: DIDResolver
    status_lists: StatusListSource
    trust_lists: Sequence[TrustList | UnusableTrustList]
    accepted_cryptosuites: Collection[str] | None
    loader: DocumentLoader | None
    document: dict[str, Any] | None = None
    expanded: list[Any] | None = None
    facts: CredentialFacts | None = None
    proofs: list[VerifiedProof] | None = None
    results: dict[str, CheckResult] = field(default_factory=dict)

    def passed(self, check_id: str) -> bool:
        result = self.results.get(check_id)
        return result is not None and result.ok


def _passed(check_id: str, message: Text, **details: Any) -> CheckResult:
    return CheckResult(check_id, CheckStatus.PASSED, message, details=details)


def _failed(
    check_id: str, problem: Problem, message: Text | str | None = None, **details: Any
) -> CheckResult:
    return CheckResult(check_id, CheckStatus.FAILED, message or problem.detail, problem, details=details)


def _unknown(check_id: str, problem: Problem, message: Text | str | None = None) -> CheckResult:
    return CheckResult(check_id, CheckStatus.UNKNOWN, message or problem.detail, problem)


def _from_error(check_id: str, error: ProblemError) -> CheckResult:
    if isinstance(error, RetrievalError):
        return _unknown(check_id, error.problem)
    return _failed(check_id, error.problem)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- format ------------------------------------------------------------------------------------


def check_format(v: Verification) -> CheckResult:
    """Strict JSON, a JSON object, and the shape VC Data Model 2.0 §4 requires."""
    try:
        document = parse_json(v.source) if isinstance(v.source, bytes | str) else v.source
    except ProblemError as exc:
        return _failed("format", exc.problem)
    if not isinstance(document, dict):
        return _failed(
            "format",
            Problem(PARSING_ERROR, t("Not a credential"), t("The document is not a JSON object.")),
        )
    kinds = _as_list(document.get("type"))
    if "VerifiablePresentation" in kinds:
        return _failed(
            "format",
            Problem(
                PARSING_ERROR,
                t("A presentation, not a credential"),
                t("This is a verifiable presentation; verify the credentials it contains."),
            ),
        )
    if "VerifiableCredential" not in kinds:
        return _failed(
            "format",
            Problem(
                MALFORMED_VALUE_ERROR,
                t("Not a credential"),
                t("The document's type does not include VerifiableCredential."),
                "$.type",
            ),
        )
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(issuer_id, str) or ":" not in issuer_id:
        return _failed(
            "format",
            Problem(
                MALFORMED_VALUE_ERROR,
                t("No issuer"),
                t("The credential must name its issuer with a URL or DID."),
                "$.issuer",
            ),
        )
    if not isinstance(document.get("credentialSubject"), dict | list) or not document.get(
        "credentialSubject"
    ):
        return _failed(
            "format",
            Problem(
                MALFORMED_VALUE_ERROR,
                t("No subject"),
                t("The credential has no credentialSubject."),
                "$.credentialSubject",
            ),
        )
    if "id" in document and (not isinstance(document["id"], str) or ":" not in document["id"]):
        return _failed(
            "format",
            Problem(
                MALFORMED_VALUE_ERROR,
                t("Bad identifier"),
                t("The credential's id must be a single URL."),
                "$.id",
            ),
        )
    v.document = document
    return _passed("format", t("The document is a well-formed verifiable credential."))


# --- context -----------------------------------------------------------------------------------


def check_context_and_terms(v: Verification) -> CheckResult:
    """Pinned contexts only, and every value covered by the signature (no data loss)."""
    assert v.document is not None
    try:
        contexts = check_context(v.document)
        check_compacted_form(v.document)
        v.expanded = expand(unsecured(v.document), v.loader)
    except ProblemError as exc:
        return _failed("context", exc.problem)
    if not v.expanded or VERIFIABLE_CREDENTIAL not in types(v.expanded[0]):
        return _failed(
            "context",
            Problem(
                MALFORMED_VALUE_ERROR,
                t("Not a credential"),
                t("Under its contexts, the document is not a VerifiableCredential."),
            ),
        )
    v.facts = read_facts(v.expanded)
    return _passed(
        "context",
        t(
            "Every term is defined by a known, pinned context, so everything shown is covered "
            "by the signature."
        ),
        contexts=contexts,
    )


# --- schema ------------------------------------------------------------------------------------


def check_schema(v: Verification) -> CheckResult:
    """The JSON Schemas that apply (see :mod:`verifier.schema`)."""
    assert v.document is not None
    report = check_schemas(v.document)
    if report.problem is not None:
        return _failed("schema", report.problem, applied=list(report.applied))
    if not report.applied:
        message = t("No pinned JSON Schema applies to this credential.")
    elif report.not_pinned:
        message = t(
            "The credential matches its schemas ({schemas}). Not checked (not pinned here): {others}.",
            schemas=", ".join(report.applied),
            others=", ".join(report.not_pinned),
        )
    else:
        message = t("The credential matches its schemas ({schemas}).", schemas=", ".join(report.applied))
    details: dict[str, Any] = {"applied": list(report.applied), "notPinned": list(report.not_pinned)}
    for note in report.notes:
        details.setdefault("notes", []).append(str(note))
        message = t("{message} Note: {note}", message=message, note=note)
    return _passed("schema", message, **details)


# --- proof -------------------------------------------------------------------------------------


def check_proof(v: Verification) -> CheckResult:
    """Every Data Integrity proof verifies (VC Data Integrity §4.4–4.5)."""
    assert v.document is not None
    try:
        v.proofs = verify_proofs(
            v.document,
            resolver=v.resolver,
            accepted_cryptosuites=v.accepted_cryptosuites,
            now=v.now,
            max_clock_skew=v.max_clock_skew,
            loader=v.loader,
            expanded_unsecured=v.expanded,
        )
    except ProblemError as exc:
        return _from_error("proof", exc)
    first = v.proofs[0]
    if len(v.proofs) > 1:
        message = t("All {count} signatures are valid.", count=len(v.proofs))
    elif first.created:
        message = t(
            "The signature is valid: signed with {key} ({suite}) on {when}.",
            key=first.verification_method.id,
            suite=first.cryptosuite,
            when=first.created.strftime("%Y-%m-%d %H:%M UTC"),
        )
    else:
        message = t(
            "The signature is valid: signed with {key} ({suite}).",
            key=first.verification_method.id,
            suite=first.cryptosuite,
        )
    return _passed(
        "proof",
        message,
        proofs=[
            {
                "cryptosuite": p.cryptosuite,
                "verificationMethod": p.verification_method.id,
                "controller": p.verification_method.controller,
                "created": p.created.isoformat() if p.created else None,
            }
            for p in v.proofs
        ],
    )


# --- issuer ------------------------------------------------------------------------------------


def check_issuer(v: Verification) -> CheckResult:
    """The signing key belongs to the credential's issuer (VC DI §2.6: controller == issuer)."""
    assert v.facts is not None
    assert v.proofs is not None
    issuer_id = v.facts.issuer.id if v.facts.issuer else None
    controllers = [p.verification_method.controller for p in v.proofs]
    if issuer_id not in controllers:
        return _failed(
            "issuer",
            Problem(
                PROOF_VERIFICATION_ERROR,
                t("Signed by someone else"),
                t(
                    "The credential says it was issued by {issuer}, but it was signed by {signers}. "
                    "Anyone can claim to be an issuer; only the issuer's own key proves it.",
                    issuer=issuer_id,
                    signers=", ".join(sorted(set(controllers))),
                ),
            ),
        )
    others = sorted({c for c in controllers if c != issuer_id})
    if others:
        message = t(
            "The credential was signed with a key of its issuer, {issuer}. Also signed by: {others}.",
            issuer=issuer_id,
            others=", ".join(others),
        )
    else:
        message = t("The credential was signed with a key of its issuer, {issuer}.", issuer=issuer_id)
    return _passed("issuer", message, issuer=issuer_id)


# --- validity ----------------------------------------------------------------------------------


def check_validity(v: Verification) -> CheckResult:
    """validFrom / validUntil, as signed, against the current time (VC Data Model 2.0 §4.9)."""
    facts = v.facts
    assert facts is not None
    if facts.valid_from_raw is not None and facts.valid_from is None:
        return _failed("validity", _bad_date("validFrom", facts.valid_from_raw))
    if facts.valid_until_raw is not None and facts.valid_until is None:
        return _failed("validity", _bad_date("validUntil", facts.valid_until_raw))
    if facts.valid_from and facts.valid_until and facts.valid_until < facts.valid_from:
        return _failed(
            "validity",
            Problem(
                RANGE_ERROR,
                t("Impossible validity period"),
                t("validUntil is earlier than validFrom."),
            ),
        )
    if facts.valid_from and facts.valid_from > v.now + v.max_clock_skew:
        return _failed(
            "validity",
            Problem(
                RANGE_ERROR,
                t("Not yet valid"),
                t("The credential is only valid from {date}.", date=facts.valid_from_raw),
            ),
            notYetValid=True,
        )
    if facts.valid_until and facts.valid_until < v.now - v.max_clock_skew:
        return _failed(
            "validity",
            Problem(
                RANGE_ERROR,
                t("Expired"),
                t("The credential expired on {date}.", date=facts.valid_until_raw),
            ),
            expired=True,
        )
    if facts.valid_until:
        return _passed(
            "validity",
            t(
                "The credential is valid from {start} until {end}.",
                start=facts.valid_from_raw or "—",
                end=facts.valid_until_raw,
            ),
        )
    if facts.valid_from:
        return _passed(
            "validity",
            t(
                "The credential is valid from {start}, with no expiry date.",
                start=facts.valid_from_raw,
            ),
        )
    return _passed("validity", t("The credential states no validity period."))


def _bad_date(name: str, value: Any) -> Problem:
    return Problem(
        MALFORMED_VALUE_ERROR,
        t("Bad date"),
        t("{name} {value} is not a date-time with a time zone.", name=name, value=str(value)[:60]),
        f"$.{name}",
    )


# --- status ------------------------------------------------------------------------------------


def check_status(v: Verification) -> CheckResult:
    """Every status entry, against its signed status list (Bitstring Status List §3.2)."""
    facts = v.facts
    assert facts is not None
    if not facts.status_entries:
        return _passed(
            "status",
            t("The credential has no status list entry, so it cannot be revoked or suspended."),
        )
    outcomes: list[dict[str, Any]] = []
    lists: list[StatusListDocument] = []
    unknown: CheckResult | None = None
    for position, entry in enumerate(facts.status_entries):
        if BITSTRING_STATUS_LIST_ENTRY not in entry["_types"]:
            unknown = unknown or _unknown(
                "status",
                Problem(
                    STATUS_VERIFICATION_ERROR,
                    t("Unsupported status method"),
                    t(
                        "The status method {method} is not supported, so the status could not be checked.",
                        method=", ".join(entry["type"]),
                    ),
                ),
            )
            continue
        try:
            outcome, document = _check_entry(v, entry, position)
        except ProblemError as exc:
            result = _from_error("status", exc)
            if result.status is CheckStatus.FAILED:
                return result
            unknown = unknown or result
            continue
        outcomes.append(outcome)
        lists.append(document)
    revoked = [o for o in outcomes if o["purpose"] == REVOCATION and o["value"]]
    suspended = [o for o in outcomes if o["purpose"] == SUSPENSION and o["value"]]
    details = {"entries": outcomes, "revoked": bool(revoked), "suspended": bool(suspended)}
    if revoked:
        problem = Problem(
            STATUS_VERIFICATION_ERROR, t("Revoked"), t("The issuer has revoked this credential.")
        )
        return CheckResult("status", CheckStatus.FAILED, problem.detail, problem, details=details)
    if suspended:
        problem = Problem(
            STATUS_VERIFICATION_ERROR,
            t("Suspended"),
            t("The issuer has suspended this credential for now."),
        )
        return CheckResult("status", CheckStatus.FAILED, problem.detail, problem, details=details)
    if unknown is not None:
        return unknown
    purposes = ", ".join(sorted({o["purpose"] for o in outcomes}))
    return _passed("status", _status_message(v, purposes, lists), **details)


def _status_message(v: Verification, purposes: str, lists: list[StatusListDocument]) -> Text:
    """The passed message. When a list came from a copy that may be behind the issuer (served
    stale because the issuer's server did not answer, offline mode, a bundle), it says when that
    copy was fetched, how long ago, and why: a revocation made since would not show."""
    behind = [d for d in lists if (d.stale or d.note is not None) and d.retrieved_at is not None]
    if not behind:
        return t(
            "Checked against the issuer's signed status list ({purposes}): not revoked or suspended.",
            purposes=purposes,
        )
    oldest = min(behind, key=lambda d: d.retrieved_at or v.now)
    fetched = oldest.retrieved_at or v.now
    return t(
        "Checked against the issuer's signed status list ({purposes}) as fetched {age} ago ({when}): "
        "not revoked or suspended then. The copy may be out of date: {reason}.",
        purposes=purposes,
        age=describe_age(v.now - fetched),
        when=fetched.strftime("%Y-%m-%d %H:%M UTC"),
        reason=oldest.note or t("it is past its freshness lifetime"),
    )


def _check_entry(
    v: Verification, raw: Mapping[str, Any], position: int
) -> tuple[dict[str, Any], StatusListDocument]:
    entry = parse_status_entry(raw, f"$.credentialStatus[{position}]")
    document = v.status_lists.get(entry.list_url)
    credential = document.credential
    issuer = v.facts.issuer.id if v.facts and v.facts.issuer else None
    cached = v.status_lists.verified_list(entry.list_url, credential, issuer)
    if cached is None:
        list_check = _verify_status_list(v, credential, entry.list_url)
        bitstring = decode_status_list(list_check.get("encodedList", ""))
        v.status_lists.remember_verified(entry.list_url, credential, issuer, list_check, bitstring)
    else:
        list_check, bitstring = cached
    purposes = _as_list(list_check.get("statusPurpose"))
    if entry.purpose not in purposes:
        raise ProblemError(
            Problem(
                STATUS_VERIFICATION_ERROR,
                t("Status purpose mismatch"),
                t(
                    "The status list at {url} is for {purposes}, not {purpose}.",
                    url=entry.list_url,
                    purposes=", ".join(map(str, purposes)),
                    purpose=entry.purpose,
                ),
            )
        )
    check_bitstring_length(bitstring, entry.size)
    value = read_status(bitstring, entry.index, entry.size)
    if entry.purpose == REVOCATION:
        if value:
            v.status_lists.remember_revoked(entry.list_url, entry.index)
        elif v.status_lists.was_revoked(entry.list_url, entry.index):
            value = 1  # revocation is irreversible: an older copy of the list cannot undo it
    outcome: dict[str, Any] = {
        "purpose": entry.purpose,
        "index": entry.index,
        "list": entry.list_url,
        "value": value,
        "stale": document.stale,
    }
    if document.retrieved_at is not None:
        outcome["retrievedAt"] = document.retrieved_at.isoformat()
    if document.note is not None:
        outcome["note"] = str(document.note)
    if entry.purpose == MESSAGE and entry.messages is not None:
        outcome["message"] = entry.messages.get(value)
    return outcome, document


def _verify_status_list(v: Verification, credential: dict[str, Any], url: str) -> dict[str, Any]:
    """A status list is itself a credential: same checks, same issuer (BSL §3.2 step 4)."""
    nested = Verification(
        source=credential,
        now=v.now,
        max_clock_skew=v.max_clock_skew,
        resolver=v.resolver,
        status_lists=v.status_lists,
        trust_lists=(),
        accepted_cryptosuites=v.accepted_cryptosuites,
        loader=v.loader,
    )
    for check in (check_format, check_context_and_terms, check_proof, check_issuer, check_validity):
        result = check(nested)
        if not result.ok:
            detail = t("The status list at {url} is not valid: {reason}", url=url, reason=result.message)
            if result.status is CheckStatus.UNKNOWN:
                type_ = result.problem.type if result.problem else STATUS_VERIFICATION_ERROR
                raise RetrievalError(Problem(type_, t("Invalid status list"), detail))
            raise ProblemError(Problem(STATUS_VERIFICATION_ERROR, t("Invalid status list"), detail))
    assert nested.expanded is not None
    assert nested.facts is not None
    assert v.facts is not None
    if BITSTRING_STATUS_LIST_CREDENTIAL not in types(nested.expanded[0]):
        raise ProblemError(
            Problem(
                STATUS_VERIFICATION_ERROR,
                t("Not a status list"),
                t("{url} is not a BitstringStatusListCredential.", url=url),
            )
        )
    list_issuer = nested.facts.issuer.id if nested.facts.issuer else None
    credential_issuer = v.facts.issuer.id if v.facts.issuer else None
    if list_issuer != credential_issuer:
        raise ProblemError(
            Problem(
                STATUS_VERIFICATION_ERROR,
                t("Status list from another issuer"),
                t(
                    "The status list at {url} was issued by {list_issuer}, not by the credential's "
                    "issuer {issuer}.",
                    url=url,
                    list_issuer=list_issuer,
                    issuer=credential_issuer,
                ),
            )
        )
    return _status_subject_from_expanded(nested.expanded[0])


def _status_subject_from_expanded(credential: Mapping[str, Any]) -> dict[str, Any]:
    subject = next(nodes(credential, VC + "credentialSubject"), {})
    purposes = [
        p["@value"]
        for p in values(subject, STATUS + "statusPurpose")
        if isinstance(p, dict) and "@value" in p
    ]
    return {"statusPurpose": purposes, "encodedList": literal(subject, STATUS + "encodedList")}


# --- trust -------------------------------------------------------------------------------------


def check_trust(v: Verification) -> CheckResult:
    """Whether a configured trust list names the issuer (not required for ``verified``).

    An entry listed for a period only must cover the moment the credential was signed (its
    proof's ``created``, else its ``validFrom``): a registry vouches for what an institution
    signed while it was listed, as ETSI TS 119 612 trusted lists keep a service's status history
    so that signatures are judged by the status at signing time.
    """
    issuer_id = v.facts.issuer.id if v.facts and v.facts.issuer else None
    if not v.trust_lists:
        return CheckResult(
            "trust",
            CheckStatus.SKIPPED,
            t("No trust list is configured, so who the issuer is was not checked."),
            required=False,
        )
    signed_at = _signing_moment(v)
    found = find_issuer(v.trust_lists, issuer_id, signed_at)
    if found is None:
        return _untrusted(v, issuer_id, signed_at)
    trust_list, entry = found
    names = entry.name_zh + (f" ({entry.name_en})" if entry.name_en else "")
    return CheckResult(
        "trust",
        CheckStatus.PASSED,
        t(
            "{operator} lists {issuer} as {institution}.",
            operator=trust_list.label,
            issuer=issuer_id,
            institution=names,
        ),
        required=False,
        details={
            "institution": {
                "nameZh": entry.name_zh,
                "nameEn": entry.name_en,
                "code": entry.institution_code,
                "domain": entry.domain,
            },
            "operator": trust_list.operator,
            "trustList": trust_list.to_json(),
        },
    )


def _signing_moment(v: Verification) -> datetime:
    created = [p.created for p in v.proofs or [] if p.created is not None]
    if created:
        return min(created)
    if v.facts is not None and v.facts.valid_from is not None:
        return v.facts.valid_from
    return v.now


def _untrusted(v: Verification, issuer_id: str | None, signed_at: datetime) -> CheckResult:
    usable = [lst for lst in v.trust_lists if isinstance(lst, TrustList)]
    unusable = [lst for lst in v.trust_lists if isinstance(lst, UnusableTrustList)]
    if not usable:
        first = unusable[0]
        detail = t(
            "Who the issuer is could not be checked: the trust list {source} could not be used ({reason}).",
            source=first.source,
            reason=first.reason,
        )
        return CheckResult(
            "trust",
            CheckStatus.UNKNOWN,
            detail,
            Problem(MALFORMED_VALUE_ERROR, t("Trust list not usable"), detail),
            required=False,
            details={"unusable": [{"source": u.source, "reason": str(u.reason)} for u in unusable]},
        )
    elsewhen = find_issuer(usable, issuer_id)
    if elsewhen is not None:
        trust_list, entry = elsewhen
        message = t(
            "{operator} lists {issuer} only from {start} until {end}; this credential was signed on "
            "{signed}, outside that period.",
            operator=trust_list.label,
            issuer=issuer_id,
            start=entry.valid_from.date().isoformat() if entry.valid_from else "—",
            end=entry.valid_until.date().isoformat() if entry.valid_until else "—",
            signed=signed_at.date().isoformat(),
        )
        title = t("Issuer not listed at signing time")
    else:
        message = t(
            "The issuer {issuer} is not on any trust list this verifier uses: the signature is "
            "genuine, but nothing confirms which institution holds this key.",
            issuer=issuer_id,
        )
        title = t("Unknown issuer")
    details: dict[str, Any] = {"trustLists": [lst.to_json() for lst in usable]}
    if unusable:
        details["unusable"] = [{"source": u.source, "reason": str(u.reason)} for u in unusable]
    return CheckResult(
        "trust",
        CheckStatus.FAILED,
        message,
        Problem(
            MALFORMED_VALUE_ERROR, title, t("{issuer} is not on a configured trust list.", issuer=issuer_id)
        ),
        required=False,
        details=details,
    )
