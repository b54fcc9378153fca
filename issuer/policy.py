"""Institution policy: the rules a micro-major must follow, as configuration rather than code.

Every university writes its own micro-major regulations (see the table in DOMAIN.md), so the
numbers live in an :class:`InstitutionPolicy` — a preset from :data:`PRESETS`, or one built by
:func:`load_policy` from the install's configuration — and :func:`check_programme` reports how a
programme compares with it as :class:`PolicyFinding` objects.

Hard and soft rules
    A finding is an ``"error"`` (a hard limit: the programme must be changed, or the policy
    configured differently) or a ``"warning"`` (a soft rule a registrar may acknowledge, with a
    reason that goes into the audit log). The presets decide from the wording of each source:

    * Programme shape — number of core courses, total credits, credits per course — is a
      **warning** in every preset. The regulations state these numbers "in principle"
      (原则上) or "about", and real, approved programmes bend them: USTB's own powder-materials
      micro-major has 8 courses of 1.5 credits under a "2-3 credits per course" rule. Refusing to
      issue certificates for a running, approved programme would help nobody; the registrar
      acknowledges the deviation instead.
    * Class hours per credit is an **error**. It is not a target but the definition of the
      credit unit, and the certificate prints it (``creditSystem.hoursPerCredit``): a course
      whose hours do not match its credits makes the signed certificate contradict itself, and
      a registrar elsewhere computes credit transfer from exactly these numbers. An institution
      that counts practical courses differently configures ``hours_per_credit_severity``.
    * The maximum study period is an **error** where the source states an absolute maximum
      ("at most 2 years", "at most 1 year"): it bounds enrolment, and the certificate prints it.
      Anshan Normal University's call only says "teach by July the next year", which is turned
      into "about 12 months" — a **warning**.
    * Minimum class size concerns a cohort, not a programme (:func:`check_class_size`), and is
      always a warning: a small cohort is the college's decision to run, not a fault in a
      certificate.

This module also holds the strict reader for hand-written configuration (:class:`ConfigReader`)
that :mod:`issuer.programme_file` shares: every problem is collected with its path, so one run
reports all of them.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, get_args

from .credential import Bilingual, MicroMajor
from .i18n import IssuerText, t

Severity = Literal["error", "warning"]
SEVERITIES: tuple[str, ...] = get_args(Severity)

#: Rule ids a programme is checked against (and that a programme file may acknowledge).
PROGRAMME_RULES: tuple[str, ...] = (
    "course_count",
    "total_credits",
    "credits_per_course",
    "hours_per_credit",
    "max_study_months",
)
#: Rule id of the cohort-size check (:func:`check_class_size`).
CLASS_SIZE_RULE = "min_class_size"

_SURROGATE = re.compile("[\ud800-\udfff]")

#: How many problems an error message shows (all of them stay in ``problems``).
MAX_RENDERED_PROBLEMS = 100

#: A problem in a hand-written file: (path such as ``courses[3].credits``, message).
Problem = tuple[str, IssuerText]


# --------------------------------------------------------------------------------------------
# The policy


@dataclass(frozen=True, slots=True)
class Limit:
    """A numeric range; either bound may be ``None``. ``severity`` says how a breach is reported."""

    minimum: Decimal | None = None
    maximum: Decimal | None = None
    severity: Severity = "warning"

    def allows(self, value: Decimal) -> bool:
        if self.minimum is not None and value < self.minimum:
            return False
        return self.maximum is None or value <= self.maximum

    def describe(self) -> IssuerText | str:
        """The range as a registrar reads it: ``2–3``, ``at least 6``, ``at most 15``, ``5``."""
        low, high = self.minimum, self.maximum
        if low is not None and high is not None:
            if low == high:
                return format_decimal(low)
            return t("{minimum}–{maximum}", minimum=format_decimal(low), maximum=format_decimal(high))
        if low is not None:
            return t("at least {minimum}", minimum=format_decimal(low))
        if high is not None:
            return t("at most {maximum}", maximum=format_decimal(high))
        return t("any number")


@dataclass(frozen=True, slots=True)
class InstitutionPolicy:
    """One institution's micro-major rules. ``None`` means "no rule"."""

    id: str
    name: Bilingual
    course_count: Limit | None
    total_credits: Limit | None
    credits_per_course: Limit | None
    #: Class hours of each course must equal credits * this.
    hours_per_credit: Decimal | None
    hours_per_credit_severity: Severity
    #: Limit on the programme's maximum study period, in months.
    max_study_months: Limit | None
    #: Smallest cohort the college should run (informative; a warning).
    min_class_size: int | None
    #: The college must approve a cohort before certificates are issued.
    requires_college_approval: bool
    #: Default numeric pass mark for completion records.
    pass_mark: Decimal
    #: Informative.
    fee_per_credit_cny: Decimal | None
    #: Where the numbers come from (document name / year).
    source: str


