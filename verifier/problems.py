"""Problem types for verification failures.

VC Data Model 2.0 §7.2 describes failures as RFC 9457 ProblemDetails with a spec-defined
``type`` URL; Data Integrity (§4.7), Controlled Identifiers (§3.5) and Bitstring Status List
(§3.5) add their own. The Recommendations dropped the numeric codes of the drafts, so there are
none here.
Each :class:`Problem` carries a short title, a detail a stranger may read (no key material,
no stack traces) and, where it helps, the JSON path of the offending value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .i18n import Text, render

_VC = "https://www.w3.org/TR/vc-data-model#"
_SEC = "https://w3id.org/security#"
_BSL = "https://www.w3.org/ns/credentials/status-list#"

# VC Data Model 2.0 §7.2
PARSING_ERROR = _VC + "PARSING_ERROR"
CRYPTOGRAPHIC_SECURITY_ERROR = _VC + "CRYPTOGRAPHIC_SECURITY_ERROR"
MALFORMED_VALUE_ERROR = _VC + "MALFORMED_VALUE_ERROR"
RANGE_ERROR = _VC + "RANGE_ERROR"

# VC Data Integrity 1.0 §4.7 and §2.4.3
PROOF_GENERATION_ERROR = _SEC + "PROOF_GENERATION_ERROR"
PROOF_VERIFICATION_ERROR = _SEC + "PROOF_VERIFICATION_ERROR"
PROOF_TRANSFORMATION_ERROR = _SEC + "PROOF_TRANSFORMATION_ERROR"
INVALID_DOMAIN_ERROR = _SEC + "INVALID_DOMAIN_ERROR"
INVALID_CHALLENGE_ERROR = _SEC + "INVALID_CHALLENGE_ERROR"
DATA_LOSS_DETECTION_ERROR = _SEC + "DATA_LOSS_DETECTION_ERROR"

# Controlled Identifiers 1.0 §3.5 (retrieving a verification method)
INVALID_VERIFICATION_METHOD_URL = _SEC + "INVALID_VERIFICATION_METHOD_URL"
INVALID_CONTROLLED_IDENTIFIER_DOCUMENT = _SEC + "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT"
INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID = _SEC + "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID"
INVALID_VERIFICATION_METHOD = _SEC + "INVALID_VERIFICATION_METHOD"
INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD = _SEC + "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD"

# Bitstring Status List 1.0 §3.5
STATUS_RETRIEVAL_ERROR = _BSL + "STATUS_RETRIEVAL_ERROR"
STATUS_VERIFICATION_ERROR = _BSL + "STATUS_VERIFICATION_ERROR"
STATUS_LIST_LENGTH_ERROR = _BSL + "STATUS_LIST_LENGTH_ERROR"


@dataclass(frozen=True, slots=True)
class Problem:
    """One RFC 9457 problem: ``type`` URL, short ``title``, safe ``detail``, optional JSON path."""

    type: str
    title: Text | str
    detail: Text | str
    path: str | None = None

    def to_json(self, language: str = "en") -> dict[str, Any]:
        """Serialise as ProblemDetails (``application/problem+json`` members)."""
        out: dict[str, Any] = {
            "type": self.type,
            "title": render(self.title, language),
            "detail": render(self.detail, language),
        }
        if self.path is not None:
            out["path"] = self.path
        return out


class ProblemError(Exception):
    """Raised inside the verifier's internals; the check functions turn it into a result.

    It never escapes :func:`verifier.verify_credential`.
    """

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem.detail))
        self.problem = problem


class RetrievalError(ProblemError):
    """Something needed to decide could not be retrieved (a DID document, a status list).

    Checks report this as *unknown* ("could not check"), never as passed or failed.
    """


def fail(type_: str, title: Text | str, detail: Text | str, path: str | None = None) -> ProblemError:
    """Build a :class:`ProblemError` (``raise fail(...)`` reads like the spec's "raise X")."""
    return ProblemError(Problem(type_, title, detail, path))
