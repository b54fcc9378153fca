"""Build the summary credential a certificate's QR code carries, from the signed certificate.

Every fact is read from the signed full credential itself, so the QR code says exactly what
the certificate says, and the summary names that credential with the digest of its signed
bytes (``relatedResource``, VC Data Model 2.0 §5.3). The issuer signs the result with the
same key, in the same step (``issuer.signing``). Which facts, and why: ``docs/qr-format.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from verifier.qr import related_resource_digest
from verifier.summary_credential import CertificateSummary, SummaryStatusEntry


def build_summary_credential(full_signed_credential: Mapping[str, Any]) -> dict[str, Any]:
    """The unsigned ``CertificateSummaryCredential`` of a signed micro-major certificate.

    Raises ``ValueError`` if the credential is unsigned (the digest must cover the proof) or
    lacks a fact the summary states.
    """
    full = full_signed_credential
    if not isinstance(full.get("proof"), Mapping | list) or not full.get("proof"):
        raise ValueError("sign the full credential first: the summary binds to its signed bytes")
    try:
        issuer = full["issuer"]
        subject = full["credentialSubject"]
        achievement = subject["achievement"]
        credit_system = achievement["creditSystem"]
        status = full.get("credentialStatus", [])
        summary = CertificateSummary(
            issuer=issuer["id"] if isinstance(issuer, Mapping) else issuer,
            valid_from=full["validFrom"],
            valid_until=full.get("validUntil"),
            certificate_number=full["certificateNumber"],
            learner_name=subject["name"],
            micro_major_name=achievement["name"],
            micro_major_code=achievement["humanCode"],
            college_name=achievement["creator"]["name"],
            course_count=len(achievement["resultDescription"]),
            credits_earned=subject["creditsEarned"],
            credit_system_name=credit_system["name"],
            hours_per_credit=credit_system["hoursPerCredit"],
            status=tuple(
                SummaryStatusEntry.from_json(entry)
                for entry in (status if isinstance(status, list) else [status])
            ),
            related_id=full["id"],
            related_digest=related_resource_digest(full),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"the credential lacks a fact the QR summary states: {exc}") from None
    document = summary.credential()
    CertificateSummary.from_credential(document)  # every value has the type the shape needs
    return document
