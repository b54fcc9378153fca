"""What a printed certificate says, read from the signed credential itself.

The PDF (and any other human-readable rendering) is built from the *signed* credential JSON,
never from the database, so what is printed is exactly what is signed: a verifier who reads
the credential embedded in the PDF, or carried by its QR code, reads the same facts. Where
each fact sits in the credential is in ``docs/credential-format.md``; this module reads that
layout (Open Badges 3.0 ``OpenBadgeCredential`` with the microcred context) and nothing else.

A credential that lacks a fact every certificate must state (the university, the learner, the
micro-major, its courses, the date of issue, the certificate number) raises
:class:`CertificateDataError` naming the JSON path. Optional facts (English names, study
period, industry field, registration number) are ``None`` when absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from verifier.i18n import Text

from .i18n import t

#: Dates are printed in China Standard Time (UTC+8, no daylight saving), as the registrar sees them.
CHINA_TIME = timezone(timedelta(hours=8), "CST")
#: The certificate's own title, in both languages.
TITLE_ZH = "微专业证书"
TITLE_EN = "Micro-major Certificate"
#: ``learningMode`` values (microcred context) and how a certificate names them.
LEARNING_MODES: Mapping[str, tuple[str, str]] = {
    "online": ("线上", "Online"),
    "offline": ("线下", "In person"),
    "blended": ("线上线下混合", "Blended (online and in person)"),
}
#: English glosses of the Chinese grade words registrars record (五级制 and 二级制).
GRADE_GLOSSES: Mapping[str, str] = {
    "优秀": "Excellent",
    "优": "Excellent",
    "良好": "Good",
    "良": "Good",
    "中等": "Fair",
    "中": "Fair",
    "及格": "Pass",
    "合格": "Pass",
    "通过": "Pass",
}
_CHINESE_DIGITS = "〇一二三四五六七八九"
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class CertificateRenderError(Exception):
    """A certificate cannot be rendered; :attr:`message` says why, in English and Chinese.

    Defined here, not in :mod:`issuer.pdf`, so code that only reports it need not import
    WeasyPrint; :mod:`issuer.pdf` raises it and re-exports it.
    """

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = message


class CertificateDataError(ValueError):
    """The credential lacks a fact a certificate must print; :attr:`message` says which."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True, slots=True)
class Bilingual:
    """A printed text: Chinese (always) and English (when the credential has it)."""

    zh: str
    en: str | None = None

    @property
    def en_or_zh(self) -> str:
        """The English text, or the Chinese one where there is no English (a name stays a name)."""
        return self.en or self.zh


@dataclass(frozen=True, slots=True)
class CourseLine:
    """One row of the course table."""

    number: int
    code: str | None
    name: Bilingual
    credits: Decimal
    class_hours: Decimal | None
    result: str
    result_gloss: str | None
    assessment: str | None


@dataclass(frozen=True, slots=True)
class CertificateView:
    """Every fact a printed micro-major certificate states, in print order."""

    credential_id: str
    certificate_number: str
    university: Bilingual
    institution_code: str | None
    college: Bilingual
    learner: Bilingual
    micro_major: Bilingual
    micro_major_code: str
    registration_number: str | None
    industry_field: Bilingual | None
    field_of_study: str | None
    learning_mode: Bilingual | None
    study_start: date | None
    study_end: date | None
    courses: tuple[CourseLine, ...]
    credits_earned: Decimal
    credits_available: Decimal
    total_class_hours: Decimal | None
    credit_system: Bilingual | None
    hours_per_credit: Decimal | None
    issued_on: date
    valid_until: date | None
    issuer_id: str

    @property
    def title(self) -> Bilingual:
        return Bilingual(TITLE_ZH, TITLE_EN)

    def texts(self) -> dict[str, str]:
        """Every text that will be printed, by the path it came from (for glyph checks)."""
        found: dict[str, str] = {
            "certificateNumber": self.certificate_number,
            "issuer.name": self.university.zh,
            "achievement.creator.name": self.college.zh,
            "credentialSubject.name": self.learner.zh,
            "achievement.name": self.micro_major.zh,
            "achievement.humanCode": self.micro_major_code,
        }
        optional = {
            "issuer.nameMap.en": self.university.en,
            "achievement.creator.nameMap.en": self.college.en,
            "credentialSubject.nameMap.en": self.learner.en,
            "achievement.nameMap.en": self.micro_major.en,
            "achievement.otherIdentifier": self.registration_number,
            "achievement.alignment.targetName": self.industry_field.zh if self.industry_field else None,
            "achievement.alignment.targetDescription": self.industry_field.en
            if self.industry_field
            else None,
            "achievement.fieldOfStudy": self.field_of_study,
            "achievement.creditSystem.name": self.credit_system.zh if self.credit_system else None,
            "achievement.creditSystem.nameMap.en": self.credit_system.en if self.credit_system else None,
        }
        found.update({path: text for path, text in optional.items() if text})
        for index, course in enumerate(self.courses):
            where = f"achievement.resultDescription[{index}]"
            found[f"{where}.name"] = course.name.zh
            if course.name.en:
                found[f"{where}.nameMap.en"] = course.name.en
            if course.code:
                found[f"{where}.alignment.targetCode"] = course.code
            if course.assessment:
                found[f"{where}.assessmentMethod"] = course.assessment
            found[f"credentialSubject.result[{index}].value"] = course.result
        return found


