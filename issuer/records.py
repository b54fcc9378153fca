"""Completion records exactly as academic systems export them.

A registrar imports the grades of a micro-major's courses from the university's academic
system: a CSV file (UTF-8, or GB18030 as Chinese Excel and WPS save "CSV"), a tab- or
semicolon-separated text file, or an Excel workbook (.xlsx/.xlsm, first worksheet). Exports
often carry a title row above the header, Chinese or English column names, extra columns,
numbers stored as numbers (``2021001.0``), real Excel date cells and full-width digits.

:func:`read_records` reads all of that into :class:`CompletionRow` objects, or raises one
:class:`RecordsError` listing every problem it found (up to :data:`MAX_PROBLEMS`), each with
the line and column the registrar sees in the file, so the file can be fixed in one go.
Nothing is imported from a file with problems. Every message is an :class:`IssuerText` with
a Chinese translation in :mod:`issuer.i18n_zh_records`.

Line numbers are the rows of the file as Excel or WPS shows them: the first row of the file
is line 1 (the header when there is no title row), blank rows count.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import math
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import PureWindowsPath
from typing import Any, Final, TypeAlias

from verifier.i18n import Text

from .i18n import IssuerText, t

__all__ = [
    "MAX_BYTES",
    "MAX_PROBLEMS",
    "MAX_ROWS",
    "CompletionRow",
    "GradingRule",
    "RecordsError",
    "RowProblem",
    "read_records",
]

#: Largest file accepted (10 MiB).
MAX_BYTES: Final = 10 * 1024 * 1024
#: Most data rows (non-empty rows below the header) accepted in one file.
MAX_ROWS: Final = 200_000
#: Most problems listed one by one; the rest are counted in a last problem.
MAX_PROBLEMS: Final = 100
#: The header row is looked for in this many rows at the top of the file...
HEADER_SEARCH_ROWS: Final = 10
#: ... and in this many columns.
MAX_HEADER_COLUMNS: Final = 1024
#: Most bytes an .xlsx may unpack to (10 MiB of zipped worksheet XML unpacks to roughly 100 MiB).
MAX_UNPACKED_BYTES: Final = 20 * MAX_BYTES

CellValue: TypeAlias = str | int | float | bool | datetime | date | time | timedelta | None

_INVISIBLE: Final = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


def _normalised(text: str) -> str:
    """Full-width letters and digits as ASCII, invisible characters removed, stripped."""
    return unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).strip()


def _clean(text: str) -> str:
    return _INVISIBLE.sub("", text).strip()


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True, slots=True)
class CompletionRow:
    """One learner's result in one course, as read from the file."""

    line: int
    student_number: str
    name: str
    course_code: str
    grade: str
    passed: bool
    name_en: str | None = None
    enrolled_on: date | None = None
    completed_on: date | None = None


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Something the registrar must fix; ``line`` is ``None`` for a problem with the whole file.

    ``column`` is the column's header as written in the file (``None`` when the problem is not
    about one column).
    """

    line: int | None
    column: str | None
    message: IssuerText

    def render(self, language: str = "en") -> str:
        """One line of text: where the problem is, and what it is."""
        if self.line is None:
            return self.message.render(language)
        return t("Line {line}: {message}", line=self.line, message=self.message).render(language)


class RecordsError(ValueError):
    """The file cannot be imported; :attr:`problems` lists everything found wrong with it."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        self.problems: list[RowProblem] = list(problems)
        super().__init__(self.render("en"))

    def render(self, language: str = "en") -> str:
        """The problems in ``language`` ("en" or "zh"), one per line."""
        return "\n".join(problem.render(language) for problem in self.problems)

    def __str__(self) -> str:
        return self.render("en")


_PASS_WORDS: Final = frozenset(
    {"合格", "通过", "及格", "优秀", "良好", "中等", "优", "良", "中", "pass", "passed", "p"}
)
_FAIL_WORDS: Final = frozenset({"不合格", "不通过", "不及格", "fail", "failed", "f"})
#: Not an error, but not a pass either.
_ABSENT_WORDS: Final = frozenset({"缺考", "缓考", "旷考", "作弊", "absent"})
_LETTER_PASS: Final = re.compile(r"[abcd][+-]?")
_NUMBER: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