@dataclass(frozen=True, slots=True)
class PolicyFinding:
    """How a programme departs from a policy rule."""

    rule: str
    severity: Severity
    message: IssuerText
    course_code: str | None = None


def _d(value: str | int) -> Decimal:
    return Decimal(value)


PRESETS: dict[str, InstitutionPolicy] = {
    policy.id: policy
    for policy in (
        InstitutionPolicy(
            id="ustb-2024",
            name=Bilingual(
                "北京科技大学微专业管理办法（2024）",
                "University of Science and Technology Beijing micro-major regulations (2024)",
            ),
            course_count=Limit(_d(6), _d(10)),
            total_credits=Limit(_d(12), _d(20)),
            credits_per_course=Limit(_d(2), _d(3)),
            hours_per_credit=_d(16),
            hours_per_credit_severity="error",
            max_study_months=Limit(None, _d(24), "error"),
            min_class_size=15,
            requires_college_approval=False,
            pass_mark=_d(60),
            fee_per_credit_cny=_d(140),
            source="University of Science and Technology Beijing, micro-major regulations, 2024",
        ),
        InstitutionPolicy(
            id="ccut-hit-2025",
            name=Bilingual(
                "长春工业大学人文信息学院微专业管理办法（2025）",
                "Changchun University of Technology College of Humanities and Information "
                "Technology micro-major regulations (2025)",
            ),
            course_count=Limit(_d(6), _d(7)),
            total_credits=Limit(_d(12), _d(16)),
            credits_per_course=None,
            hours_per_credit=None,
            hours_per_credit_severity="warning",
            max_study_months=Limit(None, _d(12), "error"),
            min_class_size=20,
            requires_college_approval=True,
            pass_mark=_d(60),
            fee_per_credit_cny=_d(150),
            source=(
                "Changchun University of Technology College of Humanities and Information "
                "Technology, micro-major regulations, 2025"
            ),
        ),
        InstitutionPolicy(
            id="asnu-shuangqian-2025",
            name=Bilingual(
                "鞍山师范学院“双千”计划微专业申报通知（2025）",
                'Anshan Normal University call for "Double Thousand" plan micro-majors (2025)',
            ),
            # "about 5": any other count is a warning the registrar can acknowledge.
            course_count=Limit(_d(5), _d(5)),
            total_credits=Limit(None, _d(15)),
            credits_per_course=Limit(_d(2), _d(3)),
            hours_per_credit=None,
            hours_per_credit_severity="warning",
            # "teach by July the next year": about 12 months, so a soft rule.
            max_study_months=Limit(None, _d(12)),
            min_class_size=None,
            requires_college_approval=False,
            pass_mark=_d(60),
            fee_per_credit_cny=None,
            source='Anshan Normal University, call for "Double Thousand" plan micro-majors, 2025',
        ),
        InstitutionPolicy(
            id="lenient",
            name=Bilingual("宽松策略（不设限制）", "Lenient policy (no limits)"),
            course_count=None,
            total_credits=None,
            credits_per_course=None,
            hours_per_credit=None,
            hours_per_credit_severity="warning",
            max_study_months=None,
            min_class_size=None,
            requires_college_approval=False,
            pass_mark=_d(60),
            fee_per_credit_cny=None,
            source="microcred default for a new install: no limits until the institution configures its own",
        ),
    )
}
#: The policy of a new install.
DEFAULT_PRESET = "lenient"


