"""Reading completion records as academic systems export them (issuer.records)."""

from __future__ import annotations

import ast
import codecs
import importlib.util
import io
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from openpyxl import Workbook

from issuer import i18n_zh_records, records
from issuer.records import (
    MAX_BYTES,
    MAX_ROWS,
    CompletionRow,
    GradingRule,
    RecordsError,
    RowProblem,
    read_records,
)
from verifier.i18n import Text, placeholders

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "records"

HEADER = "学号,姓名,课程代码,成绩"


def _csv(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return "\n".join([header, *lines, ""]).encode(encoding)


def _xlsx(rows: Sequence[Sequence[Any]], formats: dict[str, str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    for cell, number_format in (formats or {}).items():
        sheet[cell].number_format = number_format
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _problems(
    data: bytes, filename: str = "records.csv", **kwargs: Any
) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(RecordsError) as caught:
        read_records(data, filename, **kwargs)
    return [(p.line, p.column, p.message.render("en")) for p in caught.value.problems]


def _only_problem(
    data: bytes, filename: str = "records.csv", **kwargs: Any
) -> tuple[int | None, str | None, str]:
    problems = _problems(data, filename, **kwargs)
    assert len(problems) == 1, problems
    return problems[0]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("records_fixtures", FIXTURES / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- encodings and formats


def test_utf8_csv_with_english_headers_is_read_into_rows() -> None:
    data = _csv("2021001,Li Lei,ai101,88", header="student_id,name,course_code,grade")
    assert read_records(data, "records.csv") == [
        CompletionRow(
            line=2, student_number="2021001", name="Li Lei", course_code="AI101", grade="88", passed=True
        )
    ]


def test_utf8_bom_does_not_become_part_of_the_first_header() -> None:
    data = codecs.BOM_UTF8 + _csv("2021001,张三,AI101,合格")
    [row] = read_records(data, "records.csv")
    assert (row.student_number, row.name, row.grade, row.passed) == ("2021001", "张三", "合格", True)


def test_real_gb18030_file_with_title_row_chinese_headers_and_four_byte_character() -> None:
    data = (FIXTURES / "completions-gb18030.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    rows = read_records(data, "completions-gb18030.csv")
    assert [
        (r.line, r.student_number, r.name, r.name_en, r.course_code, r.grade, r.passed) for r in rows
    ] == [
        (3, "02021001", "张三", "Zhang San", "AI101", "92", True),
        (4, "02021001", "张三", "Zhang San", "AI102", "合格", True),
        (5, "02021002", "吴𪚥", "Wu Zhe", "AI101", "58.5", False),
        (6, "02021002", "吴𪚥", "Wu Zhe", "AI102", "缺考", False),
    ]
    assert [r.completed_on for r in rows] == [date(2025, 6, 30)] * 3 + [None]


def test_committed_gb18030_fixture_is_what_the_generator_writes() -> None:
    assert (FIXTURES / "completions-gb18030.csv").read_bytes() == _generator().gb18030_csv()


def test_gb18030_encoded_in_the_test_is_read_like_utf8() -> None:
    lines = ("2021001,欧阳娜娜,AI101,优秀", "2021002,李䶮,AI101,不及格")
    assert read_records(_csv(*lines, encoding="gb18030"), "a.csv") == read_records(_csv(*lines), "a.csv")


def test_real_xlsx_with_title_row_numeric_and_date_cells() -> None:
    rows = read_records((FIXTURES / "completions.xlsx").read_bytes(), "completions.xlsx")
    assert rows == [
        CompletionRow(
            line=3,
            student_number="20210001",  # stored as the double 2.0210001E7
            name="王小明",
            course_code="AI101",
            grade="92",  # stored as 92.0
            passed=True,
            enrolled_on=date(2024, 9, 1),
            completed_on=date(2025, 6, 30),
        ),
        CompletionRow(
            line=4,
            student_number="0012345",  # 12345 shown with the number format 0000000
            name="李华",
            course_code="AI102",
            grade="85.5",
            passed=True,
            enrolled_on=date(2024, 9, 1),
            completed_on=date(2025, 6, 30),  # text 2025年6月30日
        ),
        CompletionRow(
            line=6,  # line 5 is blank
            student_number="2021003",
            name="陈静",
            course_code="AI101",
            grade="59",
            passed=False,
            enrolled_on=date(2024, 9, 1),
        ),
    ]


def test_xlsx_float_student_number_and_grade_lose_their_point_zero() -> None:
    data = _xlsx([["学号", "姓名", "课程代码", "成绩"], [2021001.5, "张三", "AI101", 92.25]])
    [row] = read_records(data, "a.xlsx")
    assert (row.student_number, row.grade) == ("2021001.5", "92.25")
    data = _xlsx([["学号", "姓名", "课程代码", "成绩"], [2021001, "张三", "AI101", 60]])
    assert read_records(data, "a.xlsx")[0].student_number == "2021001"


def test_xlsm_and_misnamed_workbooks_are_recognised_by_their_magic_bytes() -> None:
    data = _xlsx([["学号", "姓名", "课程代码", "成绩"], ["2021001", "张三", "AI101", 75]])
    for name in ("a.xlsm", "成绩.csv", "export"):
        assert read_records(data, name)[0].grade == "75"


def test_only_the_first_sheet_of_a_workbook_is_read() -> None:
    book = Workbook()
    book.active.append(["学号", "姓名", "课程代码", "成绩"])
    book.active.append(["2021001", "张三", "AI101", 75])
    second = book.create_sheet("第二页")
    second.append(["学号", "姓名", "课程代码", "成绩"])
    second.append(["2021009", "李四", "AI101", 80])
    book.active = 1
    buffer = io.BytesIO()
    book.save(buffer)
    assert [r.student_number for r in read_records(buffer.getvalue(), "a.xlsx")] == ["2021001"]


def test_tab_separated_txt_is_sniffed() -> None:
    data = "成绩单\n学号\t姓名\t课程代码\t成绩\n2021001\t张三\tAI101\t91\n".encode()
    [row] = read_records(data, "export.txt")
    assert (row.line, row.student_number, row.name, row.grade) == (3, "2021001", "张三", "91")


def test_semicolon_separated_csv_is_sniffed_even_when_names_contain_commas() -> None:
    data = b"student_id;name;course_code;grade\n2021001;Li, Lei;AI101;B+\n"
    [row] = read_records(data, "export.csv")
    assert (row.name, row.grade, row.passed) == ("Li, Lei", "B+", True)


def test_excel_unicode_text_export_in_utf16_is_read() -> None:
    data = "学号\t姓名\t课程代码\t成绩\r\n2021001\t张三\tAI101\t及格\r\n".encode("utf-16")
    assert read_records(data, "unicode.txt")[0].name == "张三"


def test_crlf_line_endings_and_quoted_cells() -> None:
    data = b'student_id,name,course_code,grade\r\n"2021001","Zhang, San","AI101","60"\r\n'
    [row] = read_records(data, "a.csv")
    assert (row.name, row.passed) == ("Zhang, San", True)


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    "header",
    [
        "学号,姓名,课程代码,成绩",
        "学生编号,学生姓名,课程编号,总评成绩",
        "学号,姓名,课程号,最终成绩",
        "学号,姓名,课程代码,总成绩",
        "Student ID,Name,Course Code,Grade",
        "  STUDENT_NUMBER ,NAME,COURSE_CODE,Score",
        "student number,name,course code,score",
        "Student No.,姓名,课程代码,成绩",
        "学号（必填）,*姓名,课程代码,成绩(百分制)",
        "学 号,姓　名,课程代码,成绩",
    ],
)
def test_header_names_in_chinese_or_english_any_case_and_spacing(header: str) -> None:
    [row] = read_records(_csv("2021001,张三,AI101,70", header=header), "a.csv")
    assert (row.student_number, row.name, row.course_code, row.grade) == ("2021001", "张三", "AI101", "70")


def test_optional_columns_and_extra_columns() -> None:
    header = "班级,学号,姓名,拼音,课程代码,课程名称,学分,成绩,入学日期,完成日期"
    data = _csv(
        "计科2101,2021001,张三,Zhang San,AI101,人工智能导论,2,80,2024-09-01,2025-06-30", header=header
    )
    [row] = read_records(data, "a.csv")
    assert row.name_en == "Zhang San"
    assert row.enrolled_on == date(2024, 9, 1)
    assert row.completed_on == date(2025, 6, 30)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("英文名", "name_en"),
        ("英文姓名", "name_en"),
        ("name_en", "name_en"),
        ("姓名（英文）", "name_en"),
        ("start_date", "enrolled_on"),
        ("enrolled_on", "enrolled_on"),
        ("completion_date", "completed_on"),
        ("completed_on", "completed_on"),
        ("完成日期", "completed_on"),
    ],
)
def test_optional_column_aliases(header: str, field: str) -> None:
    value = "Zhang San" if field == "name_en" else "2025-06-30"
    [row] = read_records(_csv(f"2021001,张三,AI101,70,{value}", header=f"{HEADER},{header}"), "a.csv")
    expected: object = "Zhang San" if field == "name_en" else date(2025, 6, 30)
    assert getattr(row, field) == expected


def test_header_is_found_below_title_rows() -> None:
    data = "\n".join(
        [
            "XX大学教务处",
            "2024-2025学年第二学期 微专业成绩单",
            "",
            "制表日期：2025-07-01",
            HEADER,
            "2021001,张三,AI101,70",
        ]
    ).encode()
    assert read_records(data, "a.csv")[0].line == 6


def test_missing_required_columns_lists_what_is_missing_and_what_was_found() -> None:
    data = "学号,姓名,课程名称,学分\n2021001,张三,人工智能导论,2\n".encode()
    assert _only_problem(data) == (
        None,
        None,
        "The header row (line 1) lacks the required columns 课程代码 (course_code), 成绩 (grade). "
        "Columns found: “学号”, “姓名”, “课程名称”, “学分”.",
    )


def test_no_header_in_the_first_ten_rows() -> None:
    lines = ["成绩单"] * 10 + [HEADER, "2021001,张三,AI101,70"]
    assert _only_problem("\n".join(lines).encode()) == (
        None,
        None,
        "No header row was found in the first 10 rows: the file needs the columns 学号 (student_id), "
        "姓名 (name), 课程代码 (course_code), 成绩 (grade). Line 1 has: “成绩单”.",
    )


def test_two_columns_for_the_same_field_are_ambiguous() -> None:
    data = _csv("2021001,张三,AI101,70,72", header=f"{HEADER},总评成绩")
    assert _only_problem(data) == (
        1,
        "总评成绩",
        "The columns “成绩” and “总评成绩” both look like 成绩 (grade); rename or remove one of them.",
    )


def test_header_without_records() -> None:
    assert _only_problem(_csv("", ",,,")) == (
        None,
        None,
        "There are no records below the header row (line 1).",
    )


# --------------------------------------------------------------------------- grades


@pytest.mark.parametrize(
    "grade",
    [
        "60",
        "100",
        "92.5",
        "０９２",
        "９２．５",
        "合格",
        "通过",
        "及格",
        "优秀",
        "良好",
        "中等",
        "pass",
        "Passed",
        "P",
        "A",
        "a+",
        "B-",
        "C",
        "D+",
    ],
)
def test_passing_grades(grade: str) -> None:
    assert GradingRule().evaluate(grade) is True


@pytest.mark.parametrize(
    "grade",
    [
        "0",
        "59.9",
        "不合格",
        "不通过",
        "不及格",
        "fail",
        "FAILED",
        "F",
        "f",
        "缺考",
        "缓考",
        "作弊",
        "absent",
        "Absent",
    ],
)
def test_failing_grades_including_absence_are_not_errors(grade: str) -> None:
    assert GradingRule().evaluate(grade) is False


@pytest.mark.parametrize(
    ("grade", "reason"),
    [
        ("", "no grade is given."),
        ("150", "150 is outside the 0-100 scale."),
        ("-3", "-3 is outside the 0-100 scale."),
        ("abc", records._UNKNOWN_GRADE.render("en")),
        ("E", records._UNKNOWN_GRADE.render("en")),
        ("NaN", records._UNKNOWN_GRADE.render("en")),
    ],
)
def test_unreadable_grades_raise_value_error_with_a_reason(grade: str, reason: str) -> None:
    with pytest.raises(ValueError, match=r".") as caught:
        GradingRule().evaluate(grade)
    assert str(caught.value) == reason
    assert isinstance(caught.value.args[0], Text)


def test_pass_mark_is_policy() -> None:
    strict = GradingRule(pass_mark=Decimal(70))
    assert strict.evaluate("69.5") is False
    assert strict.evaluate("70") is True
    rows = read_records(_csv("2021001,张三,AI101,65"), "a.csv", grading=strict)
    assert rows[0].passed is False


@pytest.mark.parametrize("mark", [Decimal(-1), Decimal(101), Decimal("NaN")])
def test_pass_mark_outside_the_scale_is_refused(mark: Decimal) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        GradingRule(pass_mark=mark)


@pytest.mark.parametrize(
    ("grade", "reason"),
    [
        ("abc", records._UNKNOWN_GRADE.render("en")),
        ("150", "150 is outside the 0-100 scale."),
        ("-3", "-3 is outside the 0-100 scale."),
    ],
)
def test_unreadable_grade_in_a_row_names_line_column_and_grade(grade: str, reason: str) -> None:
    data = _csv("2021001,张三,AI101,80", f"2021001,张三,AI102,{grade}")
    assert _only_problem(data) == (3, "成绩", f"The grade “{grade}” in “成绩” could not be read: {reason}")


def test_grade_is_kept_as_written() -> None:
    [row] = read_records(_csv("2021001,张三,AI101, ９２ "), "a.csv")
    assert (row.grade, row.passed) == ("９２", True)


# --------------------------------------------------------------------------- values


def test_student_number_keeps_leading_zeros_and_course_code_is_upper_cased() -> None:
    [row] = read_records(_csv(" 0021001 , 张三 , ai-101 ,70"), "a.csv")
    assert (row.student_number, row.name, row.course_code) == ("0021001", "张三", "AI-101")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ('"=""0021001"""', "0021001"),
        ("'0021001", "0021001"),
        ("2021001.0", "2021001"),
        ("２０２１００１", "2021001"),
    ],
)
def test_student_numbers_written_the_ways_spreadsheets_keep_them_as_text(written: str, expected: str) -> None:
    [row] = read_records(_csv(f"{written},张三,AI101,70"), "a.csv")
    assert row.student_number == expected