@dataclass(frozen=True, slots=True)
class GradingRule:
    """How a written grade becomes pass or fail.

    Numbers are on a 0-100 scale and pass from ``pass_mark`` up; words (合格/不合格, pass/fail,
    优秀/良好/中等…), letter grades (A-D with + or -, F) and 缺考/缓考/作弊/absent (a fail, not an
    error) are understood in Chinese and English.
    """

    pass_mark: Decimal = Decimal(60)

    def __post_init__(self) -> None:
        if not isinstance(self.pass_mark, Decimal | int) or isinstance(self.pass_mark, bool):
            raise TypeError("pass_mark must be a Decimal")
        mark = Decimal(self.pass_mark)
        if not mark.is_finite() or not Decimal(0) <= mark <= Decimal(100):
            raise ValueError("pass_mark must be between 0 and 100")
        object.__setattr__(self, "pass_mark", mark)

    def evaluate(self, grade: str) -> bool:
        """Whether ``grade`` is a pass.

        Raises :class:`ValueError` whose only argument is an :class:`IssuerText` (the reason,
        in English with ``str()``) when the grade cannot be read.
        """
        text = _normalised(grade).replace("\u2212", "-").replace("\u2013", "-")
        if not text:
            raise ValueError(t("no grade is given."))
        if _NUMBER.fullmatch(text):
            try:
                value = Decimal(text)
            except InvalidOperation:  # pragma: no cover - the pattern only admits decimals
                raise ValueError(_UNKNOWN_GRADE) from None
            if not Decimal(0) <= value <= Decimal(100):
                raise ValueError(t("{value} is outside the 0-100 scale.", value=text))
            return value >= self.pass_mark
        word = text.casefold()
        if word in _PASS_WORDS or _LETTER_PASS.fullmatch(word):
            return True
        if word in _FAIL_WORDS or word in _ABSENT_WORDS:
            return False
        raise ValueError(_UNKNOWN_GRADE)


_UNKNOWN_GRADE: Final = t(
    "write a score from 0 to 100, a letter grade (A-D, F) or a word such as 合格/不合格, pass/fail or 缺考."
)
_DEFAULT_GRADING: Final = GradingRule()


# --------------------------------------------------------------------------- columns


@dataclass(frozen=True, slots=True)
class _Field:
    key: str
    label: str
    required: bool
    aliases: tuple[str, ...]


_FIELDS: Final = (
    _Field(
        "student_number",
        "学号 (student_id)",
        True,
        ("学号", "学生编号", "student_id", "student number", "student_no"),
    ),
    _Field("name", "姓名 (name)", True, ("姓名", "学生姓名", "name", "student name")),
    _Field("course_code", "课程代码 (course_code)", True, ("课程代码", "课程编号", "课程号", "course_code")),
    _Field("grade", "成绩 (grade)", True, ("成绩", "总评成绩", "最终成绩", "总成绩", "grade", "score")),
    _Field(
        "name_en",
        "英文名 (name_en)",
        False,
        ("英文名", "英文姓名", "拼音", "姓名拼音", "name_en", "english name", "姓名(英文)", "姓名(拼音)"),
    ),
    _Field(
        "enrolled_on", "入学日期 (enrolled_on)", False, ("入学日期", "开始日期", "enrolled_on", "start_date")
    ),
    _Field(
        "completed_on",
        "完成日期 (completed_on)",
        False,
        ("完成日期", "结业日期", "completed_on", "completion_date"),
    ),
)

_HEADER_NOISE: Final = re.compile(r"[\s_\-.·:*]+")
_TRAILING_NOTE: Final = re.compile(r"\([^()]*\)$")


def _header_key(text: str) -> str:
    return _HEADER_NOISE.sub("", _normalised(text).casefold())


_ALIASES: Final = {_header_key(alias): field for field in _FIELDS for alias in field.aliases}


def _field_for(header: str) -> _Field | None:
    key = _header_key(header)
    if key in _ALIASES:
        return _ALIASES[key]
    return _ALIASES.get(_TRAILING_NOTE.sub("", key)) if key else None


