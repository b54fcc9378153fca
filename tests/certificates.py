"""Test builders for printed certificates: signed credentials shaped like the golden one."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from factories import NOW, sign, w3c_test_key

from issuer.credential import (
    Bilingual,
    CertificateDetails,
    College,
    CourseResult,
    Learner,
    build_credential,
)
from issuer.demo_data import demo_institution, demo_micro_major
from issuer.fields import DEFAULT_INDUSTRY_FIELDS


def credential_with(
    *,
    courses: int = 8,
    learner: str = "王小明",
    learner_en: str | None = "Wang Xiaoming",
    college: Bilingual | None = None,
    course_name: Bilingual | None = None,
    valid_from: datetime = NOW,
    results: Sequence[str] | None = None,
    number: str = "SF-WZY-2025-000777",
) -> dict[str, Any]:
    """A signed credential like the golden one, with the given number of courses and names.

    ``results``: each course's result (default ``90`` for all), repeated over the courses.
    """
    base = demo_micro_major()
    chosen = results or ["90"]
    course_list = tuple(
        dataclasses.replace(
            base.courses[i % len(base.courses)],
            code=f"PM{i + 101}",
            name=course_name or base.courses[i % len(base.courses)].name,
        )
        for i in range(courses)
    )
    micro_major = dataclasses.replace(
        base,
        courses=course_list,
        total_credits=sum((c.credits for c in course_list), Decimal(0)),
        college=College(base.college.id, college) if college else base.college,
    )
    details = CertificateDetails(
        certificate_number=number,
        valid_from=valid_from,
        study_start=date(2024, 9, 1),
        study_end=date(2025, 6, 30),
    )
    unsigned = build_credential(
        demo_institution(w3c_test_key().did_key),
        micro_major,
        Learner(learner, learner_en),
        [CourseResult(c.code, chosen[i % len(chosen)]) for i, c in enumerate(course_list)],
        details,
        industry_fields=DEFAULT_INDUSTRY_FIELDS,
    )
    return sign(unsigned)


def seal_svg() -> bytes:
    """A round red seal like a Chinese university's (drawn here: no real institution's seal)."""
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" width="200" height="200">']
    parts.append('<circle cx="100" cy="100" r="92" fill="none" stroke="#d0201a" stroke-width="6"/>')
    star = " ".join(
        f"{100 + (30 if i % 2 == 0 else 12) * math.cos(-math.pi / 2 + i * math.pi / 5):.1f},"
        f"{100 + (30 if i % 2 == 0 else 12) * math.sin(-math.pi / 2 + i * math.pi / 5):.1f}"
        for i in range(10)
    )
    parts.append(f'<polygon points="{star}" fill="#d0201a"/>')
    name = "示范科技大学"
    for i, char in enumerate(name):
        degrees = -200 + 220 * (i + 0.5) / len(name)
        x = 100 + 66 * math.cos(math.radians(degrees))
        y = 100 + 66 * math.sin(math.radians(degrees))
        parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="28" font-family="Noto Serif CJK SC" font-weight="bold" '
            f'fill="#d0201a" text-anchor="middle" dominant-baseline="central" '
            f'transform="rotate({degrees + 90:.1f} {x:.1f} {y:.1f})">{char}</text>'
        )
    parts.append("</svg>")
    return "".join(parts).encode()
