"""``verify_credential``: run every check, in order, and never raise on untrusted input."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from .checks import (
    Verification,
    check_context_and_terms,
    check_format,
    check_issuer,
    check_proof,
    check_schema,
    check_status,
    check_trust,
    check_validity,
)
from .contexts import DocumentLoader
from .dataintegrity import DEFAULT_CLOCK_SKEW
from .datetimes import utc_now
from .dids import DIDResolver
from .fetch import Fetcher
from .i18n import t
from .problems import PARSING_ERROR, Problem
from .result import CHECK_IDS, CheckResult, CheckStatus, VerificationResult
from .status import StatusListSource
from .trust import TrustList, UnusableTrustList

_Check = Callable[[Verification], CheckResult]

#: (check id, function, the checks it needs to have passed first)
_PIPELINE: tuple[tuple[str, _Check, tuple[str, ...]], ...] = (
    ("format", check_format, ()),
    ("context", check_context_and_terms, ("format",)),
    ("schema", check_schema, ("format",)),
    ("proof", check_proof, ("context",)),
    ("issuer", check_issuer, ("proof",)),
    ("validity", check_validity, ("context",)),
    ("status", check_status, ("proof",)),
    ("trust", check_trust, ("issuer",)),
)
assert tuple(step[0] for step in _PIPELINE) == CHECK_IDS

_OPTIONAL = frozenset({"trust"})


def verify_credential(
    credential: Mapping[str, Any] | bytes | str,
    *,
    now: datetime | None = None,
    max_clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
    accepted_cryptosuites: Collection[str] | None = None,
    fetch: Fetcher | None = None,
    did_documents: Mapping[str, Any] | None = None,
    status_lists: Mapping[str, Mapping[str, Any]] | StatusListSource | None = None,
    trust_lists: Sequence[TrustList | UnusableTrustList] = (),
    resolver: DIDResolver | None = None,
    document_loader: DocumentLoader | None = None,
    allow_loopback_http: bool = False,
) -> VerificationResult:
    """Verify one credential (JSON bytes/text, or an already-parsed object).

    With no ``fetch``, nothing touches the network: did:key still resolves, a did:web issuer
    resolves only from ``did_documents``, and a status list only from ``status_lists`` —
    otherwise the check is reported *unknown*, never passed. ``trust_lists`` (verified lists, see
    :mod:`verifier.trust_lists`, and any configured list that could not be used) decide the
    ``trust`` check, which does not affect ``verified``. ``allow_loopback_http`` lets a did:web
    on localhost be read over plain HTTP (local demos and tests only; the fetcher must allow it too).
    """
    moment = now or utc_now()
    source = (
        status_lists
        if isinstance(status_lists, StatusListSource)
        else StatusListSource(fetch=fetch, documents=status_lists)
    )
    verification = Verification(
        source=credential if isinstance(credential, bytes | str) else dict(credential),
        now=moment,
        max_clock_skew=max_clock_skew,
        resolver=resolver
        or DIDResolver(fetch=fetch, documents=did_documents, allow_loopback_http=allow_loopback_http),
        status_lists=source,
        trust_lists=tuple(trust_lists),
        accepted_cryptosuites=accepted_cryptosuites,
        loader=document_loader,
    )
    for check_id, check, needs in _PIPELINE:
        missing = [n for n in needs if not verification.passed(n)]
        if missing:
            result = CheckResult(
                check_id,
                CheckStatus.SKIPPED,
                t("Not checked, because the {check} check did not pass.", check=missing[0]),
                required=check_id not in _OPTIONAL,
            )
        else:
            result = _run_safely(check_id, check, verification)
        verification.results[check_id] = result
    summary = verification.facts.summary() if verification.facts is not None else None
    return VerificationResult(tuple(verification.results[c] for c in CHECK_IDS), summary)


def _run_safely(check_id: str, check: _Check, verification: Verification) -> CheckResult:
    """Run one check; an unexpected exception is a bug, but must not become a crash or a pass."""
    try:
        result = check(verification)
    except RecursionError:
        message = t("The document is nested too deeply to process.")
        return CheckResult(
            check_id, CheckStatus.FAILED, message, Problem(PARSING_ERROR, t("Too deep"), message)
        )
    except Exception as exc:
        message = t(
            "The {check} check could not process this document ({error}).",
            check=check_id,
            error=type(exc).__name__,
        )
        return CheckResult(
            check_id,
            CheckStatus.FAILED,
            message,
            Problem(PARSING_ERROR, t("Could not process"), message),
        )
    if check_id in _OPTIONAL and result.required:
        return CheckResult(result.id, result.status, result.message, result.problem, False, result.details)
    return result