@pytest.mark.parametrize("written", ["'", '"="""""'])
def test_student_number_that_is_only_a_text_marker_is_empty(written: str) -> None:
    assert _only_problem(_csv(f"{written},张三,AI101,70")) == (2, "学号", "“学号” is empty.")


def test_student_number_in_scientific_notation_is_a_problem() -> None:
    assert _only_problem(_csv("2.02101E+11,张三,AI101,70")) == (
        2,
        "学号",
        "The student number “2.02101E+11” was shortened by Excel to scientific notation, so digits are lost. "
        "Format the column as text in Excel and export the file again.",
    )


def test_excel_student_number_longer_than_fifteen_digits_is_a_problem() -> None:
    data = _xlsx([["学号", "姓名", "课程代码", "成绩"], [1234567890123456789, "张三", "AI101", 70]])
    line, column, message = _only_problem(data, "a.xlsx")
    assert (line, column) == (2, "学号")
    assert "Excel keeps only 15 digits" in message


@pytest.mark.parametrize(
    ("written", "expected"),
    [("张　三", "张三"), ("  Zhang   San ", "Zhang San"), ("欧阳 娜娜", "欧阳娜娜"), ("\u200b李四", "李四")],
)
def test_names_are_stripped_and_inner_spaces_normalised(written: str, expected: str) -> None:
    [row] = read_records(_csv(f"2021001,{written},AI101,70"), "a.csv")
    assert row.name == expected


