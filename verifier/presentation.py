"""Verifiable presentations: verify every credential a holder presents.

A presentation (VC Data Model 2.0 §4.13) wraps credentials, optionally with the holder's own
proof (purpose ``authentication``). Each enclosed credential is verified on its own, exactly
as if it had been given alone; the presentation is accepted only if all of them are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .result import VerificationResult
from .verify import verify_credential


@dataclass(frozen=True, slots=True)
class PresentationResult:
    """One result per enclosed credential, in order."""

    credentials: tuple[VerificationResult, ...]

    @property
    def verified(self) -> bool:
        return bool(self.credentials) and all(result.verified for result in self.credentials)

    def to_json(self, language: str = "en") -> dict[str, Any]:
        return {"verified": self.verified, "credentials": [r.to_json(language) for r in self.credentials]}


def is_presentation(document: Any) -> bool:
    """Whether a parsed JSON value is a verifiable presentation."""
    if not isinstance(document, dict):
        return False
    kinds = document.get("type")
    return "VerifiablePresentation" in (kinds if isinstance(kinds, list) else [kinds])


def verify_presentation(presentation: Mapping[str, Any], **options: Any) -> PresentationResult:
    """Verify each credential of ``presentation`` with :func:`verify_credential` options."""
    enclosed = presentation.get("verifiableCredential", [])
    credentials = enclosed if isinstance(enclosed, list) else [enclosed]
    results = []
    for credential in credentials:
        if isinstance(credential, Mapping):
            results.append(verify_credential(credential, **options))
        else:  # an enveloped (JWT) credential or garbage: verified as given, which reports why not
            results.append(
                verify_credential(credential if isinstance(credential, str) else "null", **options)
            )
    return PresentationResult(tuple(results))
