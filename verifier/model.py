"""The credential as signed: typed facts read from the *expanded* JSON-LD, never from raw JSON.

A verifier must show and use only what the signature covers. Reading ``validUntil`` from the
JSON would trust whatever key merely looks like it; reading the expanded form (full IRIs, after
the strict checks of :mod:`verifier.linkeddata`) reads exactly what was signed. Everything here
is parsed once into frozen dataclasses the checks and the pages use.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .datetimes import parse_date_time_stamp

VC = "https://www.w3.org/2018/credentials#"
OB = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
SCHEMA = "https://schema.org/"
STATUS = "https://www.w3.org/ns/credentials/status#"
MC = "https://w3id.org/microcred/vocab#"
SEC = "https://w3id.org/security#"
RDF_TYPE = "@type"

VERIFIABLE_CREDENTIAL = VC + "VerifiableCredential"
OPEN_BADGE_CREDENTIAL = OB + "OpenBadgeCredential"
ACHIEVEMENT_CREDENTIAL = OB + "AchievementCredential"
BITSTRING_STATUS_LIST_ENTRY = STATUS + "BitstringStatusListEntry"
BITSTRING_STATUS_LIST_CREDENTIAL = STATUS + "BitstringStatusListCredential"


# --- Reading expanded JSON-LD ------------------------------------------------------------------


def values(node: Mapping[str, Any], iri: str) -> list[Any]:
    """The values of property ``iri`` on an expanded node (always a list)."""
    found = node.get(iri, [])
    return found if isinstance(found, list) else [found]


def nodes(node: Mapping[str, Any], iri: str) -> Iterator[Mapping[str, Any]]:
    """The node objects among the values of ``iri``."""
    for value in values(node, iri):
        if isinstance(value, dict) and "@value" not in value:
            yield value


def literal(node: Mapping[str, Any], iri: str) -> Any:
    """The first literal value of ``iri`` (``None`` if absent)."""
    for value in values(node, iri):
        if isinstance(value, dict) and "@value" in value:
            return value["@value"]
    return None


def node_id(node: Mapping[str, Any], iri: str) -> str | None:
    """The first ``@id`` among the values of ``iri``."""
    for value in values(node, iri):
        if isinstance(value, dict) and "@id" in value:
            return str(value["@id"])
    return None


def types(node: Mapping[str, Any]) -> list[str]:
    found = node.get("@type", [])
    return [str(t) for t in (found if isinstance(found, list) else [found])]


@dataclass(frozen=True, slots=True)
class LocalizedText:
    """A text with its translations: ``default`` (untagged or first) plus language → text."""

    default: str | None
    by_language: Mapping[str, str] = field(default_factory=dict)

    def get(self, language: str | None = None) -> str | None:
        """The text in ``language`` (``zh``, ``en``...) if present, else the default."""
        if language:
            for tag, text in self.by_language.items():
                if tag == language or tag.startswith(language + "-"):
                    return text
        return self.default or next(iter(self.by_language.values()), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "default": self.default,
            **({"byLanguage": dict(self.by_language)} if self.by_language else {}),
        }


def localized(node: Mapping[str, Any], iri: str) -> LocalizedText:
    default = None
    by_language: dict[str, str] = {}
    for value in values(node, iri):
        if not (isinstance(value, dict) and isinstance(value.get("@value"), str)):
            continue
        language = value.get("@language")
        if language:
            by_language.setdefault(str(language), value["@value"])
        elif default is None:
            default = value["@value"]
    return LocalizedText(default, by_language)


# --- Typed facts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Party:
    """An issuer or a college: identifier, name, and (for institutions) identifiers."""

    id: str | None
    name: LocalizedText
    other_identifiers: Mapping[str, str] = field(default_factory=dict)
    parent: Party | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name.get("zh"),
            "names": self.name.to_json(),
        }
        if self.other_identifiers:
            out["identifiers"] = dict(self.other_identifiers)
        if self.parent is not None:
            out["parent"] = self.parent.to_json()
        return out


@dataclass(frozen=True, slots=True)
class Course:
    """One course of a micro-major: what it is worth and what the learner achieved."""

    id: str | None
    code: str | None
    name: LocalizedText
    credits: float | None
    class_hours: float | None
    result: str | None
    status: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.code,
            "name": self.name.get("zh"),
            "names": self.name.to_json(),
            "credits": self.credits,
            "classHours": self.class_hours,
            "result": self.result,
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class CredentialFacts:
    """What a signed credential says, in the terms a registrar or an employer uses."""

    id: str | None
    types: tuple[str, ...]
    name: LocalizedText
    issuer: Party | None
    valid_from: datetime | None
    valid_from_raw: str | None
    valid_until: datetime | None
    valid_until_raw: str | None
    status_entries: tuple[Mapping[str, Any], ...]
    learner_name: LocalizedText
    learner_id: str | None
    achievement_id: str | None
    achievement_name: LocalizedText
    achievement_code: str | None
    achievement_type: str | None
    field_of_study: str | None
    college: Party | None
    credits_available: float | None
    credits_earned: float | None
    total_class_hours: float | None
    study_start: str | None
    study_end: str | None
    certificate_number: str | None
    courses: tuple[Course, ...]
    #: How many courses the micro-major has: stated by a QR code's summary credential, which
    #: lists none of them; otherwise the number of courses listed.
    course_count: int | None = None
    #: VC 2.0 §5.3 ``relatedResource`` entries: ``{"id", "digestMultibase"?, "digestSRI"?}``.
    related_resources: tuple[Mapping[str, str], ...] = ()

    def summary(self) -> dict[str, Any]:
        """The JSON summary the CLI and the API print (names issuer, learner, micro-major, credits)."""
        return {
            "credentialId": self.id,
            "issuer": self.issuer.to_json() if self.issuer else None,
            "learner": {
                "name": self.learner_name.get("zh"),
                "names": self.learner_name.to_json(),
                "id": self.learner_id,
            },
            "microMajor": {
                "id": self.achievement_id,
                "code": self.achievement_code,
                "name": self.achievement_name.get("zh"),
                "names": self.achievement_name.to_json(),
                "achievementType": self.achievement_type,
                "fieldOfStudy": self.field_of_study,
                "college": self.college.to_json() if self.college else None,
            },
            "credits": {
                "earned": self.credits_earned,
                "available": self.credits_available,
                "classHours": self.total_class_hours,
            },
            "courses": [course.to_json() for course in self.courses],
            "studyPeriod": {"start": self.study_start, "end": self.study_end},
            "certificateNumber": self.certificate_number,
            "courseCount": self.course_count if self.course_count is not None else len(self.courses),
            **(
                {"relatedResources": [dict(r) for r in self.related_resources]}
                if self.related_resources
                else {}
            ),
            "validFrom": self.valid_from_raw,
            "validUntil": self.valid_until_raw,
        }


def _float(value: Any) -> float | None:
    """A number of credits or hours, or None: not a number, or not a finite one ("NaN",
    "Infinity", "1e999", an integer too large for a float), which no summary can show (and JSON
    cannot carry)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _party(node: Mapping[str, Any] | None) -> Party | None:
    if node is None:
        return None
    identifiers: dict[str, str] = {}
    for entry in nodes(node, OB + "otherIdentifier"):
        kind, ident = literal(entry, OB + "identifierType"), literal(entry, OB + "identifier")
        if isinstance(kind, str) and isinstance(ident, str):
            identifiers[kind] = ident
    parent = next(nodes(node, OB + "parentOrg"), None)
    return Party(
        node.get("@id"),
        localized(node, SCHEMA + "name"),
        identifiers,
        _party(parent) if parent else None,
    )