@pytest.mark.parametrize(
    "written",
    [
        "2025-06-30",
        "2025-6-30",
        "2025/6/30",
        "2025.06.30",
        "2025年6月30日",
        "2025 年 6 月 30 日",
        "20250630",
        "2025-06-30 00:00:00",
        "２０２５－０６－３０",
    ],
)
def test_date_spellings(written: str) -> None:
    [row] = read_records(_csv(f"2021001,张三,AI101,70,{written}", header=f"{HEADER},完成日期"), "a.csv")
    assert row.completed_on == date(2025, 6, 30)


def test_empty_optional_values_are_none() -> None:
    [row] = read_records(_csv("2021001,张三,AI101,70,,", header=f"{HEADER},英文名,完成日期"), "a.csv")
    assert (row.name_en, row.completed_on) == (None, None)


def test_unreadable_and_impossible_dates_name_line_and_column() -> None:
    data = _csv(
        "2021001,张三,AI101,70,30/06/2025", "2021001,张三,AI102,70,2025-02-30", header=f"{HEADER},完成日期"
    )
    assert _problems(data) == [
        (2, "完成日期", "The date “30/06/2025” in “完成日期” could not be read; write it like 2025-06-30."),
        (3, "完成日期", "“2025-02-30” in “完成日期” is not a real date."),
    ]


