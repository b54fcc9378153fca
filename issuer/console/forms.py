"""The programme form: a web form that *is* a programme file.

Each input is named by the path the programme-file reader reports problems under
(``name.zh``, ``courses[2].credits``…), so the form is read by building the same document a
registrar would write in YAML and handing it to :func:`issuer.programme_file.parse_programme_file`
— one set of rules for files and forms — and every problem lands on its own input. Blank course
rows are skipped (the form offers spare rows); acknowledged policy rules are a checkbox and a
reason per rule.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session

from ..credential import Bilingual
from ..credential import College as CollegeInfo
from ..fields import DEFAULT_INDUSTRY_FIELDS
from ..i18n import IssuerText, t
from ..models import College, Programme
from ..policy import PROGRAMME_RULES, PolicyFinding, check_programme, format_decimal, outstanding_findings
from ..programme_file import LEARNING_MODES, ProgrammeFileError, ProgrammeSpec, parse_programme_file
from ..programmes import courses_of
from ..service import Service

FORM_FILENAME = "form.json"
#: Spare empty course rows offered below the filled ones.
SPARE_ROWS = 2
MIN_ROWS = 6
#: Most course rows the form shows again (a micro-major has a handful of courses).
MAX_ROWS = 100

TEXT_FIELDS = (
    "code",
    "college_code",
    "industry_field",
    "field_of_study",
    "learning_mode",
    "registration_number",
)
BILINGUAL_FIELDS = ("name", "description", "college_name", "criteria")
NUMBER_FIELDS = ("hours_per_credit", "total_credits", "max_study_months")
COURSE_TEXT = ("code", "assessment")
COURSE_NUMBERS = ("credits", "class_hours")

_COURSE_FIELD = re.compile(r"courses\[(\d+)\]\.(.+)")
_ACK_PATH = re.compile(r"acknowledged\[(\d+)\](?:\.(rule|reason))?")


def rule_label(rule: str) -> IssuerText:
    labels = {
        "course_count": t("Number of courses"),
        "total_credits": t("Total credits"),
        "credits_per_course": t("Credits per course"),
        "hours_per_credit": t("Class hours per credit"),
        "max_study_months": t("Longest study period"),
    }
    return labels.get(rule, t("Rule {rule}", rule=rule))


def learning_mode_label(mode: str) -> IssuerText | str:
    labels = {"online": t("Online"), "offline": t("In person"), "blended": t("Blended")}
    return labels.get(mode, mode)


def _field_labels() -> dict[str, IssuerText]:
    return {
        "code": t("Code"),
        "registration_number": t("Registration number"),
        "name.zh": t("Name (Chinese)"),
        "name.en": t("Name (English)"),
        "description.zh": t("Description (Chinese)"),
        "description.en": t("Description (English)"),
        "college_code": t("College code"),
        "college_name.zh": t("College name (Chinese)"),
        "college_name.en": t("College name (English)"),
        "industry_field": t("Industry field (“双千” plan)"),
        "field_of_study": t("Field of study"),
        "learning_mode": t("Learning mode"),
        "courses": t("Courses"),
        "total_credits": t("Total credits"),
        "hours_per_credit": t("Class hours per credit"),
        "max_study_months": t("Longest study period (months)"),
        "criteria.zh": t("Criteria (Chinese)"),
        "criteria.en": t("Criteria (English)"),
        "acknowledged": t("Acknowledged departures from the policy"),
    }


def _course_labels() -> dict[str, IssuerText]:
    return {
        "code": t("Code"),
        "name.zh": t("Name (Chinese)"),
        "name.en": t("Name (English)"),
        "credits": t("Credits"),
        "class_hours": t("Class hours"),
        "assessment": t("Assessment"),
    }


def describe_input(name: str) -> IssuerText | str:
    """What an input is called on the page (``courses[2].credits`` → "Course 3: Credits")."""
    course = _COURSE_FIELD.fullmatch(name)
    if course is not None:
        label = _course_labels().get(course.group(2), course.group(2))
        return t("Course {n}: {field}", n=int(course.group(1)) + 1, field=label)
    if name.startswith("ack."):
        rule = name.split(".")[1]
        return t("Reason for departing from: {rule}", rule=rule_label(rule))
    return _field_labels().get(name, name)


@dataclass
class ProgrammeForm:
    """What the registrar typed (to show it again), and the problems found, by input name."""

    values: dict[str, str] = field(default_factory=dict)
    rows: int = MIN_ROWS
    problems: list[tuple[str, IssuerText]] = field(default_factory=list)

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def label(self, name: str) -> IssuerText | str:
        return describe_input(name)

    def errors_for(self, name: str) -> list[IssuerText]:
        return [message for where, message in self.problems if where == name]


def _clean(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _number(text: str) -> Any:
    """A typed number as a JSON number (``12`` an integer, ``1.5`` a decimal); text that is no
    number is passed on as text, for the programme-file reader to refuse with its message."""
    cleaned = _clean(text)
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    return int(number) if number == number.to_integral_value() and "." not in cleaned else float(number)


def _bilingual(values: Mapping[str, str], name: str) -> dict[str, str] | None:
    zh, en = values.get(f"{name}.zh", "").strip(), values.get(f"{name}.en", "").strip()
    out = {k: v for k, v in (("zh", zh), ("en", en)) if v}
    return out or None


def read_form(values: Mapping[str, str]) -> tuple[ProgrammeForm, dict[str, Any], list[int], list[str]]:
    """The form as typed, the programme document it describes, and how to map problems back.

    Returns ``(form, document, course_rows, acknowledged_rules)``: ``course_rows[i]`` is the form
    row of the document's ``courses[i]``; ``acknowledged_rules[j]`` the rule of ``acknowledged[j]``.
    """
    kept = {k: v for k, v in values.items() if isinstance(v, str)}
    row_numbers = {int(m.group(1)) for k in kept if (m := _COURSE_FIELD.fullmatch(k))}
    document: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if kept.get(name, "").strip():
            document[name] = kept[name].strip()
    for name in BILINGUAL_FIELDS:
        value = _bilingual(kept, name)
        if value is not None:
            document[name] = value
    for name in NUMBER_FIELDS:
        if kept.get(name, "").strip():
            document[name] = _number(kept[name])
    courses: list[dict[str, Any]] = []
    course_rows: list[int] = []
    for row in sorted(row_numbers):
        prefix = f"courses[{row}]"
        course: dict[str, Any] = {}
        for name in COURSE_TEXT:
            if kept.get(f"{prefix}.{name}", "").strip():
                course[name] = kept[f"{prefix}.{name}"].strip()
        course_name = _bilingual(kept, f"{prefix}.name")
        if course_name is not None:
            course["name"] = course_name
        for name in COURSE_NUMBERS:
            if kept.get(f"{prefix}.{name}", "").strip():
                course[name] = _number(kept[f"{prefix}.{name}"])
        if course:
            courses.append(course)
            course_rows.append(row)
    if courses:
        document["courses"] = courses
    if "total_credits" not in document and courses:
        credits = [c.get("credits") for c in courses]
        if all(isinstance(c, int | float) for c in credits):
            total = sum((Decimal(repr(c)) for c in credits), Decimal(0))
            document["total_credits"] = float(format_decimal(total)) if total % 1 else int(total)
    acknowledged = []
    acknowledged_rules = []
    for rule in PROGRAMME_RULES:
        if kept.get(f"ack.{rule}"):
            reason = kept.get(f"ack.{rule}.reason", "").strip()
            acknowledged.append({"rule": rule, **({"reason": reason} if reason else {})})
            acknowledged_rules.append(rule)
    if acknowledged:
        document["acknowledged"] = acknowledged
    shown = min(max(row_numbers, default=-1) + 1 + SPARE_ROWS, MAX_ROWS)
    form = ProgrammeForm(kept, max(shown, MIN_ROWS))
    return form, document, course_rows, acknowledged_rules


def input_for(path: str, course_rows: list[int], acknowledged_rules: list[str]) -> str:
    """The input a reader problem at ``path`` belongs to."""
    course = _COURSE_FIELD.fullmatch(path)
    if course is not None:
        index, rest = int(course.group(1)), course.group(2)
        row = course_rows[index] if index < len(course_rows) else index
        path = f"courses[{row}].{rest}"
        return path + ".zh" if rest == "name" else path
    if re.fullmatch(r"courses\[\d+\]", path):
        index = int(path[8:-1])
        row = course_rows[index] if index < len(course_rows) else index
        return f"courses[{row}].code"
    ack = _ACK_PATH.fullmatch(path)
    if ack is not None:
        index = int(ack.group(1))
        rule = acknowledged_rules[index] if index < len(acknowledged_rules) else "?"
        return f"ack.{rule}.reason" if ack.group(2) == "reason" else f"ack.{rule}"
    if path in BILINGUAL_FIELDS:
        return path + ".zh"
    return path


def parse_form(values: Mapping[str, str]) -> tuple[ProgrammeForm, ProgrammeSpec | None]:
    """Read the form through the programme-file reader; problems are attached to their inputs."""
    form, document, course_rows, acknowledged_rules = read_form(values)
    data = json.dumps(document, ensure_ascii=False).encode()
    try:
        specs = parse_programme_file(data, FORM_FILENAME)
    except ProgrammeFileError as exc:
        form.problems = [
            (input_for(path, course_rows, acknowledged_rules), message) for path, message in exc.problems
        ]
        return form, None
    return form, specs[0]


@dataclass(frozen=True, slots=True)
class PolicyCheck:
    """How a programme compares with the institution policy, and what still stops it."""

    findings: list[PolicyFinding]
    outstanding: list[PolicyFinding]


def check_policy(service: Service, spec: ProgrammeSpec) -> PolicyCheck:
    """Run :func:`issuer.policy.check_programme` on a form's programme, as its import will."""
    college_name = spec.college_name or Bilingual(spec.college_code)
    micro_major = spec.to_micro_major(
        college=CollegeInfo(service.college_id(spec.college_code), college_name),
        industry_field=DEFAULT_INDUSTRY_FIELDS[spec.industry_field],
        achievement_id=service.achievement_id(spec.code),
    )
    findings = check_programme(micro_major, service.policy)
    return PolicyCheck(findings, outstanding_findings(findings, spec.acknowledged))


