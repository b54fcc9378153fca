"""Institution policy: presets that match the regulations, hard vs soft rules, configuration."""

from __future__ import annotations

import ast
import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from issuer.credential import Course, MicroMajor
from issuer.demo_data import demo_micro_major
from issuer.i18n_zh_policy import ZH
from issuer.policy import (
    PRESETS,
    PROGRAMME_RULES,
    InstitutionPolicy,
    Limit,
    PolicyConfigError,
    PolicyFinding,
    check_class_size,
    check_programme,
    load_policy,
    outstanding_findings,
)
from verifier.i18n import placeholders, render

ROOT = Path(__file__).resolve().parents[2]
D = Decimal


def _programme(courses: int = 8, credits: str = "2", hours: str = "32", **changes: object) -> MicroMajor:
    """The demo micro-major reshaped: ``courses`` courses of ``credits`` credits and ``hours`` hours."""
    base = demo_micro_major()
    shaped = tuple(Course(f"C{i:02}", base.courses[0].name, D(credits), D(hours)) for i in range(courses))
    fields: dict[str, Any] = {"courses": shaped, "total_credits": D(credits) * courses, **changes}
    return dataclasses.replace(base, **fields)


def _rules(findings: list[PolicyFinding]) -> list[tuple[str, str]]:
    return [(f.rule, f.severity) for f in findings]


# --- presets against DOMAIN.md ---------------------------------------------------------------


def test_ustb_preset_matches_its_2024_regulations() -> None:
    policy = PRESETS["ustb-2024"]
    assert policy.course_count == Limit(D(6), D(10), "warning")
    assert policy.total_credits == Limit(D(12), D(20), "warning")
    assert policy.credits_per_course == Limit(D(2), D(3), "warning")
    assert policy.hours_per_credit == D(16)
    assert policy.hours_per_credit_severity == "error"
    assert policy.max_study_months == Limit(None, D(24), "error")
    assert policy.fee_per_credit_cny == D(140)
    assert policy.min_class_size == 15
    assert policy.requires_college_approval is False


def test_ccut_preset_matches_its_2025_regulations() -> None:
    policy = PRESETS["ccut-hit-2025"]
    assert policy.course_count == Limit(D(6), D(7), "warning")
    assert policy.total_credits == Limit(D(12), D(16), "warning")
    assert policy.credits_per_course is None
    assert policy.hours_per_credit is None
    assert policy.max_study_months == Limit(None, D(12), "error")
    assert policy.fee_per_credit_cny == D(150)
    assert policy.min_class_size == 20
    assert policy.requires_college_approval is True


def test_asnu_preset_matches_its_2025_call() -> None:
    policy = PRESETS["asnu-shuangqian-2025"]
    assert policy.course_count == Limit(D(5), D(5), "warning")
    assert policy.total_credits == Limit(None, D(15), "warning")
    assert policy.credits_per_course == Limit(D(2), D(3), "warning")
    assert policy.hours_per_credit is None
    assert policy.max_study_months == Limit(None, D(12), "warning")
    assert policy.fee_per_credit_cny is None
    assert policy.min_class_size is None
    assert policy.requires_college_approval is False


def test_lenient_preset_has_no_limits() -> None:
    policy = PRESETS["lenient"]
    assert policy.course_count is None
    assert policy.total_credits is None
    assert policy.credits_per_course is None
    assert policy.hours_per_credit is None
    assert policy.max_study_months is None
    assert policy.min_class_size is None
    assert policy.requires_college_approval is False


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_is_keyed_by_its_id_and_names_its_source(preset: str) -> None:
    policy = PRESETS[preset]
    assert policy.id == preset
    assert policy.name.zh
    assert policy.name.en
    assert policy.source
    assert policy.pass_mark == D(60)


def test_presets_are_the_three_institutions_and_lenient() -> None:
    assert set(PRESETS) == {"ustb-2024", "ccut-hit-2025", "asnu-shuangqian-2025", "lenient"}