def test_completion_before_enrolment_is_a_problem() -> None:
    data = _csv("2021001,张三,AI101,70,2025-09-01,2025-06-30", header=f"{HEADER},入学日期,完成日期")
    assert _only_problem(data) == (
        2,
        "完成日期",
        "The completion date 2025-06-30 is before the enrolment date 2025-09-01.",
    )


def test_excel_date_cell_in_a_date_column_and_time_cell_refused() -> None:
    data = _xlsx(
        [
            ["学号", "姓名", "课程代码", "成绩", "完成日期"],
            ["2021001", "张三", "AI101", 70, datetime(2025, 6, 30, 14, 30)],
            ["2021001", "张三", "AI102", 70, 20250630],
        ]
    )
    assert [r.completed_on for r in read_records(data, "a.xlsx")] == [date(2025, 6, 30)] * 2


# --------------------------------------------------------------------------- row checks


def test_empty_rows_are_skipped_and_line_numbers_still_match_the_file() -> None:
    data = _csv("", "2021001,张三,AI101,70", ",,,", "  ,\t, ,", "2021002,李四,AI101,80")
    assert [r.line for r in read_records(data, "a.csv")] == [3, 6]


def test_missing_required_values_name_each_column() -> None:
    data = _csv("2021001,,AI101,", ",李四,AI101,80")
    assert _problems(data) == [
        (2, "姓名", "“姓名” is empty."),
        (2, "成绩", "“成绩” is empty."),
        (3, "学号", "“学号” is empty."),
    ]


