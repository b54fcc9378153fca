"""The W3C VC-API (VCALM) ``POST /credentials/verify`` request and answer, framework-free.

Request (VCALM ``VerifyCredentialRequest``): ``{"verifiableCredential": {...}, "options": {...}}``
with the ``VerifyCredentialOptions`` ``returnResults``, ``returnProblemDetails`` and
``returnCredential``. An option the spec does not define is refused with the spec's
``UNKNOWN_OPTION_PROVIDED`` problem (VCALM §"Error Handling").

Answer: ``200`` when the credential verified, ``400`` when it did not (the OpenAPI's "invalid
input"), with a body shaped by VCALM §"Verification Errors vs. Warnings": ``verified``, the
``checks`` that were performed, and ``errors`` / ``warnings`` as RFC 9457 ProblemDetails.
"If an error is included, ``verified`` MUST be false; if no errors are included, it MUST be
true": so every problem that makes our ``verified`` false (a revoked status included, which
this verifier treats as not verified) is an *error*, and what leaves ``verified`` alone — an
issuer on no trust list, a status list served from a stale cache — is a *warning*. With
``returnResults`` / ``returnProblemDetails`` / ``returnCredential`` the body also carries the
VCALM ``VerificationResult`` members ``results``, ``problemDetails`` and ``credential``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .i18n import t
from .jsonsafe import parse_json
from .problems import STATUS_RETRIEVAL_ERROR, Problem, ProblemError
from .result import CheckStatus, VerificationResult
from .web_input import InputError, bad_input

#: VCALM ``VerifyCredentialOptions``.
KNOWN_OPTIONS = frozenset({"returnResults", "returnProblemDetails", "returnCredential"})
UNKNOWN_OPTION_PROVIDED = "https://www.w3.org/TR/vcalm#UNKNOWN_OPTION_PROVIDED"


@dataclass(frozen=True, slots=True)
class VCAPIRequest:
    """A parsed ``verifyCredential`` request."""

    credential: Mapping[str, Any]
    options: Mapping[str, Any] = field(default_factory=dict)


class VCAPIRequestError(Exception):
    """A request with nothing to verify; ``error`` is rendered as problem+json (400)."""

    def __init__(self, error: InputError) -> None:
        super().__init__(str(error.detail))
        self.error = error


def parse_vcapi_request(raw: bytes) -> VCAPIRequest:
    """Read ``{"verifiableCredential": ..., "options": ...}`` or raise :class:`VCAPIRequestError`."""
    try:
        body = parse_json(raw)
    except ProblemError as exc:
        raise VCAPIRequestError(
            bad_input(t("The request body is not valid JSON."), t("Not valid JSON"))
        ) from exc
    if not isinstance(body, dict) or "verifiableCredential" not in body:
        raise VCAPIRequestError(
            bad_input(t('The request needs a "verifiableCredential" member holding the credential.'))
        )
    credential = body["verifiableCredential"]
    if not isinstance(credential, dict):
        raise VCAPIRequestError(
            bad_input(
                t(
                    '"verifiableCredential" must be a credential (a JSON object); enveloped '
                    "credentials are not supported."
                )
            )
        )
    options = body.get("options", {})
    if not isinstance(options, dict):
        raise VCAPIRequestError(bad_input(t('"options" must be a JSON object.')))
    unknown = sorted(set(options) - KNOWN_OPTIONS)
    if unknown:
        raise VCAPIRequestError(
            InputError(
                400,
                "unknown-option",
                t("Unknown option"),
                t("Unknown option: {options}.", options=", ".join(unknown)),
                UNKNOWN_OPTION_PROVIDED,
            )
        )
    for name, value in options.items():
        if not isinstance(value, bool):
            raise VCAPIRequestError(bad_input(t("The option {option} must be true or false.", option=name)))
    return VCAPIRequest(credential, options)


def _stale_warning(result: VerificationResult) -> Problem | None:
    status = result.check("status")
    entries = status.details.get("entries", []) if status is not None else []
    stale = [entry for entry in entries if entry.get("stale")]
    if not stale:
        return None
    return Problem(
        STATUS_RETRIEVAL_ERROR,
        t("Status list from a stale cache"),
        t(
            "The status list {url} could not be refreshed; a copy fetched {when} was used.",
            url=stale[0].get("list"),
            when=stale[0].get("retrievedAt") or "?",
        ),
    )


def errors_and_warnings(
    result: VerificationResult, language: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """ProblemDetails that make ``verified`` false (errors) and those that do not (warnings)."""
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    for check in result.checks:
        if check.problem is None or check.ok:
            continue
        (errors if check.required else warnings).append(check.problem.to_json(language))
    stale = _stale_warning(result)
    if stale is not None:
        warnings.append(stale.to_json(language))
    return errors, warnings


def _results(result: VerificationResult, credential: Mapping[str, Any]) -> dict[str, Any]:
    """VCALM ``VerificationResult.results``: per-property outcomes with their input."""
    validity = result.check("validity")
    validity_ok = validity is not None and validity.ok
    out: dict[str, Any] = {}
    for name in ("validFrom", "validUntil"):
        if isinstance(credential.get(name), str):
            out[name] = {"verified": validity_ok, "input": credential[name]}
    schema = result.check("schema")
    schemas = credential.get("credentialSchema", [])
    out["credentialSchema"] = [
        {"verified": schema is not None and schema.ok, "input": item}
        for item in (schemas if isinstance(schemas, list) else [schemas])
    ]
    status = result.check("status")
    entries = credential.get("credentialStatus", [])
    outcomes = list(status.details.get("entries", [])) if status is not None else []
    statuses = []
    for position, item in enumerate(entries if isinstance(entries, list) else [entries]):
        outcome = outcomes[position] if position < len(outcomes) else None
        row: dict[str, Any] = {"verified": outcome is not None and not outcome.get("value"), "input": item}
        if outcome is not None:
            row["value"] = outcome.get("value")
        statuses.append(row)
    out["credentialStatus"] = statuses
    proof = result.check("proof")
    proofs = credential.get("proof", [])
    out["proof"] = [
        {"verified": proof is not None and proof.ok, "input": item}
        for item in (proofs if isinstance(proofs, list) else [proofs])
    ]
    return out


def vcapi_response(
    result: VerificationResult, request: VCAPIRequest, language: str = "en"
) -> tuple[int, dict[str, Any]]:
    """The HTTP status and body answering a ``verifyCredential`` request."""
    errors, warnings = errors_and_warnings(result, language)
    body: dict[str, Any] = {
        "verified": result.verified,
        "checks": [check.id for check in result.checks if check.status is not CheckStatus.SKIPPED],
        "warnings": warnings,
        "errors": errors,
    }
    if request.options.get("returnProblemDetails"):
        body["problemDetails"] = errors + warnings
    if request.options.get("returnResults"):
        body["results"] = _results(result, request.credential)
    if request.options.get("returnCredential"):
        body["credential"] = dict(request.credential)
    return (200 if result.verified else 400), body