# --- checking programmes ---------------------------------------------------------------------


def test_real_powder_materials_programme_gets_only_credits_per_course_warnings_under_ustb() -> None:
    findings = check_programme(demo_micro_major(), PRESETS["ustb-2024"])
    assert {f.rule for f in findings} == {"credits_per_course"}
    assert {f.severity for f in findings} == {"warning"}
    assert [f.course_code for f in findings] == [f"PM10{i}" for i in range(1, 9)]
    message = findings[0].message
    assert message.render("en") == (
        "Course PM101 has 1.5 credits; policy ustb-2024 asks for 2–3 credits per course."
    )
    assert message.render("zh") == "课程 PM101 为 1.5 学分；策略 ustb-2024 要求每门课程 2–3 学分。"


def test_lenient_policy_accepts_the_demo_programme() -> None:
    assert check_programme(demo_micro_major(), PRESETS["lenient"]) == []


def test_programme_inside_every_ustb_limit_has_no_findings() -> None:
    assert check_programme(_programme(6, "2", "32"), PRESETS["ustb-2024"]) == []


@pytest.mark.parametrize(("courses", "found"), [(5, True), (6, False), (10, False), (11, True)])
def test_course_count_bounds_are_inclusive(courses: int, found: bool) -> None:
    findings = check_programme(_programme(courses, "2", "32"), PRESETS["ustb-2024"])
    course_count = [f for f in findings if f.rule == "course_count"]
    assert bool(course_count) is found
    assert all(f.severity == "warning" for f in course_count)


def test_course_count_message_names_value_and_limit() -> None:
    (finding,) = [
        f
        for f in check_programme(_programme(11, "2", "32"), PRESETS["ustb-2024"])
        if f.rule == "course_count"
    ]
    assert (
        finding.message.render("en")
        == "The programme has 11 courses; policy ustb-2024 asks for 6–10 courses."
    )
    assert finding.course_code is None


def test_total_credits_above_the_maximum_is_a_soft_warning() -> None:
    findings = check_programme(_programme(6, "3", "48", max_study_months=24), PRESETS["asnu-shuangqian-2025"])
    (total,) = [f for f in findings if f.rule == "total_credits"]
    assert total.severity == "warning"
    assert total.message.render("en") == (
        "The programme has 18 credits in total; policy asnu-shuangqian-2025 asks for at most 15 credits."
    )


def test_class_hours_that_do_not_match_the_credit_unit_are_a_hard_error_under_ustb() -> None:
    findings = check_programme(_programme(6, "2", "30"), PRESETS["ustb-2024"])
    assert _rules(findings) == [("hours_per_credit", "error")] * 6
    assert findings[0].course_code == "C00"
    assert findings[0].message.render("en") == (
        "Course C00 has 30 class hours for 2 credits; policy ustb-2024 counts 16 class hours per "
        "credit, so it should have 32."
    )


def test_programme_with_a_different_credit_unit_is_reported_once_for_the_programme() -> None:
    programme = _programme(6, "2", "32", hours_per_credit=D(18))
    findings = check_programme(programme, PRESETS["ustb-2024"])
    assert _rules(findings) == [("hours_per_credit", "error")]
    assert findings[0].course_code is None


def test_study_period_beyond_the_maximum_is_a_hard_error_under_ccut() -> None:
    findings = check_programme(_programme(6, "2", "32", max_study_months=24), PRESETS["ccut-hit-2025"])
    assert _rules(findings) == [("max_study_months", "error")]
    assert "24 months" in findings[0].message.render("en")
    assert "at most 12" in findings[0].message.render("en")


def test_asnu_study_period_is_only_approximate_so_it_is_a_warning() -> None:
    programme = _programme(5, "2", "32", max_study_months=18)
    assert _rules(check_programme(programme, PRESETS["asnu-shuangqian-2025"])) == [
        ("max_study_months", "warning")
    ]