def test_short_row_is_missing_its_last_values() -> None:
    assert _problems(_csv("2021001,张三")) == [
        (2, "课程代码", "“课程代码” is empty."),
        (2, "成绩", "“成绩” is empty."),
    ]


def test_same_student_and_course_twice_names_both_lines() -> None:
    data = _csv("2021001,张三,AI101,70", "2021002,李四,AI101,80", "2021001,张三,ai101,75")
    assert _only_problem(data) == (4, None, "Student 2021001 has course AI101 twice: lines 2 and 4.")


def test_same_student_number_with_two_names_names_both_lines_and_names() -> None:
    data = _csv(
        "2021001,张三,AI101,70", "2021001,张三,AI102,70", "2021001,张山,AI103,70", "2021001,张山,AI104,70"
    )
    assert _only_problem(data) == (
        4,
        "姓名",
        "Student number 2021001 has two different names: “张三” (line 2) and “张山” (line 4).",
    )


def test_line_break_inside_a_cell_points_at_quotes() -> None:
    data = b'student_id,name,course_code,grade\n2021001,"Zhang\nSan",AI101,70\n'
    assert _only_problem(data) == (
        2,
        "name",
        '“name” contains a line break; check for an unclosed quotation mark (") in or just above this line.',
    )


def test_every_problem_in_the_file_is_reported_at_once() -> None:
    data = _csv("2021001,张三,AI101,abc", "2021002,,AI101,80", "2021003,王五,AI101,200")
    assert [(line, column) for line, column, _ in _problems(data)] == [(2, "成绩"), (3, "姓名"), (4, "成绩")]


def test_problems_are_capped_with_a_count_of_the_rest() -> None:
    data = _csv(*(f"{2021000 + i},学生,AI101,abc" for i in range(130)))
    problems = _problems(data)
    assert len(problems) == records.MAX_PROBLEMS + 1
    assert problems[99][0] == 101
    assert problems[-1] == (
        None,
        None,
        "30 more problems were found but are not listed; fix the ones above and import the file again.",
    )


# --------------------------------------------------------------------------- file-level refusals


def test_file_larger_than_the_byte_limit_is_refused() -> None:
    data = _csv("2021001,张三,AI101,70") + b" " * MAX_BYTES
    assert _only_problem(data) == (
        None,
        None,
        "The file is 10.0 MiB; at most 10.0 MiB can be imported at once. Split it into smaller files.",
    )