@dataclass(frozen=True, slots=True)
class _Column:
    index: int
    header: str


@dataclass(frozen=True, slots=True)
class _Header:
    line: int
    columns: dict[str, _Column]
    conflicts: tuple[tuple[_Field, str, str], ...]
    #: Up to the last named column: cells further right have no header and are not read.
    width: int

    @property
    def has_required(self) -> bool:
        return all(field.key in self.columns for field in _FIELDS if field.required)


def _read_header(line: int, cells: Sequence[CellValue]) -> _Header:
    columns: dict[str, _Column] = {}
    conflicts: list[tuple[_Field, str, str]] = []
    width = 0
    for index, value in enumerate(cells):
        header = _clean(_as_text(value))
        if header:
            width = index + 1
        field = _field_for(header)
        if field is None:
            continue
        if field.key in columns:
            conflicts.append((field, columns[field.key].header, header))
        else:
            columns[field.key] = _Column(index, header)
    return _Header(line, columns, tuple(conflicts), width)


# --------------------------------------------------------------------------- problems


class _Refusal(Exception):
    """The whole file is refused; carries the one problem to report."""

    def __init__(self, message: IssuerText, line: int | None = None) -> None:
        super().__init__(str(message))
        self.problem = RowProblem(line, None, message)


class _Problems:
    def __init__(self) -> None:
        self.items: list[RowProblem] = []
        self.unlisted = 0

    def add(self, line: int | None, column: str | None, message: IssuerText) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(RowProblem(line, column, message))
        else:
            self.unlisted += 1

    def raise_if_any(self) -> None:
        if not self.items:
            return
        problems = list(self.items)
        if self.unlisted:
            problems.append(
                RowProblem(
                    None,
                    None,
                    t(
                        "{count} more problems were found but are not listed; fix the ones above and import the file again.",
                        count=self.unlisted,
                    ),
                )
            )
        raise RecordsError(problems)


@dataclass(frozen=True, slots=True)
class _Joined(IssuerText):
    """A list of values, joined the way each language writes lists."""

    def render(self, language: str = "en") -> str:
        return ("、" if language == "zh" else ", ").join(str(value) for _, value in self.params)


def _joined(values: Iterable[str]) -> _Joined:
    return _Joined("", tuple((str(i), value) for i, value in enumerate(values)))


# --------------------------------------------------------------------------- cell values


def _number_text(value: float) -> str:
    if not math.isfinite(value):
        return repr(value)
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = format(value, ".15g")  # Excel keeps 15 significant digits
    return format(Decimal(text), "f") if "e" in text else text


def _as_text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


_WHITESPACE: Final = re.compile(r"\s+")
_CJK: Final = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK_GAP: Final = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")


def _name(text: str) -> str:
    """Stripped, runs of spaces as one space, and none between Chinese characters (张　三 -> 张三)."""
    return _CJK_GAP.sub("", _WHITESPACE.sub(" ", _clean(text)))


_EXCEL_TEXT_FORMULA: Final = re.compile(r'="(.*)"')
_SCIENTIFIC: Final = re.compile(r"\d(?:\.\d+)?[eE]\+?\d+")
_INTEGER_WITH_ZERO_FRACTION: Final = re.compile(r"(\d+)\.0+")


def _identifier(text: str) -> str:
    """A student number or course code: NFKC, and Excel's ways of keeping text as text undone."""
    value = _normalised(text)
    if match := _EXCEL_TEXT_FORMULA.fullmatch(value):
        value = match.group(1).strip()
    if value.startswith("'"):
        value = value[1:].strip()
    return value


