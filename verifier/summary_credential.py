"""The certificate summary credential: the small signed credential a printed QR code carries.

A full micro-major certificate (an Open Badges 3.0 credential with every course) is far too big
for a QR code that must scan from paper. So the issuer signs, in the same step and with the
same key, a second and much smaller VC 2.0 credential — a ``CertificateSummaryCredential`` —
holding what an employer needs at scan time: the issuer, the validity period, the certificate
number, the learner's name as printed, the micro-major (name, code, college, number of
courses), the credits earned and their credit system. It carries the *same*
``credentialStatus`` entries as the full credential, so revoking or suspending the certificate
revokes or suspends its QR code too, and it names the full credential in ``relatedResource``
with a digest (VC Data Model 2.0 §5.3), so a verifier holding both can check they belong
together (see :func:`verifier.qr.check_related_resource`).

Its shape is fixed (``schemas/microcred-summary-v1.schema.json`` pins it, and the QR format
``MC1`` relies on it): :class:`CertificateSummary` is the one place that builds it, for the
issuer and for the QR decoder alike. Terms come from the VC 2.0 context and
``https://w3id.org/microcred/v1``, which reuses the Open Badges 3.0 IRIs (``achievement``,
``humanCode``, ``creator``, ``creditsEarned``) with OB's own definitions, so the summary reads
like the certificate it summarizes. See ``docs/qr-format.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .contexts import MICROCRED_V1, VC_V2

#: The credential type (a term of https://w3id.org/microcred/v1) and its expanded IRI.
SUMMARY_CREDENTIAL = "CertificateSummaryCredential"
SUMMARY_CREDENTIAL_IRI = "https://w3id.org/microcred/vocab#CertificateSummaryCredential"
#: The JSON Schema every summary credential matches (pinned in schemas/manifest.json).
SUMMARY_SCHEMA = "https://w3id.org/microcred/schema/summary-v1.json"
SUMMARY_CONTEXT = (VC_V2, MICROCRED_V1)
SUMMARY_TYPES = ("VerifiableCredential", SUMMARY_CREDENTIAL)
STATUS_ENTRY_TYPE = "BitstringStatusListEntry"


@dataclass(frozen=True, slots=True)
class SummaryStatusEntry:
    """A Bitstring Status List entry, as the full credential has it (BSL §2.1)."""

    purpose: str
    list_url: str
    index: int
    #: Whether the entry has an ``id``; it is then ``{list_url}#{index}``, as microcred writes it.
    with_id: bool = True

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {}
        if self.with_id:
            entry["id"] = f"{self.list_url}#{self.index}"
        entry |= {
            "type": STATUS_ENTRY_TYPE,
            "statusPurpose": self.purpose,
            "statusListIndex": str(self.index),
            "statusListCredential": self.list_url,
        }
        return entry

    @classmethod
    def from_json(cls, value: Any) -> SummaryStatusEntry:
        """Read an entry of the fixed shape; raise ``ValueError`` naming what does not fit."""
        if not isinstance(value, Mapping):
            raise ValueError("a credentialStatus entry is not an object")
        allowed = {"id", "type", "statusPurpose", "statusListIndex", "statusListCredential"}
        if set(value) - allowed:
            raise ValueError(f"credentialStatus has unsupported keys {sorted(set(value) - allowed)}")
        purpose, index, list_url = (
            value.get("statusPurpose"),
            value.get("statusListIndex"),
            value.get("statusListCredential"),
        )
        if value.get("type") != STATUS_ENTRY_TYPE:
            raise ValueError("a credentialStatus entry is not a BitstringStatusListEntry")
        if not isinstance(purpose, str) or not isinstance(list_url, str):
            raise ValueError("a credentialStatus entry needs statusPurpose and statusListCredential")
        if (
            not isinstance(index, str)
            or not index.isascii()
            or not index.isdigit()
            or str(int(index)) != index
        ):
            raise ValueError("statusListIndex must be a canonical base-10 string")
        entry = cls(purpose, list_url, int(index), "id" in value)
        if entry.with_id and value["id"] != f"{list_url}#{index}":
            raise ValueError("a credentialStatus id must be {statusListCredential}#{statusListIndex}")
        return entry


@dataclass(frozen=True, slots=True)
class CertificateSummary:
    """Every fact of a summary credential except its proof.

    ``credits_earned`` and ``hours_per_credit`` are JSON numbers; dates are VC 2.0
    ``dateTimeStamp`` strings in whole UTC seconds (``2025-07-01T00:00:00Z``).
    """

    issuer: str
    valid_from: str
    certificate_number: str
    learner_name: str
    micro_major_name: str
    micro_major_code: str
    college_name: str
    course_count: int
    credits_earned: int | float
    credit_system_name: str
    hours_per_credit: int | float
    status: tuple[SummaryStatusEntry, ...]
    #: The full credential's ``id`` and the ``digestMultibase`` of its JCS bytes.
    related_id: str
    related_digest: str
    valid_until: str | None = None

    def credential(self) -> dict[str, Any]:
        """The unsigned summary credential (VC Data Model 2.0), in its one fixed shape."""
        document: dict[str, Any] = {
            "@context": list(SUMMARY_CONTEXT),
            "type": list(SUMMARY_TYPES),
            "issuer": self.issuer,
            "validFrom": self.valid_from,
        }
        if self.valid_until is not None:
            document["validUntil"] = self.valid_until
        document["certificateNumber"] = self.certificate_number
        document["credentialSubject"] = {
            "name": self.learner_name,
            "achievement": {
                "name": self.micro_major_name,
                "humanCode": self.micro_major_code,
                "creator": {"name": self.college_name},
                "courseCount": self.course_count,
                "creditSystem": {
                    "type": ["CreditSystem"],
                    "name": self.credit_system_name,
                    "hoursPerCredit": self.hours_per_credit,
                },
            },
            "creditsEarned": self.credits_earned,
        }
        document["credentialSchema"] = {"id": SUMMARY_SCHEMA, "type": "JsonSchema"}
        if len(self.status) == 1:
            document["credentialStatus"] = self.status[0].to_json()
        elif self.status:
            document["credentialStatus"] = [entry.to_json() for entry in self.status]
        document["relatedResource"] = [{"id": self.related_id, "digestMultibase": self.related_digest}]
        return document

    @classmethod
    def from_credential(cls, document: Mapping[str, Any]) -> CertificateSummary:
        """Read a summary credential (signed or not) of the fixed shape.

        Raises ``ValueError`` naming the first thing that does not fit; the result rebuilds
        exactly ``document`` without its proof, or the caller's round-trip check will say so.
        """
        try:
            subject = document["credentialSubject"]
            achievement = subject["achievement"]
            credit_system = achievement["creditSystem"]
            related = document["relatedResource"]
            if not isinstance(related, list) or len(related) != 1:
                raise ValueError("relatedResource must list exactly one resource")
            status = document.get("credentialStatus", [])
            entries = tuple(
                SummaryStatusEntry.from_json(e) for e in (status if isinstance(status, list) else [status])
            )
            return cls(
                issuer=_text(document, "issuer"),
                valid_from=_text(document, "validFrom"),
                valid_until=_text(document, "validUntil") if "validUntil" in document else None,
                certificate_number=_text(document, "certificateNumber"),
                learner_name=_text(subject, "name"),
                micro_major_name=_text(achievement, "name"),
                micro_major_code=_text(achievement, "humanCode"),
                college_name=_text(achievement["creator"], "name"),
                course_count=_count(achievement.get("courseCount")),
                credits_earned=_number(subject, "creditsEarned"),
                credit_system_name=_text(credit_system, "name"),
                hours_per_credit=_number(credit_system, "hoursPerCredit"),
                status=entries,
                related_id=_text(related[0], "id"),
                related_digest=_text(related[0], "digestMultibase"),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a summary credential: missing or malformed {exc}") from None


def _text(node: Any, key: str) -> str:
    value = node[key]
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return value


def _number(node: Any, key: str) -> int | float:
    value = node[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number")
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("courseCount must be a non-negative integer")
    return value