def test_more_than_max_rows_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert MAX_ROWS == 200_000  # 10,000 learners × 8 courses fit in one file
    monkeypatch.setattr(records, "MAX_ROWS", 50)
    lines = (f"{i},学生{i},AI101,70" for i in range(51))
    assert _only_problem(_csv(*lines)) == (
        None,
        None,
        "The file has more than 50 rows of records; split it into smaller files and import them one by one.",
    )


def test_exactly_max_rows_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "MAX_ROWS", 3)
    assert len(read_records(_csv("1,a,X,70", "2,b,X,70", "", "3,c,X,70"), "a.csv")) == 3
    with pytest.raises(RecordsError):
        read_records(_csv("1,a,X,70", "2,b,X,70", "3,c,X,70", "4,d,X,70"), "a.csv")


def test_empty_file() -> None:
    assert _only_problem(b"") == (None, None, "The file is empty.")
    assert _only_problem(b"\n\n \n") == (None, None, "The file is empty.")


def test_legacy_xls_is_refused_with_what_to_do() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    expected = (
        None,
        None,
        "This is an old-format Excel file (.xls), which cannot be read. Open it in Excel or WPS, "
        "save it as .xlsx (Excel workbook) or CSV UTF-8, and import that file.",
    )
    assert _only_problem(ole, "成绩.xls") == expected
    assert _only_problem(ole, "成绩.csv") == expected
    assert _only_problem(b"<html><table></table></html>", "export.XLS") == expected


def test_encrypted_xlsx_is_refused_with_what_to_do() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    _, _, message = _only_problem(ole, "成绩.xlsx")
    assert message.startswith("This Excel file is password-protected")


@pytest.mark.parametrize(
    ("data", "filename"),
    [(b"PK\x03\x04 not really a zip", "a.xlsx"), (b"student_id,name\n", "a.xlsx"), (b"PK\x03\x04", "a.csv")],
)
def test_damaged_or_fake_workbooks_are_refused(data: bytes, filename: str) -> None:
    assert _only_problem(data, filename) == (None, None, records._UNREADABLE_WORKBOOK.render("en"))


def test_other_zip_files_are_not_workbooks() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert _only_problem(buffer.getvalue(), "成绩.docx") == (
        None,
        None,
        records._UNREADABLE_WORKBOOK.render("en"),
    )


def test_workbook_that_unpacks_too_large_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "MAX_UNPACKED_BYTES", 1024)
    data = _xlsx([["学号", "姓名", "课程代码", "成绩"], ["2021001", "张三", "AI101", 70]])
    _, _, message = _only_problem(data, "a.xlsx")
    assert message.startswith("The workbook unpacks to ")
    assert "more than the 0.0 MiB that can be read" in message


def test_unsupported_file_type_is_refused() -> None:
    assert _only_problem(b"%PDF-1.7", "成绩.pdf") == (
        None,
        None,
        "Files of type “.pdf” cannot be imported. Use an Excel workbook (.xlsx) or a CSV file (.csv, .txt).",
    )


def test_bytes_that_are_neither_utf8_nor_gb18030_name_the_offset() -> None:
    data = "学号,姓名,课程代码,成绩\n2021001,张三,AI101,70\n".encode() + b"2021002,\x80\xff,AI101,70\n"
    offset = data.index(b"\x80")
    assert _only_problem(data) == (
        None,
        None,
        f"The file is not readable UTF-8 / GB18030 text: the byte at offset {offset} (line 3) is not valid. "
        "Save the file from Excel or WPS as CSV UTF-8 and import it again.",
    )


def test_utf8_with_bom_is_decoded_strictly_and_never_falls_back() -> None:
    data = codecs.BOM_UTF8 + _csv("2021001,张三,AI101,70") + "李四".encode("gb18030")
    offset = len(codecs.BOM_UTF8) + len(_csv("2021001,张三,AI101,70"))
    _, _, message = _only_problem(data)
    assert message.startswith(f"The file is not readable UTF-8 text: the byte at offset {offset} (line 3)")


def test_nul_bytes_mean_not_a_text_file() -> None:
    _, _, message = _only_problem(b"student_id\x00name\x00", "a.txt")
    assert message.startswith("The file contains NUL bytes")