def test_programme_without_a_study_period_gets_a_warning_when_the_policy_limits_it() -> None:
    findings = check_programme(_programme(6, "2", "32", max_study_months=None), PRESETS["ustb-2024"])
    assert _rules(findings) == [("max_study_months", "warning")]
    assert "does not state a maximum study period" in findings[0].message.render("en")


@pytest.mark.parametrize(
    ("preset", "programme", "expected"),
    [
        (
            "ustb-2024",
            _programme(4, "1", "16", max_study_months=36),
            "course_count total_credits credits_per_course max_study_months",
        ),
        (
            "ccut-hit-2025",
            _programme(8, "2.5", "40", max_study_months=24),
            "course_count total_credits max_study_months",
        ),
    ],
)
def test_hard_and_soft_rules_follow_the_wording_of_the_regulations(
    preset: str, programme: MicroMajor, expected: str
) -> None:
    findings = check_programme(programme, PRESETS[preset])
    assert sorted({f.rule for f in findings}) == sorted(expected.split())
    by_rule = {f.rule: f.severity for f in findings}
    assert by_rule["course_count"] == "warning"
    assert by_rule["total_credits"] == "warning"
    assert by_rule["max_study_months"] == "error"
    assert by_rule.get("credits_per_course", "warning") == "warning"


def test_limit_describes_its_range_in_both_languages() -> None:
    assert render(Limit(D(2), D(3)).describe(), "zh") == "2–3"
    assert render(Limit(D(6)).describe(), "en") == "at least 6"
    assert render(Limit(None, D(15)).describe(), "zh") == "不超过 15"
    assert render(Limit(D(5), D(5)).describe(), "en") == "5"
    assert render(Limit(D("1.50"), D("3.0")).describe(), "en") == "1.5–3"


def test_small_cohort_is_a_warning_and_a_full_one_is_not() -> None:
    policy = PRESETS["ccut-hit-2025"]
    assert check_class_size(20, policy) == []
    (finding,) = check_class_size(12, policy)
    assert (finding.rule, finding.severity) == ("min_class_size", "warning")
    assert (
        finding.message.render("en")
        == "The cohort has 12 learners; policy ccut-hit-2025 asks for at least 20."
    )
    assert check_class_size(1, PRESETS["lenient"]) == []


def test_acknowledged_warnings_stop_nothing_but_errors_always_do() -> None:
    programme = _programme(6, "1.5", "30", max_study_months=24)  # 1.5 credits: warning; 30 hours: error
    findings = check_programme(programme, PRESETS["ustb-2024"])
    assert {f.rule for f in findings} == {"total_credits", "credits_per_course", "hours_per_credit"}
    left = outstanding_findings(findings, [("credits_per_course", "批准的例外"), ("hours_per_credit", "x")])
    assert _rules(left) == [("total_credits", "warning")] + [("hours_per_credit", "error")] * 6


# --- configuration ---------------------------------------------------------------------------


def test_preset_alone_is_the_preset_itself() -> None:
    assert load_policy({"preset": "ustb-2024"}) == PRESETS["ustb-2024"]
    assert load_policy({"preset": "lenient"}).id == "lenient"


def test_override_changes_only_what_it_names_and_is_recorded_as_local() -> None:
    policy = load_policy(
        {"preset": "ustb-2024", "course_count": {"maximum": 12}, "hours_per_credit_severity": "warning"}
    )
    assert policy.course_count == Limit(D(6), D(12), "warning")
    assert policy.hours_per_credit_severity == "warning"
    assert policy.credits_per_course == PRESETS["ustb-2024"].credits_per_course
    assert policy.id == "ustb-2024-local"
    assert policy.source.endswith("local overrides: course_count, hours_per_credit_severity")