# ---------------------------------------------------------------------------------------------
# Reading the credential


def _missing(path: str) -> CertificateDataError:
    return CertificateDataError(
        t("The credential has no {path}, which every certificate must print.", path=path)
    )


def _object(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _missing(path)
    return value


def _text(node: Mapping[str, Any], key: str, path: str) -> str:
    value = node.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _missing(f"{path}.{key}")
    return value.strip()


def _optional_text(node: Mapping[str, Any], key: str) -> str | None:
    value = node.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _bilingual(node: Mapping[str, Any], key: str, path: str) -> Bilingual:
    """``key`` (the Chinese text as printed) with the English from ``keyMap.en``."""
    zh = _text(node, key, path)
    language_map = node.get(f"{key}Map")
    en = _optional_text(language_map, "en") if isinstance(language_map, Mapping) else None
    return Bilingual(zh, en)


def _number(value: Any, path: str, *, required: bool = True) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        if required:
            raise _missing(path)
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise CertificateDataError(
            t("{path} is not a number: {value}.", path=path, value=str(value))
        ) from None
    if not number.is_finite() or number < 0:
        raise CertificateDataError(t("{path} is not a number: {value}.", path=path, value=str(value)))
    return number


def _required_number(value: Any, path: str) -> Decimal:
    number = _number(value, path)
    assert number is not None  # noqa: S101 - _number raises when required
    return number


def _date(value: Any, path: str, *, required: bool = False) -> date | None:
    """The calendar date in China of an XML Schema dateTimeStamp (``2025-07-01T00:00:00Z``)."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise _missing(path)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CertificateDataError(
            t("{path} is not a date and time: {value}.", path=path, value=value)
        ) from None
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(CHINA_TIME).date()


def _first_profile_name(node: Mapping[str, Any], key: str, path: str) -> Bilingual:
    profile = _object(node.get(key), f"{path}.{key}")
    return _bilingual(profile, "name", f"{path}.{key}")


def _identifier(node: Mapping[str, Any], identifier_type: str) -> str | None:
    entries = node.get("otherIdentifier")
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        return None
    for entry in entries:
        if isinstance(entry, Mapping) and entry.get("identifierType") == identifier_type:
            return _optional_text(entry, "identifier")
    return None


def _industry_field(achievement: Mapping[str, Any]) -> Bilingual | None:
    alignments = achievement.get("alignment")
    if not isinstance(alignments, Sequence) or isinstance(alignments, str):
        return None
    for alignment in alignments:
        if isinstance(alignment, Mapping) and alignment.get("targetType") == "ext:IndustryField":
            name = _optional_text(alignment, "targetName")
            if name:
                english = _optional_text(alignment, "targetDescription")
                return Bilingual(name, english if english != name else None)
    return None


def _course_code(description: Mapping[str, Any]) -> str | None:
    alignments = description.get("alignment")
    if isinstance(alignments, Sequence) and not isinstance(alignments, str):
        for alignment in alignments:
            if isinstance(alignment, Mapping) and alignment.get("targetType") == "ext:Course":
                return _optional_text(alignment, "targetCode")
    return None


def _courses(achievement: Mapping[str, Any], subject: Mapping[str, Any]) -> tuple[CourseLine, ...]:
    path = "credentialSubject.achievement.resultDescription"
    descriptions = achievement.get("resultDescription")
    if not isinstance(descriptions, Sequence) or isinstance(descriptions, str) or not descriptions:
        raise _missing(path)
    results: dict[str, Mapping[str, Any]] = {}
    raw_results = subject.get("result")
    if isinstance(raw_results, Sequence) and not isinstance(raw_results, str):
        for result in raw_results:
            if isinstance(result, Mapping) and isinstance(result.get("resultDescription"), str):
                results[result["resultDescription"]] = result
    lines = []
    for index, raw in enumerate(descriptions):
        where = f"{path}[{index}]"
        description = _object(raw, where)
        course_id = _text(description, "id", where)
        result = results.get(course_id)
        if result is None:
            raise CertificateDataError(
                t("The credential has no result for the course {course}.", course=course_id)
            )
        value = result.get("value")
        grade = (
            str(value).strip() if isinstance(value, str | int | float) and not isinstance(value, bool) else ""
        )
        if not grade:
            raise CertificateDataError(
                t("The credential has no result for the course {course}.", course=course_id)
            )
        lines.append(
            CourseLine(
                number=index + 1,
                code=_course_code(description),
                name=_bilingual(description, "name", where),
                credits=_required_number(description.get("creditsAvailable"), f"{where}.creditsAvailable"),
                class_hours=_number(description.get("classHours"), f"{where}.classHours", required=False),
                result=grade,
                result_gloss=GRADE_GLOSSES.get(grade),
                assessment=_optional_text(description, "assessmentMethod"),
            )
        )
    return tuple(lines)


def certificate_view(credential: Mapping[str, Any]) -> CertificateView:
    """Read what the certificate prints from the signed ``credential`` (compact JSON-LD).

    Raises :class:`CertificateDataError` when a fact every certificate prints is missing, or
    when the credential carries no proof (a PDF that embeds an unsigned credential would look
    verifiable and not be).
    """
    if not isinstance(credential, Mapping):
        raise CertificateDataError(t("The credential is not a JSON object."))
    if not isinstance(credential.get("proof"), Mapping | list) or not credential.get("proof"):
        raise CertificateDataError(
            t("The credential is not signed (it has no proof); only signed credentials are printed.")
        )
    issuer = _object(credential.get("issuer"), "issuer")
    subject = _object(credential.get("credentialSubject"), "credentialSubject")
    achievement = _object(subject.get("achievement"), "credentialSubject.achievement")
    where = "credentialSubject.achievement"
    credit_system_node = achievement.get("creditSystem")
    credit_system = None
    hours_per_credit = None
    if isinstance(credit_system_node, Mapping):
        credit_system = _bilingual(credit_system_node, "name", f"{where}.creditSystem")
        hours_per_credit = _number(
            credit_system_node.get("hoursPerCredit"), f"{where}.creditSystem.hoursPerCredit", required=False
        )
    mode = achievement.get("learningMode")
    courses = _courses(achievement, subject)
    credits_available = _required_number(achievement.get("creditsAvailable"), f"{where}.creditsAvailable")
    earned = _number(subject.get("creditsEarned"), "credentialSubject.creditsEarned", required=False)
    issued_on = _date(credential.get("validFrom"), "validFrom", required=True)
    assert issued_on is not None  # noqa: S101 - required=True raises instead
    return CertificateView(
        credential_id=_text(credential, "id", "credential"),
        certificate_number=_text(credential, "certificateNumber", "credential"),
        university=_bilingual(issuer, "name", "issuer"),
        institution_code=_identifier(issuer, "ext:MOEInstitutionCode"),
        college=_first_profile_name(achievement, "creator", where),
        learner=_bilingual(subject, "name", "credentialSubject"),
        micro_major=_bilingual(achievement, "name", where),
        micro_major_code=_text(achievement, "humanCode", where),
        registration_number=_identifier(achievement, "ext:MicroMajorRegistrationNumber"),
        industry_field=_industry_field(achievement),
        field_of_study=_optional_text(achievement, "fieldOfStudy"),
        learning_mode=Bilingual(*LEARNING_MODES[mode])
        if isinstance(mode, str) and mode in LEARNING_MODES
        else None,
        study_start=_date(subject.get("activityStartDate"), "credentialSubject.activityStartDate"),
        study_end=_date(subject.get("activityEndDate"), "credentialSubject.activityEndDate"),
        courses=courses,
        credits_earned=earned if earned is not None else credits_available,
        credits_available=credits_available,
        total_class_hours=_number(
            achievement.get("totalClassHours"), f"{where}.totalClassHours", required=False
        ),
        credit_system=credit_system,
        hours_per_credit=hours_per_credit,
        issued_on=issued_on,
        valid_until=_date(credential.get("validUntil"), "validUntil"),
        issuer_id=_text(issuer, "id", "issuer"),
    )


# ---------------------------------------------------------------------------------------------
# How facts are written on paper


def format_number(value: Decimal | None) -> str:
    """``12`` not ``12.0``; ``1.5`` stays ``1.5``."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_date_zh(day: date | None) -> str:
    """``2025年7月1日``."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def format_date_zh_numerals(day: date | None) -> str:
    """``二〇二五年七月一日``: the date under the seal, written as on Chinese certificates."""
    if day is None:
        return ""

    def number(value: int) -> str:
        if value < 10:
            return _CHINESE_DIGITS[value]
        tens, ones = divmod(value, 10)
        return ("" if tens == 1 else _CHINESE_DIGITS[tens]) + "十" + (_CHINESE_DIGITS[ones] if ones else "")

    year = "".join(_CHINESE_DIGITS[int(digit)] for digit in str(day.year))
    return f"{year}年{number(day.month)}月{number(day.day)}日"


def format_date_en(day: date | None) -> str:
    """``1 July 2025`` (day-month-year: unambiguous in every English-speaking country)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}" if day else ""


def format_month_zh(day: date | None) -> str:
    """``2024年9月``."""
    return f"{day.year}年{day.month}月" if day else ""


def format_month_en(day: date | None) -> str:
    """``September 2024``."""
    return f"{_MONTHS[day.month - 1]} {day.year}" if day else ""
