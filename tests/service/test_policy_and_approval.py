"""Institution policies at work: hard limits refuse, soft rules need acknowledging, and a
policy that requires college review holds certificates back until the college approves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from issuer.cohorts import approve, import_records, preview
from issuer.demo import EXAMPLES, PROGRAMME_FILE
from issuer.errors import ServiceError
from issuer.identity import InstitutionInfo, ensure_signing_key, set_institution
from issuer.issuance import issue_programme
from issuer.programme_file import parse_programme_file
from issuer.programmes import import_programmes
from issuer.service import Service

from .conftest import make_service

AI_FILE = EXAMPLES / "programme-ai-applications.json"


def _service(database_url: str, tmp_path: Path, policy: str) -> Service:
    service = make_service(database_url, tmp_path / "keys", policy=policy)
    set_institution(
        service, InstitutionInfo("示范科技大学", None, "4199999999", "example.edu.cn"), actor="test"
    )
    ensure_signing_key(service, actor="test")
    return service


@pytest.fixture
def ustb(database_url: str, tmp_path: Path) -> Iterator[Service]:
    service = _service(database_url, tmp_path, "ustb-2024")
    yield service
    service.close()


@pytest.fixture
def ccut(database_url: str, tmp_path: Path) -> Iterator[Service]:
    service = _service(database_url, tmp_path, "ccut-hit-2025")
    yield service
    service.close()


def test_acknowledged_soft_rule_is_accepted_and_kept(ustb: Service) -> None:
    saved = import_programmes(
        ustb, parse_programme_file(PROGRAMME_FILE.read_bytes(), PROGRAMME_FILE.name), actor="registrar"
    )
    assert saved[0].acknowledged[0]["rule"] == "credits_per_course"


def test_unacknowledged_soft_rule_is_refused_naming_each_course(ustb: Service) -> None:
    text = PROGRAMME_FILE.read_text("utf-8")
    start = text.index("acknowledged:")
    without = text[:start] + "\n".join(
        line for line in text[start:].splitlines()[1:] if line.startswith(("  ", "\t")) is False
    )
    specs = parse_programme_file(without.encode(), "no-ack.yaml")
    assert specs[0].acknowledged == ()
    with pytest.raises(ServiceError) as raised:
        import_programmes(ustb, specs, actor="registrar")
    assert raised.value.status == 422
    assert len(raised.value.errors) == 8
    assert {e.where for e in raised.value.errors} == {"credits_per_course"}


def test_hard_limit_is_refused_even_if_acknowledged(ccut: Service) -> None:
    # CCUT allows at most one year; the powder-materials micro-major allows two.
    with pytest.raises(ServiceError) as raised:
        import_programmes(
            ccut, parse_programme_file(PROGRAMME_FILE.read_bytes(), PROGRAMME_FILE.name), actor="registrar"
        )
    assert raised.value.status == 422
    assert "max_study_months" in {e.where for e in raised.value.errors}


def test_college_approval_holds_certificates_back(ccut: Service) -> None:
    import_programmes(ccut, parse_programme_file(AI_FILE.read_bytes(), AI_FILE.name), actor="registrar")
    rows = ["学号,姓名,课程代码,成绩"] + [
        f"2022000{n},学员{n},AI10{c},88" for n in range(3) for c in range(1, 7)
    ]
    import_records(ccut, "WZY-AI-2025", "\n".join(rows).encode("gb18030"), "ai.csv", actor="registrar")
    waiting = preview(ccut, "WZY-AI-2025")
    assert waiting.approval_required
    assert all(e.reasons[0].render("en") == "waiting for the college's approval" for e in waiting.learners)
    assert issue_programme(ccut, "WZY-AI-2025", actor="registrar").issued == []
    approval = approve(ccut, "WZY-AI-2025", actor="reviewer", college_id=None, note="学院初审通过")
    assert len(approval.learner_ids) == 3
    assert len(issue_programme(ccut, "WZY-AI-2025", actor="registrar").issued) == 3