def format_decimal(value: Decimal) -> str:
    """``Decimal("24.0")`` -> ``24``, ``Decimal("1.50")`` -> ``1.5`` (never exponent notation)."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


# --------------------------------------------------------------------------------------------
# Checking a programme


def check_programme(micro_major: MicroMajor, policy: InstitutionPolicy) -> list[PolicyFinding]:
    """How ``micro_major`` compares with ``policy``: one finding per broken rule (per course)."""
    findings: list[PolicyFinding] = []
    pid = policy.id

    limit = policy.course_count
    count = Decimal(len(micro_major.courses))
    if limit is not None and not limit.allows(count):
        message = t(
            "The programme has {value} courses; policy {policy} asks for {limit} courses.",
            value=format_decimal(count),
            policy=pid,
            limit=limit.describe(),
        )
        findings.append(PolicyFinding("course_count", limit.severity, message))

    limit = policy.total_credits
    if limit is not None and not limit.allows(micro_major.total_credits):
        message = t(
            "The programme has {value} credits in total; policy {policy} asks for {limit} credits.",
            value=format_decimal(micro_major.total_credits),
            policy=pid,
            limit=limit.describe(),
        )
        findings.append(PolicyFinding("total_credits", limit.severity, message))

    limit = policy.credits_per_course
    if limit is not None:
        for course in micro_major.courses:
            if not limit.allows(course.credits):
                message = t(
                    "Course {course} has {value} credits; policy {policy} asks for {limit} credits per course.",
                    course=course.code,
                    value=format_decimal(course.credits),
                    policy=pid,
                    limit=limit.describe(),
                )
                findings.append(PolicyFinding("credits_per_course", limit.severity, message, course.code))

    per_credit = policy.hours_per_credit
    if per_credit is not None:
        severity = policy.hours_per_credit_severity
        if micro_major.hours_per_credit != per_credit:
            message = t(
                "The programme counts {value} class hours per credit; policy {policy} counts {per_credit}.",
                value=format_decimal(micro_major.hours_per_credit),
                policy=pid,
                per_credit=format_decimal(per_credit),
            )
            findings.append(PolicyFinding("hours_per_credit", severity, message))
        for course in micro_major.courses:
            expected = course.credits * per_credit
            if course.class_hours != expected:
                message = t(
                    "Course {course} has {hours} class hours for {credits} credits; policy {policy} "
                    "counts {per_credit} class hours per credit, so it should have {expected}.",
                    course=course.code,
                    hours=format_decimal(course.class_hours),
                    credits=format_decimal(course.credits),
                    policy=pid,
                    per_credit=format_decimal(per_credit),
                    expected=format_decimal(expected),
                )
                findings.append(PolicyFinding("hours_per_credit", severity, message, course.code))

    limit = policy.max_study_months
    if limit is not None:
        months = micro_major.max_study_months
        if months is None:
            message = t(
                "The programme does not state a maximum study period; policy {policy} asks for {limit} months.",
                policy=pid,
                limit=limit.describe(),
            )
            findings.append(PolicyFinding("max_study_months", "warning", message))
        elif not limit.allows(Decimal(months)):
            message = t(
                "The programme's maximum study period is {value} months; policy {policy} asks for {limit} months.",
                value=months,
                policy=pid,
                limit=limit.describe(),
            )
            findings.append(PolicyFinding("max_study_months", limit.severity, message))
    return findings


def check_class_size(size: int, policy: InstitutionPolicy) -> list[PolicyFinding]:
    """A warning when a cohort of ``size`` learners is smaller than the policy's minimum."""
    minimum = policy.min_class_size
    if minimum is None or size >= minimum:
        return []
    message = t(
        "The cohort has {value} learners; policy {policy} asks for at least {minimum}.",
        value=size,
        policy=policy.id,
        minimum=minimum,
    )
    return [PolicyFinding(CLASS_SIZE_RULE, "warning", message)]


def outstanding_findings(
    findings: Iterable[PolicyFinding], acknowledged: Iterable[tuple[str, str]]
) -> list[PolicyFinding]:
    """The findings that still stop a programme: every error, and warnings nobody acknowledged.

    ``acknowledged`` holds (rule id, reason) pairs, as in a programme file. Acknowledging a rule
    covers all its warnings (for example every course under the per-course credit rule); an
    error cannot be acknowledged.
    """
    accepted = {rule for rule, _reason in acknowledged}
    return [f for f in findings if f.severity == "error" or f.rule not in accepted]


