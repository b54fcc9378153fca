"""A fictional university and a real-looking micro-major, for the demo and the tests.

示范科技大学 does not exist (its institution code 4199999999 is outside the issued range), so
nothing here can be mistaken for a real certificate. The micro-major mirrors a real one from
DOMAIN.md: powder-materials smart manufacturing, 8 courses of 1.5 credits (12 in all), 24 class
hours each — under the "2-3 credits per course" rule, as the real one is.
"""

from __future__ import annotations

from decimal import Decimal

from .credential import Bilingual, College, Course, CourseResult, Institution, Learner, MicroMajor
from .fields import DEFAULT_INDUSTRY_FIELDS


def demo_institution(did: str) -> Institution:
    return Institution(
        did=did,
        name=Bilingual("示范科技大学", "Demonstration University of Science and Technology"),
        institution_code="4199999999",
        url="https://www.example.edu.cn",
    )


_COURSES = (
    ("PM101", "粉体材料科学基础", "Fundamentals of Powder Materials Science", "闭卷考试"),
    ("PM102", "粉末冶金原理", "Principles of Powder Metallurgy", "闭卷考试"),
    ("PM103", "智能制造导论", "Introduction to Intelligent Manufacturing", "课程论文"),
    ("PM104", "粉体制备与表征技术", "Powder Preparation and Characterization", "实验报告"),
    ("PM105", "增材制造技术", "Additive Manufacturing Technology", "项目作品"),
    (
        "PM106",
        "工业数据分析与机器学习",
        "Industrial Data Analysis and Machine Learning",
        "项目作品",
    ),
    ("PM107", "智能装备与控制", "Intelligent Equipment and Control", "闭卷考试"),
    (
        "PM108",
        "粉体智能制造综合实践",
        "Integrated Practice in Powder Intelligent Manufacturing",
        "实践考核",
    ),
)


def demo_micro_major(
    achievement_base: str = "https://www.example.edu.cn/microcred/achievements",
) -> MicroMajor:
    return MicroMajor(
        code="WZY-PM-2024",
        name=Bilingual("粉体材料智能制造", "Powder Materials Intelligent Manufacturing"),
        description=Bilingual(
            "面向新材料与智能制造产业，系统学习粉体材料制备、表征与智能制造技术的微专业。",
            "A micro-major in the preparation and characterization of powder materials and the "
            "intelligent manufacturing technologies that use them, for the new-materials and "
            "smart-manufacturing industries.",
        ),
        college=College(
            "https://www.example.edu.cn/colleges/materials",
            Bilingual("材料科学与工程学院", "School of Materials Science and Engineering"),
        ),
        industry_field=DEFAULT_INDUSTRY_FIELDS["new-materials"],
        field_of_study="材料科学与工程 (Materials Science and Engineering)",
        courses=tuple(
            Course(code, Bilingual(zh, en), Decimal("1.5"), Decimal(24), assessment)
            for code, zh, en, assessment in _COURSES
        ),
        total_credits=Decimal(12),
        criteria=Bilingual(
            "在两年内修完全部 8 门课程并全部合格，经学院审核、教务处批准后颁发。",
            "Pass all 8 courses within two years; issued after review by the college and "
            "approval by the Office of Academic Affairs.",
        ),
        achievement_id=f"{achievement_base}/WZY-PM-2024",
        hours_per_credit=Decimal(16),
        learning_mode="blended",
        max_study_months=24,
    )


DEMO_LEARNERS: tuple[tuple[Learner, tuple[str, ...]], ...] = (
    (
        Learner("王小明", "Wang Xiaoming", "20211234"),
        ("92", "88", "合格", "85", "90", "95", "78", "优秀"),
    ),
    (Learner("李华", "Li Hua", "20211235"), ("85", "79", "合格", "88", "82", "91", "80", "良好")),
)


def demo_results(grades: tuple[str, ...]) -> list[CourseResult]:
    return [CourseResult(code, grade) for (code, *_), grade in zip(_COURSES, grades, strict=True)]