_ISO_DATE: Final = re.compile(
    r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_CHINESE_DATE: Final = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?")
_COMPACT_DATE: Final = re.compile(r"(\d{4})(\d{2})(\d{2})")


class _BadDate(ValueError):
    pass


class _NotADate(ValueError):
    pass


def _as_date(value: CellValue) -> date | None:
    """``None`` when empty; raises :class:`_NotADate` (unreadable) or :class:`_BadDate` (no such day)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, time | timedelta | bool):
        raise _NotADate
    text = _normalised(_as_text(value))
    if not text:
        return None
    parts: tuple[str, str, str]
    if match := _ISO_DATE.fullmatch(text):
        parts = (match.group(1), match.group(3), match.group(4))
    elif (match := _CHINESE_DATE.fullmatch(text)) or (match := _COMPACT_DATE.fullmatch(text)):
        parts = (match.group(1), match.group(2), match.group(3))
    else:
        raise _NotADate
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise _BadDate from None


# --------------------------------------------------------------------------- rows -> records


@dataclass(slots=True)
class _Seen:
    line: int
    name: str


class _Builder:
    """Turns data rows into :class:`CompletionRow`, collecting problems."""

    def __init__(self, header: _Header, grading: GradingRule, problems: _Problems) -> None:
        self.header = header
        self.grading = grading
        self.problems = problems
        self.rows: list[CompletionRow] = []
        self.courses: dict[tuple[str, str], int] = {}
        self.students: dict[str, _Seen] = {}
        self.reported_names: set[tuple[str, str]] = set()

    def _cell(self, cells: Sequence[CellValue], key: str) -> CellValue:
        column = self.header.columns.get(key)
        if column is None or column.index >= len(cells):
            return None
        return cells[column.index]

    def _header(self, key: str) -> str:
        return self.header.columns[key].header

    def add(self, line: int, cells: Sequence[CellValue]) -> None:
        problems = self.problems
        before = len(problems.items) + problems.unlisted

        raw_number = self._cell(cells, "student_number")
        raw = {
            key: _as_text(self._cell(cells, key))
            for key in ("student_number", "name", "course_code", "grade")
        }
        student_number = _identifier(raw["student_number"])
        if _INTEGER_WITH_ZERO_FRACTION.fullmatch(student_number):
            student_number = student_number.split(".")[0]
        name = _name(raw["name"])
        course_code = _identifier(raw["course_code"]).upper()
        grade = _clean(raw["grade"])

        values = {"student_number": student_number, "name": name, "course_code": course_code, "grade": grade}
        for field_key, value in values.items():
            column = self._header(field_key)
            if not value:
                problems.add(line, column, t("“{column}” is empty.", column=column))
            elif "\n" in raw[field_key] or "\r" in raw[field_key]:
                problems.add(
                    line,
                    column,
                    t(
                        '“{column}” contains a line break; check for an unclosed quotation mark (") in or just above this line.',
                        column=column,
                    ),
                )

        if (
            isinstance(raw_number, int | float)
            and not isinstance(raw_number, bool)
            and abs(raw_number) >= 1e15
        ):
            problems.add(
                line,
                self._header("student_number"),
                t(
                    "The student number {value} is stored as a number, and Excel keeps only 15 digits of a number. Format the column as text and enter the student numbers again.",
                    value=student_number,
                ),
            )
        elif _SCIENTIFIC.fullmatch(student_number):
            problems.add(
                line,
                self._header("student_number"),
                t(
                    "The student number “{value}” was shortened by Excel to scientific notation, so digits are lost. Format the column as text in Excel and export the file again.",
                    value=student_number,
                ),
            )

        passed = False
        if grade:
            try:
                passed = self.grading.evaluate(grade)
            except ValueError as exc:
                reason = exc.args[0] if exc.args and isinstance(exc.args[0], Text) else str(exc)
                problems.add(
                    line,
                    self._header("grade"),
                    t(
                        "The grade “{grade}” in “{column}” could not be read: {reason}",
                        grade=grade,
                        column=self._header("grade"),
                        reason=reason,
                    ),
                )

        name_en = _name(_as_text(self._cell(cells, "name_en"))) or None
        enrolled_on = self._date(line, cells, "enrolled_on")
        completed_on = self._date(line, cells, "completed_on")
        if enrolled_on and completed_on and completed_on < enrolled_on:
            problems.add(
                line,
                self._header("completed_on"),
                t(
                    "The completion date {completed} is before the enrolment date {enrolled}.",
                    completed=completed_on.isoformat(),
                    enrolled=enrolled_on.isoformat(),
                ),
            )

        if student_number and course_code:
            key = (student_number, course_code)
            if key in self.courses:
                problems.add(
                    line,
                    None,
                    t(
                        "Student {student} has course {course} twice: lines {first} and {second}.",
                        student=student_number,
                        course=course_code,
                        first=self.courses[key],
                        second=line,
                    ),
                )
            else:
                self.courses[key] = line
        if student_number and name:
            seen = self.students.setdefault(student_number, _Seen(line, name))
            pair = (student_number, name.casefold())
            if seen.name.casefold() != name.casefold() and pair not in self.reported_names:
                self.reported_names.add(pair)
                problems.add(
                    line,
                    self._header("name"),
                    t(
                        "Student number {student} has two different names: “{first_name}” (line {first}) and “{second_name}” (line {second}).",
                        student=student_number,
                        first_name=seen.name,
                        first=seen.line,
                        second_name=name,
                        second=line,
                    ),
                )

        if len(problems.items) + problems.unlisted == before:
            self.rows.append(
                CompletionRow(
                    line=line,
                    student_number=student_number,
                    name=name,
                    course_code=course_code,
                    grade=grade,
                    passed=passed,
                    name_en=name_en,
                    enrolled_on=enrolled_on,
                    completed_on=completed_on,
                )
            )

    def _date(self, line: int, cells: Sequence[CellValue], key: str) -> date | None:
        value = self._cell(cells, key)
        try:
            return _as_date(value)
        except _BadDate:
            message = t(
                "“{value}” in “{column}” is not a real date.",
                value=_clean(_as_text(value)),
                column=self._header(key),
            )
        except _NotADate:
            message = t(
                "The date “{value}” in “{column}” could not be read; write it like 2025-06-30.",
                value=_clean(_as_text(value)),
                column=self._header(key),
            )
        self.problems.add(line, self._header(key), message)
        return None


def _is_empty(cells: Sequence[CellValue]) -> bool:
    return all(not _clean(_as_text(value)) for value in cells)


def _find_header(top: Sequence[Sequence[CellValue]]) -> _Header | None:
    """The first row with every required column, else the row with the most known columns."""
    best: _Header | None = None
    for line, cells in enumerate(top, start=1):
        header = _read_header(line, cells)
        if header.has_required:
            return header
        if header.columns and (best is None or len(header.columns) > len(best.columns)):
            best = header
    return best


def _missing_columns(top: Sequence[Sequence[CellValue]], header: _Header | None) -> IssuerText:
    required = [field for field in _FIELDS if field.required]
    if header is None:
        first = next(((line, cells) for line, cells in enumerate(top, start=1) if not _is_empty(cells)), None)
        if first is None:
            return t("The file is empty.")
        return t(
            "No header row was found in the first {rows} rows: the file needs the columns {required}. Line {line} has: {found}.",
            rows=HEADER_SEARCH_ROWS,
            required=_joined(field.label for field in required),
            line=first[0],
            found=_cell_list(first[1]),
        )
    return t(
        "The header row (line {line}) lacks the required columns {missing}. Columns found: {found}.",
        line=header.line,
        missing=_joined(field.label for field in required if field.key not in header.columns),
        found=_cell_list(top[header.line - 1]),
    )


def _cell_list(cells: Sequence[CellValue], limit: int = 30) -> _Joined:
    """The non-empty cells of a row, quoted (at most ``limit``, then "…")."""
    texts = [f"“{text}”" for text in (_clean(_as_text(value)) for value in cells) if text]
    return _joined(texts if len(texts) <= limit else [*texts[:limit], "…"])


#: Reads a table from row ``first`` (1-based) on, each row at most ``width`` cells wide.
_Table: TypeAlias = Callable[[int, int], Iterator[Sequence[CellValue]]]


def _records(table: _Table, grading: GradingRule) -> list[CompletionRow]:
    """Find the header in the first rows of ``table``, then read the records below it."""
    top = list(itertools.islice(table(1, MAX_HEADER_COLUMNS), HEADER_SEARCH_ROWS))
    header = _find_header(top)
    if header is None or not header.has_required:
        raise _Refusal(_missing_columns(top, header))
    problems = _Problems()
    for field, first, second in header.conflicts:
        problems.add(
            header.line,
            second,
            t(
                "The columns “{first}” and “{second}” both look like {field}; rename or remove one of them.",
                first=first,
                second=second,
                field=field.label,
            ),
        )
    problems.raise_if_any()

    builder = _Builder(header, grading, problems)
    count = 0
    for line, cells in enumerate(table(header.line + 1, header.width), start=header.line + 1):
        if _is_empty(cells):
            continue
        count += 1
        if count > MAX_ROWS:
            raise _Refusal(
                t(
                    "The file has more than {limit} rows of records; split it into smaller files and import them one by one.",
                    limit=MAX_ROWS,
                )
            )
        builder.add(line, cells)
    if count == 0:
        raise _Refusal(t("There are no records below the header row (line {line}).", line=header.line))
    problems.raise_if_any()
    return builder.rows


# --------------------------------------------------------------------------- file formats

_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EXCEL_EXTENSIONS: Final = (".xlsx", ".xlsm")
_TEXT_EXTENSIONS: Final = ("", ".csv", ".txt", ".tsv")
_DELIMITERS: Final = (",", "\t", ";", "|")
_ZERO_PADDED: Final = re.compile(r"0+")
_UNREADABLE_WORKBOOK: Final = t(
    "The file could not be opened as an Excel workbook (.xlsx): it may be damaged, or another kind of file renamed to .xlsx. Open it in Excel or WPS and save it again as .xlsx or CSV."
)


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def _excel_value(cell: Any) -> CellValue:
    value = cell.value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number_format = getattr(cell, "number_format", None)
        # A student number shown as 0012345 is stored as 12345 with the format "0000000".
        if (
            isinstance(number_format, str)
            and _ZERO_PADDED.fullmatch(number_format)
            and float(value).is_integer()
            and value >= 0
        ):
            return str(int(value)).zfill(len(number_format))
    if value is None or isinstance(value, str | int | float | bool | datetime | date | time | timedelta):
        return value
    return str(value)


def _read_excel(data: bytes, grading: GradingRule) -> list[CompletionRow]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _Refusal(_UNREADABLE_WORKBOOK) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise _Refusal(
            t(
                "The workbook unpacks to {size} MiB, more than the {limit} MiB that can be read. Delete unused sheets, pictures and formatting, or save it as CSV.",
                size=_mib(unpacked),
                limit=_mib(MAX_UNPACKED_BYTES),
            )
        )
    import openpyxl  # noqa: PLC0415 - only needed for workbooks

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error on damaged files
        raise _Refusal(_UNREADABLE_WORKBOOK) from exc
    try:
        if not workbook.worksheets:
            raise _Refusal(t("The workbook has no worksheet."))
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the stored size is often wrong; read what is there

        def table(first: int, width: int) -> Iterator[list[CellValue]]:
            try:
                for row in sheet.iter_rows(min_row=first, max_col=max(width, 1)):
                    yield [_excel_value(cell) for cell in row]
            except Exception as exc:
                raise _Refusal(_UNREADABLE_WORKBOOK) from exc

        return _records(table, grading)
    finally:
        workbook.close()


def _decode(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030; strictly."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
        except UnicodeDecodeError as exc:
            offset = exc.start + len(codecs.BOM_UTF8)
            raise _Refusal(_undecodable("UTF-8", offset, data.count(b"\n", 0, offset) + 1)) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text (*.txt)": tab-separated UTF-16.
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].decode("utf-16", errors="replace").count("\n") + 1
            raise _Refusal(_undecodable("UTF-16", exc.start, line)) from None
    if b"\x00" in data:
        raise _Refusal(
            t(
                "The file contains NUL bytes, so it is not a plain text (CSV) file. If it is a spreadsheet, save it from Excel or WPS as .xlsx or as CSV UTF-8."
            )
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_failure = exc.start
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        offset = max(utf8_failure, exc.start)
    raise _Refusal(_undecodable("UTF-8 / GB18030", offset, data.count(b"\n", 0, offset) + 1))


def _undecodable(encodings: str, offset: int, line: int) -> IssuerText:
    return t(
        "The file is not readable {encodings} text: the byte at offset {offset} (line {line}) is not valid. Save the file from Excel or WPS as CSV UTF-8 and import it again.",
        encodings=encodings,
        offset=offset,
        line=line,
    )


def _csv_rows(text: str, delimiter: str) -> Iterator[list[CellValue]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    while True:
        line += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            # The only error left with newline="" and no NUL bytes: a cell over the field size limit.
            raise _Refusal(
                t(
                    'A cell in this line is longer than {limit} characters, which usually means a quotation mark (") is not closed.',
                    limit=csv.field_size_limit(),
                ),
                line=line,
            ) from None
        yield list(row)


def _sniff_delimiter(text: str) -> str:
    """The delimiter with which the top of the file has the best header (comma, tab, semicolon, bar)."""
    sample = text[:65536]
    scores: list[tuple[int, int, int, str]] = []
    first_line = next((line for line in sample.splitlines() if line.strip()), "")
    for rank, delimiter in enumerate(_DELIMITERS):
        try:
            top = list(itertools.islice(_csv_rows(sample, delimiter), HEADER_SEARCH_ROWS))
        except _Refusal:
            continue
        header = _find_header(top)
        known = 0 if header is None else len(header.columns) + (10 if header.has_required else 0)
        scores.append((known, first_line.count(delimiter), -rank, delimiter))
    return max(scores)[3] if scores else ","


def _read(data: bytes, filename: str, grading: GradingRule) -> list[CompletionRow]:
    if len(data) > MAX_BYTES:
        raise _Refusal(
            t(
                "The file is {size} MiB; at most {limit} MiB can be imported at once. Split it into smaller files.",
                size=_mib(len(data)),
                limit=_mib(MAX_BYTES),
            )
        )
    if not data:
        raise _Refusal(t("The file is empty."))
    extension = PureWindowsPath(filename).suffix.lower()
    if data.startswith(_ZIP_MAGIC):
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (data validation, styles); they do not matter here.
            warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\.|$)")
            return _read_excel(data, grading)
    if data.startswith(_OLE_MAGIC):
        if extension in _EXCEL_EXTENSIONS:
            raise _Refusal(
                t(
                    "This Excel file is password-protected, or is an old .xls file renamed to .xlsx. Remove the password or open it in Excel or WPS and save it as .xlsx (Excel workbook) or CSV UTF-8, then import that file."
                )
            )
        raise _Refusal(_LEGACY_EXCEL)
    if extension == ".xls":
        raise _Refusal(_LEGACY_EXCEL)
    if extension in _EXCEL_EXTENSIONS:
        raise _Refusal(_UNREADABLE_WORKBOOK)
    if extension not in _TEXT_EXTENSIONS:
        raise _Refusal(
            t(
                "Files of type “{extension}” cannot be imported. Use an Excel workbook (.xlsx) or a CSV file (.csv, .txt).",
                extension=extension,
            )
        )
    text = _decode(data)
    delimiter = _sniff_delimiter(text)

    def table(first: int, width: int) -> Iterator[list[CellValue]]:
        for line, row in enumerate(_csv_rows(text, delimiter), start=1):
            if line >= first:
                yield row[:width]

    return _records(table, grading)


_LEGACY_EXCEL: Final = t(
    "This is an old-format Excel file (.xls), which cannot be read. Open it in Excel or WPS, save it as .xlsx (Excel workbook) or CSV UTF-8, and import that file."
)


def read_records(
    data: bytes, filename: str, *, grading: GradingRule = _DEFAULT_GRADING
) -> list[CompletionRow]:
    """Read completion records from an uploaded file's bytes.

    ``filename`` is the uploaded name (its extension helps tell the format apart; the content's
    magic bytes win). Returns the rows in file order; raises :class:`RecordsError` listing
    every problem found, and imports nothing, if anything is wrong.
    """
    try:
        return _read(data, filename, grading)
    except _Refusal as refusal:
        raise RecordsError([refusal.problem]) from None