# --------------------------------------------------------------------------------------------
# Strict reading of hand-written configuration (shared with issuer.programme_file)


class ConfigProblemsError(ValueError):
    """A hand-written file or configuration has problems; ``problems`` lists them all with paths."""

    def __init__(self, heading: IssuerText, problems: Sequence[Problem]) -> None:
        self.heading = heading
        self.problems: list[Problem] = list(problems)
        super().__init__(self.render("en"))

    def render(self, language: str = "en") -> str:
        """Every problem, one a line, as ``path: message`` in ``language``."""
        lines = [self.heading.render(language)]
        for path, message in self.problems[:MAX_RENDERED_PROBLEMS]:
            text = message.render(language)
            lines.append(f"  - {path}: {text}" if path else f"  - {text}")
        hidden = len(self.problems) - MAX_RENDERED_PROBLEMS
        if hidden > 0:
            lines.append(f"  - {t('... and {count} more problems', count=hidden).render(language)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render("en")


class PolicyConfigError(ConfigProblemsError):
    """The institution policy configuration cannot be used."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(t("The institution policy configuration has problems:"), problems)


def join_path(path: str, key: str | int) -> str:
    """``join_path("courses", 3)`` -> ``courses[3]``; ``join_path("courses[3]", "code")`` -> ``courses[3].code``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def describe_kind(value: Any) -> IssuerText:
    """What a value is, for "must be a number, not text"-style messages."""
    if value is None:
        return t("nothing (null)")
    if isinstance(value, bool):
        return t("true/false")
    if isinstance(value, int | float | Decimal):
        return t("a number")
    if isinstance(value, str):
        return t("text")
    if isinstance(value, Mapping):
        return t("a mapping")
    if isinstance(value, list | tuple):
        return t("a list")
    if isinstance(value, datetime | date):
        return t("a date")
    return t("a value of another kind")


class ConfigReader:
    """Reads values out of parsed YAML/JSON, collecting every problem with its path.

    Readers return ``None`` when a value is absent or wrong (and record why); a caller builds
    its result only when :attr:`problems` did not grow.
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: IssuerText) -> None:
        self.problems.append((path, message))

    def mapping(self, value: Any, path: str, allowed: Collection[str]) -> Mapping[str, Any] | None:
        """``value`` if it is a mapping; every key outside ``allowed`` is reported (with a guess)."""
        if not isinstance(value, Mapping):
            self.add(path, t("must be a mapping (key: value), not {kind}", kind=describe_kind(value)))
            return None
        for key in value:
            if key in allowed:
                continue
            name = str(key)
            guess = difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.6)
            if guess:
                message = t("unknown key {key}; did you mean {suggestion}?", key=name, suggestion=guess[0])
            else:
                message = t(
                    "unknown key {key}; allowed keys: {allowed}", key=name, allowed=", ".join(allowed)
                )
            self.add(join_path(path, name), message)
        return value

    def _present(self, m: Mapping[str, Any], key: str, path: str, required: bool) -> bool:
        if m.get(key) is not None:
            return True
        if required:
            self.add(join_path(path, key), t("is required"))
        return False

    def text(self, m: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> str | None:
        if not self._present(m, key, path, required):
            return None
        return self.text_value(m[key], join_path(path, key))

    def text_value(self, value: Any, path: str) -> str | None:
        if isinstance(value, str):
            if _SURROGATE.search(value):
                self.add(path, t("contains a character that is not valid Unicode (a lone surrogate)"))
                return None
            if value.strip():
                return value.strip()
            self.add(path, t("must not be empty"))
            return None
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            self.add(path, t("must be text, not a number; put it in quotes"))
        else:
            self.add(path, t("must be text, not {kind}", kind=describe_kind(value)))
        return None

    def number(
        self,
        m: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = True,
        positive: bool = False,
    ) -> Decimal | None:
        if not self._present(m, key, path, required):
            return None
        return self.number_value(m[key], join_path(path, key), positive=positive)

    def number_value(self, value: Any, path: str, *, positive: bool = False) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            self.add(path, t("must be a number, not {kind}", kind=describe_kind(value)))
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.add(path, t("must be a finite number"))
            return None
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except (InvalidOperation, ValueError):  # pragma: no cover - every int/float/Decimal converts
            self.add(path, t("must be a number, not {kind}", kind=describe_kind(value)))
            return None
        if not number.is_finite():
            self.add(path, t("must be a finite number"))
            return None
        if number < 0:
            self.add(path, t("must not be negative (it is {value})", value=format_decimal(number)))
            return None
        if positive and number == 0:
            self.add(path, t("must be greater than 0"))
            return None
        return number

    def whole_number(
        self, m: Mapping[str, Any], key: str, path: str, *, required: bool = True, minimum: int = 0
    ) -> int | None:
        if not self._present(m, key, path, required):
            return None
        value, where = m[key], join_path(path, key)
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float | Decimal) and not isinstance(value, bool):
                self.add(where, t("must be a whole number"))
            else:
                self.add(where, t("must be a whole number, not {kind}", kind=describe_kind(value)))
            return None
        if value < minimum:
            self.add(where, t("must be at least {minimum} (it is {value})", minimum=minimum, value=value))
            return None
        return value

    def boolean(self, m: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> bool | None:
        if not self._present(m, key, path, required):
            return None
        value = m[key]
        if not isinstance(value, bool):
            self.add(join_path(path, key), t("must be true or false, not {kind}", kind=describe_kind(value)))
            return None
        return value

    def choice(
        self, m: Mapping[str, Any], key: str, path: str, choices: Sequence[str], *, required: bool = True
    ) -> str | None:
        text = self.text(m, key, path, required=required)
        if text is None:
            return None
        if text not in choices:
            self.add(
                join_path(path, key),
                t("unknown value {value}; use one of: {choices}", value=text, choices=", ".join(choices)),
            )
            return None
        return text

    def bilingual(
        self, m: Mapping[str, Any], key: str, path: str, *, required: bool = True
    ) -> Bilingual | None:
        """``{zh: 中文, en: English}`` (``en`` optional), or plain text for Chinese only."""
        if not self._present(m, key, path, required):
            return None
        value, where = m[key], join_path(path, key)
        if isinstance(value, str):
            zh = self.text_value(value, where)
            return Bilingual(zh) if zh is not None else None
        if not isinstance(value, Mapping):
            self.add(
                where,
                t(
                    "must be text or a mapping like {example}, not {kind}",
                    example="{zh: 中文, en: English}",
                    kind=describe_kind(value),
                ),
            )
            return None
        before = len(self.problems)
        self.mapping(value, where, ("zh", "en"))
        zh = self.text(value, "zh", where)
        en = self.text(value, "en", where, required=False)
        if len(self.problems) > before or zh is None:
            return None
        return Bilingual(zh, en)


# --------------------------------------------------------------------------------------------
# Loading a policy from configuration

_LIMIT_KEYS = ("course_count", "total_credits", "credits_per_course", "max_study_months")
_POLICY_KEYS = (
    "preset",
    "id",
    "name",
    "source",
    *_LIMIT_KEYS,
    "hours_per_credit",
    "hours_per_credit_severity",
    "min_class_size",
    "requires_college_approval",
    "pass_mark",
    "fee_per_credit_cny",
)


def _read_limit(reader: ConfigReader, value: Any, path: str, base: Limit | None) -> Limit | None:
    """``null`` removes the limit; a mapping changes the keys it names (keeping ``base``'s others)."""
    if value is None:
        return None
    m = reader.mapping(value, path, ("minimum", "maximum", "severity"))
    if m is None:
        return None
    before = len(reader.problems)
    current = base or Limit()
    minimum = current.minimum
    maximum = current.maximum
    severity: Severity = current.severity
    if "minimum" in m:
        minimum = (
            None if m["minimum"] is None else reader.number_value(m["minimum"], join_path(path, "minimum"))
        )
    if "maximum" in m:
        maximum = (
            None if m["maximum"] is None else reader.number_value(m["maximum"], join_path(path, "maximum"))
        )
    if "severity" in m:
        severity = _read_severity(reader, m["severity"], join_path(path, "severity")) or severity
    if len(reader.problems) > before:
        return None
    if minimum is None and maximum is None:
        reader.add(path, t("a limit needs a minimum, a maximum or both (use null for no limit)"))
        return None
    if minimum is not None and maximum is not None and minimum > maximum:
        reader.add(
            path,
            t(
                "the minimum {minimum} is larger than the maximum {maximum}",
                minimum=format_decimal(minimum),
                maximum=format_decimal(maximum),
            ),
        )
        return None
    return Limit(minimum, maximum, severity)


def _read_severity(reader: ConfigReader, value: Any, path: str) -> Severity | None:
    if value == "error":
        return "error"
    if value == "warning":
        return "warning"
    reader.add(path, t("must be error or warning, not {value}", value=repr(value)))
    return None


def load_policy(config: Mapping[str, Any]) -> InstitutionPolicy:
    """Build the policy an install configures.

    ``{"preset": "ustb-2024"}`` takes a preset as is; further keys override it (a limit given as
    a mapping changes only the keys it names, ``null`` removes a rule). A policy changed this way
    gets the id ``<preset>-local`` unless the configuration names one, and its ``source`` lists
    what was overridden, so the audit log never attributes local numbers to the preset.

    Without ``preset`` the configuration is a full definition: ``id`` and ``name`` are
    required, and every rule it leaves out is absent (as in the ``lenient`` preset).

    Raises :class:`PolicyConfigError` listing every problem with its path.
    """
    reader = ConfigReader()
    m = reader.mapping(config, "", _POLICY_KEYS)
    if m is None:
        raise PolicyConfigError(reader.problems)

    base = PRESETS[DEFAULT_PRESET]
    has_preset = "preset" in m
    preset_id: str | None = None
    if has_preset:
        preset_id = reader.text(m, "preset", "")
        if preset_id is not None and preset_id not in PRESETS:
            reader.add(
                "preset",
                t(
                    "unknown preset {preset}; known presets: {known}",
                    preset=preset_id,
                    known=", ".join(PRESETS),
                ),
            )
            preset_id = None
        if preset_id is not None:
            base = PRESETS[preset_id]
    policy_id = reader.text(m, "id", "", required=not has_preset)
    name = reader.bilingual(m, "name", "", required=not has_preset)
    source = reader.text(m, "source", "", required=False)

    changes: dict[str, Any] = {}
    for key in _LIMIT_KEYS:
        if key in m:
            changes[key] = _read_limit(reader, m[key], key, getattr(base, key))
    if "hours_per_credit" in m:
        changes["hours_per_credit"] = reader.number(m, "hours_per_credit", "", required=False, positive=True)
    if "hours_per_credit_severity" in m:
        changes["hours_per_credit_severity"] = _read_severity(
            reader, m["hours_per_credit_severity"], "hours_per_credit_severity"
        )
    if "min_class_size" in m:
        changes["min_class_size"] = reader.whole_number(m, "min_class_size", "", required=False, minimum=1)
    if "requires_college_approval" in m:
        changes["requires_college_approval"] = reader.boolean(m, "requires_college_approval", "")
    if "pass_mark" in m:
        changes["pass_mark"] = reader.number(m, "pass_mark", "")
    if "fee_per_credit_cny" in m:
        changes["fee_per_credit_cny"] = reader.number(m, "fee_per_credit_cny", "", required=False)

    if reader.problems:
        raise PolicyConfigError(reader.problems)

    overridden = [key for key in _POLICY_KEYS if key in changes]
    if preset_id is None:
        changes["id"] = policy_id
        changes["name"] = name
        changes["source"] = source or "local configuration"
    else:
        if policy_id is not None:
            changes["id"] = policy_id
        elif overridden:
            changes["id"] = f"{preset_id}-local"
        if name is not None:
            changes["name"] = name
        if source is not None:
            changes["source"] = source
        elif overridden:
            changes["source"] = f"{base.source}; local overrides: {', '.join(overridden)}"
    return replace(base, **changes)
