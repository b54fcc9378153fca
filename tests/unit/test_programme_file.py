"""Programme definition files: the examples, exact decimals, and every problem with its path."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from issuer.credential import Bilingual, College, CredentialInputError, IndustryField, MicroMajor
from issuer.demo_data import demo_micro_major
from issuer.fields import DEFAULT_INDUSTRY_FIELDS
from issuer.policy import PRESETS, check_programme, outstanding_findings
from issuer.programme_file import (
    MAX_BYTES,
    CourseSpec,
    ProgrammeFileError,
    ProgrammeSpec,
    parse_programme_file,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
POWDER = EXAMPLES / "programme-powder-materials.yaml"
AI = EXAMPLES / "programme-ai-applications.json"
COLLEGE = College("https://www.example.edu.cn/colleges/cs", Bilingual("计算机学院", "School of Computing"))


def _micro_major(spec: ProgrammeSpec, college: College = COLLEGE) -> MicroMajor:
    return spec.to_micro_major(
        college=college,
        industry_field=DEFAULT_INDUSTRY_FIELDS[spec.industry_field],
        achievement_id=f"https://www.example.edu.cn/microcred/achievements/{spec.code}",
    )


def _example(path: Path) -> list[ProgrammeSpec]:
    return parse_programme_file(path.read_bytes(), path.name)


def _base() -> dict[str, Any]:
    """A valid one-programme file as data: 3 courses of 2 credits."""
    return {
        "code": "WZY-T-2025",
        "name": {"zh": "测试微专业", "en": "Test Micro-major"},
        "description": {"zh": "用于测试。", "en": "For tests."},
        "college_code": "cs",
        "industry_field": "ai-applications",
        "field_of_study": "计算机科学与技术",
        "total_credits": 6,
        "criteria": "全部课程合格。",
        "courses": [
            {"code": f"T10{i}", "name": {"zh": f"课程{i}"}, "credits": 2, "class_hours": 32}
            for i in (1, 2, 3)
        ],
    }


def _yaml(data: Any) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")


def _problems(data: bytes, filename: str = "programme.yaml") -> dict[str, str]:
    with pytest.raises(ProgrammeFileError) as caught:
        parse_programme_file(data, filename)
    return {path: message.render("en") for path, message in caught.value.problems}


# --- the examples ----------------------------------------------------------------------------


def test_powder_materials_example_is_exactly_the_demo_micro_major() -> None:
    (spec,) = _example(POWDER)
    demo = demo_micro_major()
    built = spec.to_micro_major(
        college=demo.college, industry_field=demo.industry_field, achievement_id=demo.achievement_id
    )
    assert built == demo
    assert spec.college_code == "materials"
    assert spec.college_name == demo.college.name


def test_powder_materials_example_acknowledges_credits_per_course_in_chinese() -> None:
    (spec,) = _example(POWDER)
    assert [rule for rule, _ in spec.acknowledged] == ["credits_per_course"]
    reason = spec.acknowledged[0][1]
    assert "1.5 学分" in reason
    assert "原则上" in reason


def test_powder_materials_example_gets_exactly_the_credits_per_course_warning_under_ustb() -> None:
    (spec,) = _example(POWDER)
    findings = check_programme(_micro_major(spec), PRESETS["ustb-2024"])
    assert {(f.rule, f.severity) for f in findings} == {("credits_per_course", "warning")}
    assert len(findings) == 8
    assert outstanding_findings(findings, spec.acknowledged) == []


def test_ai_applications_example_is_six_courses_of_two_credits_and_32_hours() -> None:
    (spec,) = _example(AI)
    assert spec.code == "WZY-AI-2025"
    assert spec.name == Bilingual("人工智能应用", "Artificial Intelligence Applications")
    assert spec.industry_field == "ai-applications"
    assert len(spec.courses) == 6
    assert {(c.credits, c.class_hours) for c in spec.courses} == {(Decimal(2), Decimal(32))}
    assert spec.total_credits == Decimal(12)
    assert spec.acknowledged == ()
    assert check_programme(_micro_major(spec), PRESETS["ustb-2024"]) == []


@pytest.mark.parametrize("path", [POWDER, AI], ids=lambda p: p.name)
def test_example_passes_the_lenient_policy(path: Path) -> None:
    (spec,) = _example(path)
    assert check_programme(_micro_major(spec), PRESETS["lenient"]) == []


def test_readme_documents_every_key_of_the_format() -> None:
    readme = (EXAMPLES / "README.md").read_text("utf-8")
    for key in ProgrammeSpec.__dataclass_fields__:
        assert f"| `{key}` |" in readme, key
    for key in CourseSpec.__dataclass_fields__:
        assert f"| `courses[].{key}` |" in readme, key
    for key in ("rule", "reason"):
        assert f"| `acknowledged[].{key}` |" in readme, key
    assert "microcred programme import" in readme


# --- reading values --------------------------------------------------------------------------


def test_credits_are_exact_decimals_in_yaml_and_json() -> None:
    data = _base()
    data["courses"] = [
        {"code": f"T{i}", "name": "课程", "credits": 0.1, "class_hours": 1.6} for i in range(3)
    ]
    data["total_credits"] = 0.3  # 0.1 + 0.1 + 0.1 != 0.3 in binary floating point
    for blob, name in ((_yaml(data), "p.yaml"), (json.dumps(data).encode(), "p.json")):
        (spec,) = parse_programme_file(blob, name)
        assert spec.total_credits == Decimal("0.3")
        assert spec.courses[0].credits == Decimal("0.1")


def test_plain_text_name_is_chinese_only_and_defaults_apply() -> None:
    (spec,) = parse_programme_file(_yaml(_base()), "p.yml")
    assert spec.criteria == Bilingual("全部课程合格。")
    assert spec.courses[0].name == Bilingual("课程1")
    assert spec.hours_per_credit == Decimal(16)
    assert spec.learning_mode is None
    assert spec.max_study_months is None
    assert spec.college_name is None


def test_file_with_several_programmes_returns_them_in_order() -> None:
    second = _base()
    second["code"] = "WZY-T2-2025"
    (first, other) = parse_programme_file(_yaml({"programmes": [_base(), second]}), "p.yaml")
    assert (first.code, other.code) == ("WZY-T-2025", "WZY-T2-2025")


def test_utf8_byte_order_mark_and_upper_case_extension_are_accepted() -> None:
    (spec,) = parse_programme_file(b"\xef\xbb\xbf" + json.dumps(_base()).encode(), "P.JSON")
    assert spec.code == "WZY-T-2025"


def test_institution_can_supply_its_own_industry_fields() -> None:
    data = _base()
    data["industry_field"] = "local-field"
    fields = {"local-field": IndustryField("local-field", Bilingual("本地领域"))}
    (spec,) = parse_programme_file(_yaml(data), "p.yaml", industry_fields=fields)
    assert spec.industry_field == "local-field"


def test_to_micro_major_refuses_a_different_industry_field() -> None:
    (spec,) = parse_programme_file(_yaml(_base()), "p.yaml")
    with pytest.raises(CredentialInputError, match="ai-applications"):
        spec.to_micro_major(
            college=COLLEGE,
            industry_field=DEFAULT_INDUSTRY_FIELDS["new-materials"],
            achievement_id="https://www.example.edu.cn/a",
        )


# --- every problem, with its path ------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _delete(key: str) -> Mutation:
    return lambda data: data.pop(key) and None


def _rename_course_key(old: str, new: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["courses"][0][new] = data["courses"][0].pop(old)

    return mutate


CASES: list[tuple[str, Mutation, str, str]] = [
    (
        "typo in a course key",
        _rename_course_key("credits", "credit"),
        "courses[0].credit",
        "unknown key credit; did you mean credits?",
    ),
    (
        "missing credits after the typo",
        _rename_course_key("credits", "credit"),
        "courses[0].credits",
        "is required",
    ),
    (
        "unknown top-level key",
        _set("programme_leader", "张老师"),
        "programme_leader",
        "unknown key programme_leader; allowed keys: code, name, description",
    ),
    ("missing criteria", _delete("criteria"), "criteria", "is required"),
    ("missing courses", _delete("courses"), "courses", "is required"),
    ("empty course list", _set("courses", []), "courses", "must list at least one course"),
    (
        "courses not a list",
        _set("courses", {"T101": 2}),
        "courses",
        "must be a list of courses, not a mapping",
    ),
    (
        "course not a mapping",
        _set("courses.1", "T102"),
        "courses[1]",
        "must be a mapping (key: value), not text",
    ),
    (
        "number where text is needed",
        _set("college_code", 12),
        "college_code",
        "must be text, not a number; put it in quotes",
    ),
    (
        "text where a number is needed",
        _set("courses.0.credits", "1.5"),
        "courses[0].credits",
        "must be a number, not text",
    ),
    (
        "true/false as a number",
        _set("courses.0.class_hours", True),
        "courses[0].class_hours",
        "must be a number, not true/false",
    ),
    ("empty text", _set("field_of_study", "  "), "field_of_study", "must not be empty"),
    (
        "name as a list",
        _set("name", ["测试"]),
        "name",
        "must be text or a mapping like {zh: 中文, en: English}, not a list",
    ),
    ("name without zh", _set("name", {"en": "Test"}), "name.zh", "is required"),
    (
        "typo in a language key",
        _set("name", {"zh": "测试", "eng": "Test"}),
        "name.eng",
        "unknown key eng; did you mean en?",
    ),
    (
        "negative credits",
        _set("courses.0.credits", -2),
        "courses[0].credits",
        "must not be negative (it is -2)",
    ),
    (
        "zero class hours",
        _set("courses.0.class_hours", 0),
        "courses[0].class_hours",
        "must be greater than 0",
    ),
    (
        "duplicate course code",
        _set("courses.2.code", "T101"),
        "courses[2].code",
        "course code T101 is used twice (first at courses[0])",
    ),
    (
        "code unusable in a web address",
        _set("courses.0.code", "T 101/a"),
        "courses[0].code",
        "code T 101/a may contain only letters, digits",
    ),
    (
        "credits not adding up",
        _set("total_credits", 7),
        "total_credits",
        "is 7, but the credits of the courses add up to 6",
    ),
    (
        "unknown industry field",
        _set("industry_field", "ai"),
        "industry_field",
        "unknown industry field ai; known fields: ai-applications, business-trade, digital-marketing, digital-trade, "
        "life-health, low-altitude-economy, new-generation-it, new-materials, smart-manufacturing",
    ),
    (
        "unknown learning mode",
        _set("learning_mode", "hybrid"),
        "learning_mode",
        "unknown value hybrid; use one of: online, offline, blended",
    ),
    ("fractional study period", _set("max_study_months", 1.5), "max_study_months", "must be a whole number"),
    ("zero study period", _set("max_study_months", 0), "max_study_months", "must be at least 1 (it is 0)"),
    ("zero hours per credit", _set("hours_per_credit", 0), "hours_per_credit", "must be greater than 0"),
    (
        "acknowledged not a list",
        _set("acknowledged", "credits_per_course"),
        "acknowledged",
        "must be a list of {rule: …, reason: …} entries, not text",
    ),
    (
        "unknown acknowledged rule",
        _set("acknowledged", [{"rule": "credit_per_course", "reason": "例外"}]),
        "acknowledged[0].rule",
        "unknown rule credit_per_course; known rules: course_count, total_credits, credits_per_course",
    ),
    (
        "acknowledgement without a reason",
        _set("acknowledged", [{"rule": "course_count"}]),
        "acknowledged[0].reason",
        "is required",
    ),
    (
        "rule acknowledged twice",
        _set(
            "acknowledged", [{"rule": "course_count", "reason": "a"}, {"rule": "course_count", "reason": "b"}]
        ),
        "acknowledged[1].rule",
        "rule course_count is acknowledged more than once",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
@pytest.mark.parametrize("form", ["yaml", "json"])
def test_each_problem_is_reported_at_its_path(form: str, mutate: Mutation, path: str, message: str) -> None:
    data = copy.deepcopy(_base())
    mutate(data)
    blob, name = (_yaml(data), "p.yaml") if form == "yaml" else (json.dumps(data).encode(), "p.json")
    problems = _problems(blob, name)
    assert path in problems, problems
    assert problems[path].startswith(message)


def test_paths_in_a_file_of_several_programmes_start_with_their_index() -> None:
    broken = _base()
    broken["courses"][0]["credits"] = -1
    problems = _problems(_yaml({"programmes": [_base(), broken]}))
    assert problems == {"programmes[1].courses[0].credits": "must not be negative (it is -1)"}


def test_all_problems_are_reported_at_once() -> None:
    data = _base()
    data["colege_code"] = data.pop("college_code")
    data["courses"][1]["credits"] = "2"
    data["learning_mode"] = "remote"
    assert set(_problems(_yaml(data))) == {
        "colege_code",
        "college_code",
        "courses[1].credits",
        "learning_mode",
    }


def test_duplicate_programme_codes_are_refused() -> None:
    problems = _problems(_yaml({"programmes": [_base(), _base()]}))
    assert problems == {
        "programmes[1].code": "programme code WZY-T-2025 is used twice (first at programmes[0])"
    }


@pytest.mark.parametrize(
    ("document", "path", "message"),
    [
        ({"programmes": []}, "programmes", "must list at least one programme"),
        ({"programmes": "WZY-T-2025"}, "programmes", "must be a list of programmes, not text"),
        ({"programmes": [], "version": 1}, "version", "unknown key version; allowed keys: programmes"),
    ],
)
def test_programmes_list_must_hold_programmes(document: dict[str, Any], path: str, message: str) -> None:
    assert _problems(_yaml(document))[path] == message


def test_problems_render_in_chinese_and_error_is_a_value_error() -> None:
    data = _base()
    data["total_credits"] = 7
    with pytest.raises(ProgrammeFileError) as caught:
        parse_programme_file(_yaml(data), "粉体.yaml")
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.filename == "粉体.yaml"
    assert error.render("zh") == (
        "微专业定义文件 粉体.yaml 存在以下问题：\n  - total_credits: 为 7，但各门课程学分之和为 6"
    )
    assert str(error) == error.render("en")


def test_rendering_shows_the_first_hundred_problems_and_counts_the_rest() -> None:
    data = _base()
    data["courses"] = [{"code": "T1", "name": "课程", "credits": -1, "class_hours": 1} for _ in range(150)]
    with pytest.raises(ProgrammeFileError) as caught:
        parse_programme_file(_yaml(data), "p.yaml")
    text = caught.value.render("en")
    assert len(caught.value.problems) == 299  # 150 negative credits, 149 duplicate codes
    assert text.endswith("... and 199 more problems")
    assert len(text.splitlines()) == 102


# --- the file itself -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"code: A\n", "programme.txt", "Unsupported file type: name the file *.yaml, *.yml or *.json."),
        (b"", "p.yaml", "The file is empty."),
        (b"# only a comment\n", "p.yaml", "The file is empty."),
        (b"null", "p.json", "The file is empty."),
        ("code: 粉体".encode("gbk"), "p.yaml", "The file is not UTF-8 text (byte 6); save it as UTF-8."),
        (
            b"code: [A\n",
            "p.yaml",
            "This is not valid YAML (line 2, column 1): did not find expected ',' or ']'.",
        ),
        (
            b"code: A\n---\ncode: B\n",
            "p.yaml",
            "This is not valid YAML (line 2, column 1): but found another document.",
        ),
        (b"code: 2024-13-45\n", "p.yaml", "This is not valid YAML: month must be in 1..12."),
        (
            b'{"code": "A",}',
            "p.json",
            "This is not valid JSON (line 1, column 14): Expecting property name enclosed in double quotes.",
        ),
        (b'{"total_credits": NaN}', "p.json", "This is not valid JSON: NaN is not a JSON number."),
        (b"- code: A\n", "p.yaml", "must be a mapping (key: value), not a list"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(data: bytes, filename: str, message: str) -> None:
    assert _problems(data, filename) == {"": message}


def test_files_over_one_mebibyte_are_refused_before_parsing() -> None:
    data = b"# " + b"x" * MAX_BYTES
    assert _problems(data) == {"": f"The file is {len(data)} bytes; at most {MAX_BYTES} are accepted."}


def test_yaml_alias_bomb_is_refused_at_the_first_alias() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    started = time.monotonic()
    problems = _problems("\n".join(lines).encode())
    assert time.monotonic() - started < 2
    assert problems == {
        "a1[0]": "YAML anchors and aliases (&name, *name) are not allowed (line 2); write the value out in full."
    }


def test_yaml_merge_keys_are_refused() -> None:
    data = b"defaults: {credits: 2}\ncourses:\n  - <<: {class_hours: 32}\n    code: T1\n"
    assert _problems(data) == {
        "courses[0].<<": "YAML anchors and aliases (&name, *name) are not allowed (line 3); write the value out in full."
    }


def test_yaml_keys_must_be_plain_text() -> None:
    assert _problems(b"? [code]\n: A\n") == {"": "a key must be plain text (line 1)"}


def test_yaml_key_written_twice_is_reported_instead_of_silently_taking_the_last() -> None:
    data = _yaml(_base()).replace(b"credits: 2\n", b"credits: 2\n  credits: 2\n", 1)
    line = data.decode().splitlines().index("  credits: 2") + 2  # the copy follows the original
    problems = _problems(data)
    assert problems == {"courses[0].credits": f"key credits appears more than once (line {line})"}


def test_json_key_written_twice_is_reported_with_its_path() -> None:
    text = json.dumps(_base()).replace('"credits": 2', '"credits": 2, "credits": 2', 1)
    assert _problems(text.encode(), "p.json") == {"courses[0].credits": "key credits appears more than once"}


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "p.json"),
        (b"[" * 100_000 + b"]" * 100_000, "p.yaml"),
        (b"a:\n" + b"".join(b"  " * i + b"b:\n" for i in range(1, 40)), "p.yaml"),
    ],
    ids=["json", "yaml-flow", "yaml-block"],
)
def test_deep_nesting_is_refused_without_recursing(data: bytes, filename: str) -> None:
    assert _problems(data, filename) == {"": "The file is nested more than 32 levels deep."}


def test_lone_surrogates_are_refused() -> None:
    data = json.dumps(_base(), ensure_ascii=False).replace("测试微专业", "\\ud800").encode()
    assert _problems(data, "p.json") == {
        "name.zh": "contains a character that is not valid Unicode (a lone surrogate)"
    }
