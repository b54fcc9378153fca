"""Build the unsigned Open Badges 3.0 credential a university issues for a completed micro-major.

The shape, and why each fact sits where it does, is written down in
``docs/credential-format.md``. In short: standard OB 3.0 / VC 2.0 terms wherever they exist
(issuer ``Profile``, college as the achievement's ``creator`` with the university as
``parentOrg``, ``achievementType: MicroCredential``, courses as ``ResultDescription`` +
``Result``), and the microcred context (``https://w3id.org/microcred/v1``) only for what the
standards lack: per-course credits and class hours, the credit system, the certificate number,
and the Chinese/English translations (``nameMap``/``descriptionMap``, language-tagged values of
the same ``schema:name``/``schema:description`` properties).

Every input problem raises :class:`CredentialInputError` naming exactly what is wrong.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from verifier.contexts import MICROCRED_V1, OB_V3P0_303, VC_V2
from verifier.datetimes import format_date_time_stamp

OB_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
MICROCRED_SCHEMA_URL = "https://w3id.org/microcred/schema/v1.json"
INDUSTRY_FIELD_VOCABULARY = "https://w3id.org/microcred/industry-fields"
#: OB 3.0 identifier type for the national institution code (教育部学校标识码).
INSTITUTION_CODE_TYPE = "ext:MOEInstitutionCode"
#: OB 3.0 identity type for a student number, hashed with a salt.
STUDENT_NUMBER_TYPE = "ext:studentNumber"


class CredentialInputError(ValueError):
    """The builder's input cannot make a correct certificate; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class Bilingual:
    """A text printed in Chinese, with an optional English version."""

    zh: str
    en: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.zh, str) or not self.zh.strip():
            raise CredentialInputError("a Chinese text (zh) is required and must not be empty")
        if self.en is not None and not self.en.strip():
            raise CredentialInputError("an English text (en), when given, must not be empty")

    def language_map(self) -> dict[str, str]:
        return {"zh": self.zh, **({"en": self.en} if self.en else {})}


@dataclass(frozen=True, slots=True)
class IndustryField:
    """A "双千" industry field, from a published vocabulary (see ``issuer.fields``)."""

    code: str
    name: Bilingual


@dataclass(frozen=True, slots=True)
class Institution:
    """The issuing university."""

    did: str
    name: Bilingual
    institution_code: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class College:
    """The college (学院) that runs the micro-major."""

    id: str
    name: Bilingual


@dataclass(frozen=True, slots=True)
class Course:
    """A course of the micro-major."""

    code: str
    name: Bilingual
    credits: Decimal
    class_hours: Decimal
    assessment: str | None = None


@dataclass(frozen=True, slots=True)
class MicroMajor:
    """A micro-major (微专业) as the university defines it."""

    code: str
    name: Bilingual
    description: Bilingual
    college: College
    industry_field: IndustryField
    field_of_study: str
    courses: tuple[Course, ...]
    total_credits: Decimal
    criteria: Bilingual
    achievement_id: str
    hours_per_credit: Decimal = Decimal(16)
    learning_mode: str | None = None
    registration_number: str | None = None
    max_study_months: int | None = None


@dataclass(frozen=True, slots=True)
class Learner:
    """The person the certificate is for. ``student_number`` is hashed; ``did`` binds a wallet."""

    name: str
    name_en: str | None = None
    student_number: str | None = None
    did: str | None = None


@dataclass(frozen=True, slots=True)
class CourseResult:
    """What the learner achieved in one course: the grade as recorded (``92``, ``合格``, ``A``)."""

    course_code: str
    grade: str
    passed: bool = True


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """A ``BitstringStatusListEntry`` to attach (assigned by the issuer service)."""

    purpose: str
    index: int
    list_url: str


@dataclass(frozen=True, slots=True)
class CertificateDetails:
    """Per-certificate facts: number, identifier, dates, status entries."""

    certificate_number: str
    valid_from: datetime
    study_start: date | None
    study_end: date | None
    credential_id: str = field(default_factory=lambda: f"urn:uuid:{uuid.uuid4()}")
    valid_until: datetime | None = None
    status: tuple[StatusEntry, ...] = ()