def _subject(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    return next(nodes(credential, VC + "credentialSubject"), {})


def read_facts(expanded: list[Any]) -> CredentialFacts:
    """Read a credential's facts from its expanded (signed) form."""
    credential: Mapping[str, Any] = expanded[0] if expanded and isinstance(expanded[0], dict) else {}
    subject = _subject(credential)
    achievement = next(nodes(subject, OB + "achievement"), {})
    issuer_node = next(nodes(credential, VC + "issuer"), None)
    valid_from_raw = literal(credential, VC + "validFrom") or literal(credential, VC + "issuanceDate")
    valid_until_raw = literal(credential, VC + "validUntil") or literal(credential, VC + "expirationDate")
    descriptions = {d.get("@id"): d for d in nodes(achievement, OB + "resultDescription")}
    results = {literal(r, OB + "resultDescription"): r for r in nodes(subject, OB + "result")}
    courses = []
    for description_id, description in descriptions.items():
        result = results.get(description_id, {})
        code = None
        for alignment in nodes(description, OB + "alignment"):
            code = code or literal(alignment, OB + "targetCode")
        courses.append(
            Course(
                id=description_id,
                code=code,
                name=localized(description, SCHEMA + "name"),
                credits=_float(literal(description, OB + "creditsAvailable")),
                class_hours=_float(literal(description, MC + "classHours")),
                result=None
                if literal(result, SCHEMA + "value") is None
                else str(literal(result, SCHEMA + "value")),
                status=literal(result, OB + "status"),
            )
        )
    status_entries = tuple(_status_entry(node) for node in nodes(credential, VC + "credentialStatus"))
    return CredentialFacts(
        id=credential.get("@id"),
        types=tuple(types(credential)),
        name=localized(credential, SCHEMA + "name"),
        issuer=_party(issuer_node) if issuer_node else _party({"@id": node_id(credential, VC + "issuer")}),
        valid_from=parse_date_time_stamp(valid_from_raw),
        valid_from_raw=valid_from_raw,
        valid_until=parse_date_time_stamp(valid_until_raw),
        valid_until_raw=valid_until_raw,
        status_entries=status_entries,
        learner_name=localized(subject, SCHEMA + "name"),
        learner_id=subject.get("@id"),
        achievement_id=achievement.get("@id"),
        achievement_name=localized(achievement, SCHEMA + "name"),
        achievement_code=literal(achievement, OB + "humanCode"),
        achievement_type=literal(achievement, OB + "achievementType"),
        field_of_study=literal(achievement, OB + "fieldOfStudy"),
        college=_party(next(nodes(achievement, OB + "creator"), None)),
        credits_available=_float(literal(achievement, OB + "creditsAvailable")),
        credits_earned=_float(literal(subject, OB + "creditsEarned")),
        total_class_hours=_float(literal(achievement, MC + "totalClassHours")),
        study_start=literal(subject, OB + "activityStartDate"),
        study_end=literal(subject, OB + "activityEndDate"),
        certificate_number=literal(credential, MC + "certificateNumber"),
        course_count=_count(literal(achievement, MC + "courseCount")),
        related_resources=tuple(_related(node) for node in nodes(credential, VC + "relatedResource")),
        courses=tuple(courses),
    )


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _related(node: Mapping[str, Any]) -> dict[str, str]:
    """A related resource (VC Data Model 2.0 §5.3) with the digests it states."""
    found = {"id": str(node.get("@id"))}
    for key, iri in (("digestMultibase", SEC + "digestMultibase"), ("digestSRI", VC + "digestSRI")):
        digest = literal(node, iri)
        if isinstance(digest, str):
            found[key] = digest
    return found


def _status_entry(node: Mapping[str, Any]) -> dict[str, Any]:
    """A status entry from the expanded form, in the compact shape the status module reads."""
    entry: dict[str, Any] = {
        "type": [t.rsplit("#", 1)[-1] for t in types(node)],
        "_types": types(node),
    }
    purpose = literal(node, STATUS + "statusPurpose")
    if purpose is not None:
        entry["statusPurpose"] = purpose
    index = literal(node, STATUS + "statusListIndex")
    if index is not None:
        entry["statusListIndex"] = index
    list_url = node_id(node, STATUS + "statusListCredential")
    if list_url is not None:
        entry["statusListCredential"] = list_url
    size = literal(node, STATUS + "statusSize")
    if size is not None:
        entry["statusSize"] = int(size) if isinstance(size, str) and size.isdigit() else size
    messages = [
        {"status": literal(m, STATUS + "status"), "message": literal(m, STATUS + "message")}
        for m in nodes(node, STATUS + "statusMessage")
    ]
    if messages:
        entry["statusMessage"] = messages
    return entry