def test_runaway_quotation_mark_is_reported_at_its_line() -> None:
    data = _csv('2021001,"Zhang San,AI101,70' + "x" * 200_000, header="student_id,name,course_code,grade")
    assert _only_problem(data) == (
        2,
        None,
        'A cell in this line is longer than 131072 characters, which usually means a quotation mark (") is not closed.',
    )


def test_boolean_and_formula_error_cells_are_unreadable_grades() -> None:
    data = _xlsx(
        [
            ["学号", "姓名", "课程代码", "成绩"],
            ["2021001", "张三", "AI101", True],
            ["2021001", "张三", "AI102", "#N/A"],
        ]
    )
    assert [(line, message.split(":")[0]) for line, _, message in _problems(data, "a.xlsx")] == [
        (2, "The grade “TRUE” in “成绩” could not be read"),
        (3, "The grade “#N/A” in “成绩” could not be read"),
    ]


def test_workbook_over_the_row_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "MAX_ROWS", 2)
    data = _xlsx(
        [["学号", "姓名", "课程代码", "成绩"], *([f"20210{i}", "张三", "AI101", 70] for i in range(3))]
    )
    assert _only_problem(data, "a.xlsx")[2].startswith("The file has more than 2 rows of records")


def test_cells_right_of_the_last_named_column_are_not_read() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["学号", "姓名", "课程代码", "成绩", "备注"])
    for number in range(2021001, 2021201):
        sheet.append([str(number), "张三", f"C{number}", 70])
    sheet.cell(row=5, column=16384).value = "stray"  # column XFD, the last one Excel has
    sheet.append([None] * 16383 + ["only this"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert len(read_records(buffer.getvalue(), "a.xlsx")) == 200


def test_a_row_with_only_a_remark_is_not_empty() -> None:
    data = _csv("2021001,张三,AI101,70,", ",,,,补考", header=f"{HEADER},备注")
    assert [(line, column) for line, column, _ in _problems(data)] == [
        (3, "学号"),
        (3, "姓名"),
        (3, "课程代码"),
        (3, "成绩"),
    ]


# --------------------------------------------------------------------------- the error and its languages


def test_error_renders_in_english_and_chinese_one_problem_per_line() -> None:
    data = _csv("2021001,张三,AI101,abc", "2021001,张三,AI101,80", ",李四,AI102,80")
    with pytest.raises(RecordsError) as caught:
        read_records(data, "a.csv")
    error = caught.value
    assert isinstance(error, ValueError)
    assert all(isinstance(p, RowProblem) for p in error.problems)
    assert error.render("zh") == (
        "第 2 行：“成绩”列中的成绩“abc”无法识别：请填写 0-100 的分数、等级（A-D、F），或“合格/不合格”“通过/不通过”“缺考”等文字。\n"
        "第 3 行：学号 2021001 的课程 AI101 出现了两次：第 2 行和第 3 行。\n"
        "第 4 行：“学号”未填写。"
    )
    assert (
        str(error)
        == error.render("en")
        == (
            "Line 2: The grade “abc” in “成绩” could not be read: write a score from 0 to 100, a letter grade (A-D, F) "
            "or a word such as 合格/不合格, pass/fail or 缺考.\n"
            "Line 3: Student 2021001 has course AI101 twice: lines 2 and 3.\n"
            "Line 4: “学号” is empty."
        )
    )


def test_file_level_problem_in_chinese_joins_lists_the_chinese_way() -> None:
    with pytest.raises(RecordsError) as caught:
        read_records("学号,姓名\n".encode(), "a.csv")
    assert caught.value.render("zh") == (
        "表头（第 1 行）缺少必需的列：课程代码 (course_code)、成绩 (grade)。已找到的列：“学号”、“姓名”。"
    )


def _templates() -> list[str]:
    tree = ast.parse((ROOT / "issuer" / "records.py").read_text("utf-8"))
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "t"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ]


def test_every_records_message_has_a_chinese_translation_with_the_same_placeholders() -> None:
    templates = set(_templates())
    assert len(templates) > 25
    for template in templates:
        assert template in i18n_zh_records.ZH, template
        assert placeholders(i18n_zh_records.ZH[template]) == placeholders(template), template
    assert sorted(set(i18n_zh_records.ZH) - templates) == []