def _decimal(value: Decimal | int | float | str, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise CredentialInputError(f"{what} must be a number, not {value!r}") from None
    if not number.is_finite() or number < 0:
        raise CredentialInputError(f"{what} must be a non-negative number, not {value!r}")
    return number


def _number(value: Decimal) -> int | float:
    """A JSON number that every JSON-LD processor canonicalizes the same way (12, not 12.0)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _date_time(day: date) -> str:
    return f"{day.isoformat()}T00:00:00+08:00"


def hash_student_number(student_number: str, salt: str) -> str:
    """OB 3.0 IdentityHash: ``sha256$`` + hex SHA-256 of identifier then salt (UTF-8)."""
    digest = hashlib.sha256((student_number + salt).encode("utf-8")).hexdigest()
    return f"sha256${digest}"


def _check_micro_major(micro_major: MicroMajor, fields: Mapping[str, IndustryField] | None) -> None:
    if not micro_major.code.strip():
        raise CredentialInputError("the micro-major needs a code (humanCode)")
    if not micro_major.courses:
        raise CredentialInputError(f"micro-major {micro_major.code} has no courses")
    codes = [course.code for course in micro_major.courses]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise CredentialInputError(f"micro-major {micro_major.code} lists course {duplicates[0]} twice")
    total = sum(
        (_decimal(c.credits, f"credits of course {c.code}") for c in micro_major.courses),
        Decimal(0),
    )
    expected = _decimal(micro_major.total_credits, "total credits")
    if total != expected:
        raise CredentialInputError(
            f"the course credits of micro-major {micro_major.code} add up to {total}, "
            f"but its total credits are {expected}"
        )
    for course in micro_major.courses:
        _decimal(course.class_hours, f"class hours of course {course.code}")
    if fields is not None and micro_major.industry_field.code not in fields:
        known = ", ".join(sorted(fields))
        raise CredentialInputError(
            f"unknown industry field {micro_major.industry_field.code!r}; known fields: {known}"
        )
    if not micro_major.achievement_id.startswith(("https://", "http://", "urn:")):
        raise CredentialInputError("achievement_id must be an absolute URL or a URN")


def _check_results(micro_major: MicroMajor, results: Sequence[CourseResult]) -> dict[str, CourseResult]:
    by_code: dict[str, CourseResult] = {}
    for result in results:
        if result.course_code in by_code:
            raise CredentialInputError(f"course {result.course_code} has two results")
        by_code[result.course_code] = result
    known = {course.code for course in micro_major.courses}
    unknown = sorted(set(by_code) - known)
    if unknown:
        raise CredentialInputError(f"course {unknown[0]} is not part of micro-major {micro_major.code}")
    for course in micro_major.courses:
        found = by_code.get(course.code)
        if found is None:
            raise CredentialInputError(f"course {course.code} ({course.name.zh}) has no result")
        result = found
        if not result.passed:
            raise CredentialInputError(
                f"course {course.code} ({course.name.zh}) was not passed ({result.grade})"
            )
        if not str(result.grade).strip():
            raise CredentialInputError(f"course {course.code} has an empty grade")
    return by_code


def _profile(id_: str, name: Bilingual, **extra: Any) -> dict[str, Any]:
    profile: dict[str, Any] = {"id": id_, "type": ["Profile"], "name": name.zh}
    if name.en:
        profile["nameMap"] = name.language_map()
    profile.update(extra)
    return profile


def _named(node: dict[str, Any], key: str, text: Bilingual) -> None:
    node[key] = text.zh
    if text.en:
        node[f"{key}Map"] = text.language_map()


def build_credential(
    institution: Institution,
    micro_major: MicroMajor,
    learner: Learner,
    results: Iterable[CourseResult],
    details: CertificateDetails,
    *,
    industry_fields: Mapping[str, IndustryField] | None = None,
    salt: str | None = None,
) -> dict[str, Any]:
    """Return the unsigned ``OpenBadgeCredential`` for ``learner``'s completed micro-major.

    ``industry_fields`` is the vocabulary the industry field must come from (``None`` skips
    that check). ``salt`` defaults to a fresh random value per credential.
    """
    _check_micro_major(micro_major, industry_fields)
    by_code = _check_results(micro_major, list(results))
    if not learner.name.strip():
        raise CredentialInputError("the learner's name (as printed on the certificate) is empty")
    if learner.did is not None and not learner.did.startswith("did:"):
        raise CredentialInputError(f"the learner's DID {learner.did!r} is not a DID")
    if details.study_start and details.study_end and details.study_end < details.study_start:
        raise CredentialInputError(
            f"the study period ends ({details.study_end}) before it starts ({details.study_start})"
        )
    if details.valid_until is not None and details.valid_until <= details.valid_from:
        raise CredentialInputError("validUntil must be later than validFrom")
    if not details.certificate_number.strip():
        raise CredentialInputError("the certificate number (编号) is empty")
    if not institution.did.startswith("did:"):
        raise CredentialInputError(f"the institution's identifier {institution.did!r} must be a DID")

    course_nodes = []
    result_nodes = []
    total_hours = Decimal(0)
    for course in micro_major.courses:
        course_id = f"{micro_major.achievement_id}/courses/{course.code}"
        credits = _decimal(course.credits, f"credits of course {course.code}")
        hours = _decimal(course.class_hours, f"class hours of course {course.code}")
        total_hours += hours
        node: dict[str, Any] = {"id": course_id, "type": ["ResultDescription"]}
        _named(node, "name", course.name)
        node.update(
            {
                "resultType": "Result",
                "creditsAvailable": _number(credits),
                "classHours": _number(hours),
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": course.name.zh,
                        "targetCode": course.code,
                        "targetType": "ext:Course",
                        "targetUrl": course_id,
                    }
                ],
            }
        )
        if course.assessment:
            node["assessmentMethod"] = course.assessment
        course_nodes.append(node)
        result_nodes.append(
            {
                "type": ["Result"],
                "resultDescription": course_id,
                "value": str(by_code[course.code].grade).strip(),
                "status": "Completed",
            }
        )

    field_ = micro_major.industry_field
    achievement: dict[str, Any] = {"id": micro_major.achievement_id, "type": ["Achievement"]}
    achievement["achievementType"] = "MicroCredential"
    achievement["humanCode"] = micro_major.code
    _named(achievement, "name", micro_major.name)
    _named(achievement, "description", micro_major.description)
    criteria: dict[str, Any] = {}
    _named(criteria, "narrative", micro_major.criteria)
    achievement["criteria"] = criteria
    achievement["fieldOfStudy"] = micro_major.field_of_study
    achievement["alignment"] = [
        {
            "type": ["Alignment"],
            "targetName": field_.name.zh,
            "targetDescription": field_.name.en or field_.name.zh,
            "targetCode": field_.code,
            "targetFramework": "“双千”计划产业领域 (MOE micro-major plan industry fields)",
            "targetType": "ext:IndustryField",
            "targetUrl": f"{INDUSTRY_FIELD_VOCABULARY}#{field_.code}",
        }
    ]
    achievement["creditsAvailable"] = _number(_decimal(micro_major.total_credits, "total credits"))
    achievement["totalClassHours"] = _number(total_hours)
    achievement["creditSystem"] = {
        "type": ["CreditSystem"],
        "name": "中国高校学分",
        "nameMap": {"zh": "中国高校学分", "en": "Chinese university credit"},
        "hoursPerCredit": _number(_decimal(micro_major.hours_per_credit, "hours per credit")),
    }
    if micro_major.learning_mode:
        achievement["learningMode"] = micro_major.learning_mode
    if micro_major.max_study_months is not None:
        achievement["maxStudyMonths"] = micro_major.max_study_months
    if micro_major.registration_number:
        achievement["otherIdentifier"] = [
            {
                "type": "IdentifierEntry",
                "identifier": micro_major.registration_number,
                "identifierType": "ext:MicroMajorRegistrationNumber",
            }
        ]
    achievement["creator"] = _profile(
        micro_major.college.id,
        micro_major.college.name,
        parentOrg=_profile(institution.did, institution.name),
    )
    achievement["resultDescription"] = course_nodes
    achievement["inLanguage"] = "zh"

    subject: dict[str, Any] = {}
    if learner.did:
        subject["id"] = learner.did
    subject["type"] = ["AchievementSubject"]
    subject["name"] = learner.name.strip()
    if learner.name_en:
        subject["nameMap"] = {"zh": learner.name.strip(), "en": learner.name_en.strip()}
    if learner.student_number:
        identity_salt = salt if salt is not None else secrets.token_hex(16)
        subject["identifier"] = [
            {
                "type": "IdentityObject",
                "hashed": True,
                "identityHash": hash_student_number(learner.student_number.strip(), identity_salt),
                "identityType": STUDENT_NUMBER_TYPE,
                "salt": identity_salt,
            }
        ]
    subject["achievement"] = achievement
    subject["creditsEarned"] = achievement["creditsAvailable"]
    if details.study_start:
        subject["activityStartDate"] = _date_time(details.study_start)
    if details.study_end:
        subject["activityEndDate"] = _date_time(details.study_end)
    subject["result"] = result_nodes

    issuer_extra: dict[str, Any] = {}
    if institution.url:
        issuer_extra["url"] = institution.url
    issuer_extra["otherIdentifier"] = [
        {
            "type": "IdentifierEntry",
            "identifier": institution.institution_code,
            "identifierType": INSTITUTION_CODE_TYPE,
        }
    ]
    credential: dict[str, Any] = {
        "@context": [VC_V2, OB_V3P0_303, MICROCRED_V1],
        "id": details.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
    }
    _named(
        credential,
        "name",
        Bilingual(
            f"{micro_major.name.zh}微专业证书",
            f"Micro-major Certificate in {micro_major.name.en}" if micro_major.name.en else None,
        ),
    )
    credential["certificateNumber"] = details.certificate_number.strip()
    credential["issuer"] = _profile(institution.did, institution.name, **issuer_extra)
    credential["validFrom"] = format_date_time_stamp(details.valid_from)
    if details.valid_until is not None:
        credential["validUntil"] = format_date_time_stamp(details.valid_until)
    credential["credentialSubject"] = subject
    if details.status:
        entries = [
            {
                "id": f"{entry.list_url}#{entry.index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": entry.purpose,
                "statusListIndex": str(entry.index),
                "statusListCredential": entry.list_url,
            }
            for entry in details.status
        ]
        # Open Badges 3.0 allows one credentialStatus (an object, not a list): a list of
        # several entries is valid VC 2.0 but fails the OB 3.0 schema. See docs/credential-format.md.
        credential["credentialStatus"] = entries[0] if len(entries) == 1 else entries
    credential["credentialSchema"] = [
        {"id": OB_SCHEMA_URL, "type": "JsonSchema"},
        {"id": MICROCRED_SCHEMA_URL, "type": "JsonSchema"},
    ]
    return credential
