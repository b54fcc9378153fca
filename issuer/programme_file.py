"""Micro-major definitions from a hand-written YAML or JSON file (format: ``examples/README.md``).

A registrar writes the programme once — Chinese and English names side by side, credits as
plain numbers — and imports it. The file is read strictly, because a typo must not silently
drop a fact from a signed certificate: unknown keys (with a guess at the intended one), missing
fields, wrong types, duplicate keys and course codes, credits that do not add up, unknown
industry fields and learning modes are all reported at once, each with its path
(``programmes[0].courses[3].credits``). Numbers become :class:`~decimal.Decimal`, so 8 courses
of 1.5 credits make exactly 12.

Untrusted input is bounded: at most 1 MiB, at most 32 levels of nesting, ``yaml.safe_load``
only, and YAML anchors and aliases are refused (they serve no purpose in a programme file and
are how "billion laughs" documents expand).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml

from .credential import Bilingual, College, Course, CredentialInputError, IndustryField, MicroMajor
from .fields import DEFAULT_INDUSTRY_FIELDS
from .i18n import IssuerText, t
from .policy import (
    PROGRAMME_RULES,
    ConfigProblemsError,
    ConfigReader,
    Problem,
    describe_kind,
    format_decimal,
    join_path,
)

#: Largest programme file accepted.
MAX_BYTES = 1024 * 1024
#: Deepest nesting accepted (a programme file nests 5 levels).
MAX_DEPTH = 32
LEARNING_MODES: tuple[str, ...] = ("online", "offline", "blended")
#: libyaml's event parser when PyYAML has it (fast, iterative); the pure-Python one otherwise.
_EVENT_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

PROGRAMME_KEYS: tuple[str, ...] = (
    "code",
    "name",
    "description",
    "college_code",
    "college_name",
    "industry_field",
    "field_of_study",
    "courses",
    "total_credits",
    "criteria",
    "hours_per_credit",
    "learning_mode",
    "registration_number",
    "max_study_months",
    "acknowledged",
)
COURSE_KEYS: tuple[str, ...] = ("code", "name", "credits", "class_hours", "assessment")
ACKNOWLEDGED_KEYS: tuple[str, ...] = ("rule", "reason")


#: A course as the programme file defines it is exactly the course printed on the certificate.
CourseSpec = Course


@dataclass(frozen=True, slots=True)
class ProgrammeSpec:
    """A micro-major as the programme file defines it, before it is tied to an install."""

    code: str
    name: Bilingual
    description: Bilingual
    college_code: str
    college_name: Bilingual | None
    #: A code from the industry-field vocabulary (:data:`issuer.fields.DEFAULT_INDUSTRY_FIELDS`).
    industry_field: str
    field_of_study: str
    courses: tuple[CourseSpec, ...]
    total_credits: Decimal
    criteria: Bilingual
    hours_per_credit: Decimal = Decimal(16)
    #: ``online``, ``offline`` or ``blended``.
    learning_mode: str | None = None
    registration_number: str | None = None
    max_study_months: int | None = None
    #: (rule id, reason): soft-rule warnings the registrar accepts, for the audit log.
    acknowledged: tuple[tuple[str, str], ...] = ()

    def to_micro_major(
        self, *, college: College, industry_field: IndustryField, achievement_id: str
    ) -> MicroMajor:
        """The builder's :class:`~issuer.credential.MicroMajor`, with the install's college and field."""
        if industry_field.code != self.industry_field:
            raise CredentialInputError(
                f"programme {self.code} serves industry field {self.industry_field!r}, "
                f"not {industry_field.code!r}"
            )
        return MicroMajor(
            code=self.code,
            name=self.name,
            description=self.description,
            college=college,
            industry_field=industry_field,
            field_of_study=self.field_of_study,
            courses=self.courses,
            total_credits=self.total_credits,
            criteria=self.criteria,
            achievement_id=achievement_id,
            hours_per_credit=self.hours_per_credit,
            learning_mode=self.learning_mode,
            registration_number=self.registration_number,
            max_study_months=self.max_study_months,
        )


class ProgrammeFileError(ConfigProblemsError):
    """The programme file cannot be imported; ``problems`` lists every (path, message)."""

    def __init__(self, filename: str, problems: list[Problem]) -> None:
        self.filename = filename
        super().__init__(t("The programme file {filename} has problems:", filename=filename), problems)


# --------------------------------------------------------------------------------------------
# Bytes to a parsed document


class _JsonObject(dict[str, Any]):
    """A JSON object that remembers the keys it saw twice (``json`` keeps the last silently)."""

    duplicates: tuple[str, ...] = ()


def _json_object(pairs: list[tuple[str, Any]]) -> _JsonObject:
    obj = _JsonObject()
    seen: list[str] = []
    for key, value in pairs:
        if key in obj:
            seen.append(key)
        obj[key] = value
    obj.duplicates = tuple(seen)
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _too_deep(reader: ConfigReader) -> None:
    reader.add("", t("The file is nested more than {limit} levels deep.", limit=MAX_DEPTH))


def _load_json(text: str, reader: ConfigReader) -> Any:
    try:
        document = json.loads(
            text, object_pairs_hook=_json_object, parse_float=Decimal, parse_constant=_reject_constant
        )
    except RecursionError:
        _too_deep(reader)
        return None
    except json.JSONDecodeError as exc:
        reader.add(
            "",
            t(
                "This is not valid JSON (line {line}, column {column}): {reason}.",
                line=exc.lineno,
                column=exc.colno,
                reason=exc.msg,
            ),
        )
        return None
    except ValueError as exc:
        reader.add("", t("This is not valid JSON: {reason}.", reason=str(exc)))
        return None
    # Report duplicate keys with their paths; check depth without recursion.
    stack: list[tuple[Any, str, int]] = [(document, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            _too_deep(reader)
            return None
        if isinstance(item, _JsonObject):
            for key in item.duplicates:
                reader.add(join_path(path, key), t("key {key} appears more than once", key=key))
            stack.extend((v, join_path(path, k), depth + 1) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, join_path(path, i), depth + 1) for i, v in enumerate(item))
    return document


@dataclass(slots=True)
class _Frame:
    """An open YAML mapping or sequence while the event stream is scanned."""

    path: str
    mapping: bool
    keys: set[str]
    key: str | None = None
    index: int = 0


def _value_done(stack: list[_Frame]) -> None:
    if stack:
        frame = stack[-1]
        if frame.mapping:
            frame.key = None
        else:
            frame.index += 1


def _yaml_error(reader: ConfigReader, exc: yaml.YAMLError) -> None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    reason = getattr(exc, "problem", None) or getattr(exc, "context", None)
    if isinstance(exc, yaml.MarkedYAMLError) and mark is not None:
        reader.add(
            "",
            t(
                "This is not valid YAML (line {line}, column {column}): {reason}.",
                line=mark.line + 1,
                column=mark.column + 1,
                reason=reason or "",
            ),
        )
    else:
        reader.add("", t("This is not valid YAML: {reason}.", reason=str(exc)))


def _alias_problem(line: int) -> IssuerText:
    return t(
        "YAML anchors and aliases (&name, *name) are not allowed (line {line}); write the value out in full.",
        line=line,
    )


def _check_yaml_structure(text: str, reader: ConfigReader) -> bool:
    """Scan the event stream; ``False`` when the document must not be loaded at all.

    Refused before anything is built: aliases and merge keys (the "billion laughs" expansion),
    nesting deeper than :data:`MAX_DEPTH` (PyYAML's composer is recursive), keys that are not
    plain text. Duplicate keys, which PyYAML would silently resolve to the last value, are
    reported with their paths. The scan is iterative, so it is safe on any input.
    """
    stack: list[_Frame] = []
    ok = True
    try:
        for event in yaml.parse(text, Loader=_EVENT_LOADER):
            if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                stack.pop()
                _value_done(stack)
                continue
            if not isinstance(event, yaml.NodeEvent):
                continue  # stream and document boundaries
            line = event.start_mark.line + 1 if event.start_mark else 0
            frame = stack[-1] if stack else None
            if frame is not None and frame.mapping and frame.key is None:
                if not isinstance(event, yaml.ScalarEvent):
                    reader.add(frame.path, t("a key must be plain text (line {line})", line=line))
                    return False
                key = event.value
                where = join_path(frame.path, key)
                if key == "<<" and event.implicit[0]:
                    reader.add(where, _alias_problem(line))
                    return False
                if key in frame.keys:
                    reader.add(where, t("key {key} appears more than once (line {line})", key=key, line=line))
                frame.keys.add(key)
                frame.key = key
                continue
            if frame is None:
                path = ""
            elif frame.mapping:
                path = join_path(frame.path, frame.key or "")
            else:
                path = join_path(frame.path, frame.index)
            if isinstance(event, yaml.AliasEvent):
                reader.add(path, _alias_problem(line))
                return False
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                if len(stack) >= MAX_DEPTH:
                    _too_deep(reader)
                    return False
                stack.append(_Frame(path, isinstance(event, yaml.MappingStartEvent), set()))
            else:
                _value_done(stack)
    except yaml.YAMLError as exc:
        _yaml_error(reader, exc)
        ok = False
    return ok


def _load_yaml(text: str, reader: ConfigReader) -> Any:
    if not _check_yaml_structure(text, reader):
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:  # e.g. a second document
        _yaml_error(reader, exc)
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. "2024-13-45" is not a date
        reader.add("", t("This is not valid YAML: {reason}.", reason=str(exc)))
    return None


def _load(data: bytes, filename: str, reader: ConfigReader) -> Any:
    lowered = filename.lower()
    if not lowered.endswith((".yaml", ".yml", ".json")):
        reader.add("", t("Unsupported file type: name the file *.yaml, *.yml or *.json."))
        return None
    if len(data) > MAX_BYTES:
        reader.add(
            "",
            t("The file is {size} bytes; at most {limit} are accepted.", size=len(data), limit=MAX_BYTES),
        )
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        reader.add("", t("The file is not UTF-8 text (byte {offset}); save it as UTF-8.", offset=exc.start))
        return None
    if not text.strip():
        reader.add("", t("The file is empty."))
        return None
    document = _load_json(text, reader) if lowered.endswith(".json") else _load_yaml(text, reader)
    if document is None and not reader.problems:
        reader.add("", t("The file is empty."))
    return document


# --------------------------------------------------------------------------------------------
# A parsed document to programme specs


def _code(reader: ConfigReader, m: Mapping[str, Any], key: str, path: str) -> str | None:
    code = reader.text(m, key, path)
    if code is not None and not _CODE.fullmatch(code):
        reader.add(
            join_path(path, key),
            t(
                "code {code} may contain only letters, digits, '.', '_' and '-' (at most 64): it becomes part of the certificate's web address",
                code=code,
            ),
        )
        return None
    return code


def _read_course(reader: ConfigReader, value: Any, path: str) -> CourseSpec | None:
    m = reader.mapping(value, path, COURSE_KEYS)
    if m is None:
        return None
    code = _code(reader, m, "code", path)
    name = reader.bilingual(m, "name", path)
    credits = reader.number(m, "credits", path, positive=True)
    hours = reader.number(m, "class_hours", path, positive=True)
    assessment = reader.text(m, "assessment", path, required=False)
    if code is None or name is None or credits is None or hours is None:
        return None
    return CourseSpec(code, name, credits, hours, assessment)


def _read_courses(reader: ConfigReader, m: Mapping[str, Any], path: str) -> list[CourseSpec] | None:
    where = join_path(path, "courses")
    if m.get("courses") is None:
        reader.add(where, t("is required"))
        return None
    items = m["courses"]
    if not isinstance(items, list):
        reader.add(where, t("must be a list of courses, not {kind}", kind=describe_kind(items)))
        return None
    if not items:
        reader.add(where, t("must list at least one course"))
        return None
    courses: list[CourseSpec] = []
    first_seen: dict[str, str] = {}
    complete = True
    for index, item in enumerate(items):
        course_path = join_path(where, index)
        course = _read_course(reader, item, course_path)
        if course is None:
            complete = False
        # Duplicates are looked for even in courses with other problems.
        code = item.get("code") if isinstance(item, Mapping) else None
        if not isinstance(code, str) or not code.strip():
            continue
        code = code.strip()
        if code in first_seen:
            reader.add(
                join_path(course_path, "code"),
                t("course code {code} is used twice (first at {first})", code=code, first=first_seen[code]),
            )
            complete = False
            continue
        first_seen[code] = course_path
        if course is not None:
            courses.append(course)
    return courses if complete else None


def _read_acknowledged(reader: ConfigReader, m: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
    where = join_path(path, "acknowledged")
    items = m.get("acknowledged")
    if items is None:
        return []
    if not isinstance(items, list):
        reader.add(
            where,
            t(
                "must be a list of {example} entries, not {kind}",
                example="{rule: …, reason: …}",
                kind=describe_kind(items),
            ),
        )
        return []
    found: list[tuple[str, str]] = []
    rules: set[str] = set()
    for index, item in enumerate(items):
        item_path = join_path(where, index)
        entry = reader.mapping(item, item_path, ACKNOWLEDGED_KEYS)
        if entry is None:
            continue
        rule = reader.text(entry, "rule", item_path)
        reason = reader.text(entry, "reason", item_path)
        if rule is not None and rule not in PROGRAMME_RULES:
            reader.add(
                join_path(item_path, "rule"),
                t("unknown rule {rule}; known rules: {known}", rule=rule, known=", ".join(PROGRAMME_RULES)),
            )
            continue
        if rule is not None and rule in rules:
            reader.add(
                join_path(item_path, "rule"), t("rule {rule} is acknowledged more than once", rule=rule)
            )
            continue
        if rule is not None and reason is not None:
            rules.add(rule)
            found.append((rule, reason))
    return found


def _read_programme(
    reader: ConfigReader, value: Any, path: str, fields: Mapping[str, IndustryField]
) -> ProgrammeSpec | None:
    before = len(reader.problems)
    m = reader.mapping(value, path, PROGRAMME_KEYS)
    if m is None:
        return None
    code = _code(reader, m, "code", path)
    name = reader.bilingual(m, "name", path)
    description = reader.bilingual(m, "description", path)
    college_code = reader.text(m, "college_code", path)
    college_name = reader.bilingual(m, "college_name", path, required=False)
    industry_field = reader.text(m, "industry_field", path)
    if industry_field is not None and industry_field not in fields:
        reader.add(
            join_path(path, "industry_field"),
            t(
                "unknown industry field {field}; known fields: {known}",
                field=industry_field,
                known=", ".join(sorted(fields)),
            ),
        )
    field_of_study = reader.text(m, "field_of_study", path)
    courses = _read_courses(reader, m, path)
    total = reader.number(m, "total_credits", path, positive=True)
    if courses is not None and total is not None:
        added = sum((c.credits for c in courses), Decimal(0))
        if added != total:
            reader.add(
                join_path(path, "total_credits"),
                t(
                    "is {total}, but the credits of the courses add up to {sum}",
                    total=format_decimal(total),
                    sum=format_decimal(added),
                ),
            )
    criteria = reader.bilingual(m, "criteria", path)
    hours_per_credit = reader.number(m, "hours_per_credit", path, required=False, positive=True)
    learning_mode = reader.choice(m, "learning_mode", path, LEARNING_MODES, required=False)
    registration_number = reader.text(m, "registration_number", path, required=False)
    max_study_months = reader.whole_number(m, "max_study_months", path, required=False, minimum=1)
    acknowledged = _read_acknowledged(reader, m, path)

    if (
        len(reader.problems) > before
        or code is None
        or name is None
        or description is None
        or college_code is None
        or industry_field is None
        or field_of_study is None
        or courses is None
        or total is None
        or criteria is None
    ):
        return None
    return ProgrammeSpec(
        code=code,
        name=name,
        description=description,
        college_code=college_code,
        college_name=college_name,
        industry_field=industry_field,
        field_of_study=field_of_study,
        courses=tuple(courses),
        total_credits=total,
        criteria=criteria,
        hours_per_credit=hours_per_credit if hours_per_credit is not None else Decimal(16),
        learning_mode=learning_mode,
        registration_number=registration_number,
        max_study_months=max_study_months,
        acknowledged=tuple(acknowledged),
    )


def parse_programme_file(
    data: bytes,
    filename: str,
    *,
    industry_fields: Mapping[str, IndustryField] | None = None,
) -> list[ProgrammeSpec]:
    """The programmes defined in ``data`` (the bytes of ``filename``, ``.yaml``/``.yml``/``.json``).

    A file holds one programme, or ``{"programmes": [...]}``. Paths in problems follow the
    file: ``courses[3].credits`` in a one-programme file, ``programmes[0].courses[3].credits``
    otherwise. ``industry_fields`` is the vocabulary the industry field must come from
    (default :data:`issuer.fields.DEFAULT_INDUSTRY_FIELDS`).

    Raises :class:`ProgrammeFileError` with every problem found.
    """
    fields = DEFAULT_INDUSTRY_FIELDS if industry_fields is None else industry_fields
    reader = ConfigReader()
    document = _load(data, filename, reader)
    if document is None:
        raise ProgrammeFileError(filename, reader.problems)

    items: list[tuple[Any, str]]
    if isinstance(document, Mapping) and "programmes" in document:
        reader.mapping(document, "", ("programmes",))
        listed = document["programmes"]
        if not isinstance(listed, list):
            reader.add(
                "programmes", t("must be a list of programmes, not {kind}", kind=describe_kind(listed))
            )
            items = []
        elif not listed:
            reader.add("programmes", t("must list at least one programme"))
            items = []
        else:
            items = [(item, join_path("programmes", i)) for i, item in enumerate(listed)]
    else:
        items = [(document, "")]

    specs: list[ProgrammeSpec] = []
    first_seen: dict[str, str] = {}
    for item, path in items:
        spec = _read_programme(reader, item, path, fields)
        if spec is None:
            continue
        if spec.code in first_seen:
            reader.add(
                join_path(path, "code"),
                t(
                    "programme code {code} is used twice (first at {first})",
                    code=spec.code,
                    first=first_seen[spec.code],
                ),
            )
            continue
        first_seen[spec.code] = path
        specs.append(spec)
    if reader.problems:
        raise ProgrammeFileError(filename, reader.problems)
    return specs