def form_from_programme(session: Session, programme: Programme) -> ProgrammeForm:
    """The edit form of a stored programme."""
    college = session.get(College, programme.college_id)
    values: dict[str, str] = {
        "code": programme.code,
        "name.zh": programme.name_zh,
        "name.en": programme.name_en or "",
        "description.zh": programme.description_zh,
        "description.en": programme.description_en or "",
        "college_code": college.code if college else "",
        "college_name.zh": college.name_zh if college else "",
        "college_name.en": (college.name_en or "") if college else "",
        "industry_field": programme.industry_field,
        "field_of_study": programme.field_of_study,
        "learning_mode": programme.learning_mode or "",
        "registration_number": programme.registration_number or "",
        "hours_per_credit": format_decimal(Decimal(programme.hours_per_credit)),
        "max_study_months": str(programme.max_study_months or ""),
        "total_credits": format_decimal(Decimal(programme.total_credits)),
        "criteria.zh": programme.criteria_zh,
        "criteria.en": programme.criteria_en or "",
    }
    courses = courses_of(session, programme)
    for row, course in enumerate(courses):
        prefix = f"courses[{row}]"
        values |= {
            f"{prefix}.code": course.code,
            f"{prefix}.name.zh": course.name_zh,
            f"{prefix}.name.en": course.name_en or "",
            f"{prefix}.credits": format_decimal(Decimal(course.credits)),
            f"{prefix}.class_hours": format_decimal(Decimal(course.class_hours)),
            f"{prefix}.assessment": course.assessment or "",
        }
    for entry in programme.acknowledged or []:
        if isinstance(entry, Mapping) and entry.get("rule") in PROGRAMME_RULES:
            values[f"ack.{entry['rule']}"] = "on"
            values[f"ack.{entry['rule']}.reason"] = str(entry.get("reason") or "")
    return ProgrammeForm(values, max(len(courses) + SPARE_ROWS, MIN_ROWS))


def industry_field_choices(language: str) -> list[tuple[str, str]]:
    return [
        (code, (item.name.zh if language == "zh" else item.name.en or item.name.zh) or code)
        for code, item in DEFAULT_INDUSTRY_FIELDS.items()
    ]


def learning_mode_choices() -> list[tuple[str, IssuerText | str]]:
    return [(mode, learning_mode_label(mode)) for mode in LEARNING_MODES]