def test_null_removes_a_rule_and_an_explicit_id_is_kept() -> None:
    policy = load_policy({"preset": "ustb-2024", "id": "demo-univ-2025", "credits_per_course": None})
    assert policy.credits_per_course is None
    assert policy.id == "demo-univ-2025"
    assert check_programme(demo_micro_major(), policy) == []


def test_full_definition_builds_a_policy_from_json_numbers_exactly() -> None:
    policy = load_policy(
        {
            "id": "demo-2025",
            "name": {"zh": "示范科技大学微专业管理办法", "en": "Demo University rules"},
            "credits_per_course": {"minimum": 1.5, "maximum": 3, "severity": "error"},
            "hours_per_credit": 16,
            "pass_mark": 60,
            "min_class_size": 10,
            "requires_college_approval": True,
        }
    )
    assert isinstance(policy, InstitutionPolicy)
    assert policy.credits_per_course == Limit(D("1.5"), D(3), "error")
    assert policy.name.en == "Demo University rules"
    assert policy.course_count is None
    assert policy.requires_college_approval is True
    assert check_programme(demo_micro_major(), policy) == []


def test_full_definition_needs_an_id_and_a_name() -> None:
    with pytest.raises(PolicyConfigError) as caught:
        load_policy({"course_count": {"minimum": 5}})
    assert [path for path, _ in caught.value.problems] == ["id", "name"]


def test_bad_policy_configuration_reports_every_problem_with_its_path() -> None:
    with pytest.raises(PolicyConfigError) as caught:
        load_policy(
            {
                "preset": "ustb",
                "course_cuont": 6,
                "total_credits": {"minimum": 20, "maximum": 12},
                "credits_per_course": {"severity": "fatal"},
                "max_study_months": {"minimum": None, "maximum": None},
                "pass_mark": "60",
                "requires_college_approval": "yes",
                "min_class_size": 0,
            }
        )
    problems = {path: message.render("en") for path, message in caught.value.problems}
    assert problems == {
        "course_cuont": "unknown key course_cuont; did you mean course_count?",
        "preset": "unknown preset ustb; known presets: ustb-2024, ccut-hit-2025, asnu-shuangqian-2025, lenient",
        "total_credits": "the minimum 20 is larger than the maximum 12",
        "credits_per_course.severity": "must be error or warning, not 'fatal'",
        "max_study_months": "a limit needs a minimum, a maximum or both (use null for no limit)",
        "pass_mark": "must be a number, not text",
        "requires_college_approval": "must be true or false, not text",
        "min_class_size": "must be at least 1 (it is 0)",
    }
    assert isinstance(caught.value, ValueError)
    assert "学校策略配置存在以下问题" in caught.value.render("zh")


def test_policy_configuration_must_be_a_mapping() -> None:
    with pytest.raises(PolicyConfigError, match="must be a mapping"):
        load_policy(["ustb-2024"])  # type: ignore[arg-type]


# --- every message has a Chinese translation -------------------------------------------------


def _templates(*modules: str) -> set[str]:
    found: set[str] = set()
    for module in modules:
        for node in ast.walk(ast.parse((ROOT / "issuer" / module).read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


TEMPLATES = _templates("policy.py", "programme_file.py")


def test_policy_and_programme_file_templates_are_found() -> None:
    assert len(TEMPLATES) > 60


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_policy_message_has_a_chinese_translation_with_the_same_placeholders(template: str) -> None:
    assert template in ZH, template
    assert placeholders(ZH[template]) == placeholders(template)


def test_policy_catalogue_has_no_stale_translations() -> None:
    assert sorted(set(ZH) - TEMPLATES) == []


def test_a_programme_breaking_every_rule_gets_a_finding_for_each_rule() -> None:
    programme = _programme(4, "1", "20", max_study_months=36)
    findings = check_programme(programme, PRESETS["ustb-2024"])
    assert {f.rule for f in findings} == set(PROGRAMME_RULES)
