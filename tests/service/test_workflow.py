"""The registrar's workflow end to end, on SQLite and on PostgreSQL.

Programme file → GB18030 records export → eligibility preview → issue → verify (as a stranger,
from the DID document and status lists the service publishes) → revoke, suspend, reissue →
audit chain.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import col, func, select

from issuer import audit, identity
from issuer.cohorts import import_records, preview
from issuer.db import transaction
from issuer.demo import PROGRAMME_FILE, cohort_csv
from issuer.errors import ServiceError
from issuer.issuance import issue_programme, reissue
from issuer.models import AuditEntry, Credential, StatusList
from issuer.programme_file import parse_programme_file
from issuer.programmes import import_programmes
from issuer.revocation import REVOKE, SUSPEND, UNSUSPEND, change_status
from issuer.service import Service
from verifier import VerificationResult, verify_credential

CODE = "WZY-PM-2024"


def seed(service: Service) -> None:
    import_programmes(
        service, parse_programme_file(PROGRAMME_FILE.read_bytes(), PROGRAMME_FILE.name), actor="registrar"
    )
    import_records(service, CODE, cohort_csv(), "cohort.csv", actor="registrar")


def published(service: Service) -> dict[str, Any]:
    """What a stranger can fetch from the service: DID document and status lists."""
    with transaction(service.engine, write=False) as session:
        return {
            "did_documents": {service.did: identity.did_document(service, session)},
            "status_lists": {
                service.status_list_url(sl.purpose, sl.number): json.loads(sl.document)
                for sl in session.exec(select(StatusList))
            },
        }


def verify(service: Service, certificate_number: str) -> VerificationResult:
    with transaction(service.engine, write=False) as session:
        credential = session.exec(
            select(Credential).where(Credential.certificate_number == certificate_number)
        ).one()
        document = json.loads(credential.document)
    return verify_credential(document, **published(service))


def test_preview_names_every_learner_and_the_exact_reasons(service: Service) -> None:
    seed(service)
    learners = {e.name: e for e in preview(service, CODE).learners}
    assert len(learners) == 12
    assert sum(1 for e in learners.values() if e.eligible) == 9
    assert [r.render("en") for r in learners["吴昊"].reasons] == ["PM102 (粉末冶金原理): not passed (55)"]
    assert [r.render("zh") for r in learners["孙悦"].reasons] == [learners["孙悦"].reasons[0].render("zh")]
    assert "no result yet" in learners["孙悦"].reasons[0].render("en")
    assert "27 months" in learners["郑凯"].reasons[0].render("en")


def test_issue_verify_and_issue_nothing_twice(service: Service) -> None:
    seed(service)
    first = issue_programme(service, CODE, actor="registrar")
    assert len(first.issued) == 9
    assert len(first.not_eligible) == 3
    numbers = [c.certificate_number for c in first.issued]
    assert len(set(numbers)) == 9
    for number in numbers:
        result = verify(service, number)
        assert result.verified, result.to_json()
        assert result.summary is not None
        assert result.summary["issuer"]["id"] == service.did
    again = issue_programme(service, CODE, actor="registrar")
    assert again.issued == []
    assert again.already_issued == 9
    with transaction(service.engine, write=False) as session:
        assert session.exec(select(func.count()).select_from(Credential)).one() == 9


def test_dry_run_writes_nothing(service: Service) -> None:
    seed(service)
    result = issue_programme(service, CODE, actor="registrar", dry_run=True)
    assert len(result.would_issue) == 9
    with transaction(service.engine, write=False) as session:
        assert session.exec(select(func.count()).select_from(Credential)).one() == 0


def test_revoke_suspend_unsuspend_are_published_in_the_signed_lists(service: Service) -> None:
    seed(service)
    issued = issue_programme(service, CODE, actor="registrar").issued
    revoked, suspended = issued[0].certificate_number, issued[1].certificate_number
    change_status(service, [revoked], REVOKE, reason="issued in error", actor="registrar")
    change_status(service, [suspended], SUSPEND, reason="under review", actor="registrar")
    assert verify(service, revoked).outcome == "revoked"
    assert verify(service, suspended).outcome == "suspended"
    assert verify(service, issued[2].certificate_number).outcome == "valid"
    change_status(service, [suspended], UNSUSPEND, reason=None, actor="registrar")
    assert verify(service, suspended).outcome == "valid"
    with pytest.raises(ServiceError) as raised:
        change_status(service, [revoked], UNSUSPEND, reason=None, actor="registrar")
    assert raised.value.status == 409


def test_revocation_needs_a_reason_and_known_numbers_and_is_all_or_nothing(service: Service) -> None:
    seed(service)
    issued = issue_programme(service, CODE, actor="registrar").issued
    with pytest.raises(ServiceError) as raised:
        change_status(service, [issued[0].certificate_number], REVOKE, reason="  ", actor="registrar")
    assert raised.value.status == 422
    with pytest.raises(ServiceError) as raised:
        change_status(
            service, [issued[0].certificate_number, "NO-SUCH-1"], REVOKE, reason="x", actor="registrar"
        )
    assert raised.value.status == 404
    assert verify(service, issued[0].certificate_number).outcome == "valid"  # nothing changed


def test_revocation_accepts_the_credential_id(service: Service) -> None:
    seed(service)
    issued = issue_programme(service, CODE, actor="registrar").issued
    change_status(service, [issued[3].credential_id], REVOKE, reason="wrong name", actor="registrar")
    assert verify(service, issued[3].certificate_number).outcome == "revoked"


def test_reissue_links_the_replacement_and_revokes_the_original(service: Service) -> None:
    seed(service)
    original = issue_programme(service, CODE, actor="registrar").issued[0]
    replacement = reissue(service, original.certificate_number, reason="name corrected", actor="registrar")
    assert replacement.certificate_number != original.certificate_number
    assert verify(service, original.certificate_number).outcome == "revoked"
    assert verify(service, replacement.certificate_number).verified
    with transaction(service.engine, write=False) as session:
        old = session.exec(
            select(Credential).where(Credential.certificate_number == original.certificate_number)
        ).one()
        new = session.exec(
            select(Credential).where(Credential.certificate_number == replacement.certificate_number)
        ).one()
        assert old.replaced_by_id == new.id
        assert new.replaces_id == old.id
        assert old.superseded
    assert issue_programme(service, CODE, actor="registrar").issued == []  # still nothing twice


def test_key_rotation_keeps_old_credentials_verifying(service: Service) -> None:
    seed(service)
    issued = issue_programme(service, CODE, actor="registrar").issued
    new_key, retired = identity.rotate_key(service, actor="admin")
    assert retired is not None
    assert new_key.fragment != retired.fragment
    assert verify(service, issued[0].certificate_number).verified
    with transaction(service.engine, write=False) as session:
        document = identity.did_document(service, session)
    assert len(document["assertionMethod"]) == 2


def test_compromised_key_lists_what_it_signed_and_stops_verifying(service: Service) -> None:
    seed(service)
    issued = issue_programme(service, CODE, actor="registrar").issued
    key, affected = identity.mark_compromised(service, "key-1", note="laptop stolen", actor="admin")
    assert key.status == "compromised"
    assert sorted(affected) == sorted(c.certificate_number for c in issued)
    result = verify(service, issued[0].certificate_number)
    assert not result.verified
    proof = result.check("proof")
    assert proof is not None
    assert proof.problem is not None
    assert proof.problem.type.endswith("INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD")
    with transaction(service.engine, write=False) as session:
        active = identity.active_key(session)
    assert active is not None
    assert active.fragment == "key-2"


def test_a_failure_mid_chunk_stores_nothing_of_that_chunk(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(service)
    from issuer import signing

    calls = {"n": 0}
    real = signing.add_proof

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("simulated crash while signing")
        return real(*args, **kwargs)

    monkeypatch.setattr(signing, "add_proof", flaky)
    with pytest.raises(RuntimeError):
        issue_programme(service, CODE, actor="registrar")
    with transaction(service.engine, write=False) as session:
        assert session.exec(select(func.count()).select_from(Credential)).one() == 0
        assert (
            session.exec(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "credential.issue")
            ).one()
            == 0
        )
    monkeypatch.setattr(signing, "add_proof", real)
    assert len(issue_programme(service, CODE, actor="registrar").issued) == 9


def test_records_import_is_all_or_nothing_and_reports_every_bad_row(service: Service) -> None:
    seed(service)
    bad = "学号,姓名,课程代码,成绩\n20211234,王小明,PM101,95\n20211299,新同学,XX999,90\n20211298,另一人,PM101,abc\n".encode(
        "gb18030"
    )
    with pytest.raises(ServiceError) as raised:
        import_records(service, CODE, bad, "bad.csv", actor="registrar")
    assert raised.value.status == 422
    assert raised.value.errors
    learners = {e.name: e for e in preview(service, CODE).learners}
    assert "新同学" not in learners
    assert learners["王小明"].courses[0].grade == "92"  # unchanged


def test_name_conflicts_are_refused(service: Service) -> None:
    seed(service)
    conflicting = "学号,姓名,课程代码,成绩\n20211234,王晓明,PM101,95\n".encode()
    with pytest.raises(ServiceError) as raised:
        import_records(service, CODE, conflicting, "fix.csv", actor="registrar")
    assert "王晓明" in raised.value.render("en")


def test_re_import_updates_a_grade_and_audits_the_change(service: Service) -> None:
    seed(service)
    makeup = "学号,姓名,课程代码,成绩\n20211243,吴昊,PM102,75\n".encode("gb18030")
    summary = import_records(service, CODE, makeup, "makeup.csv", actor="registrar")
    assert summary.updated == 1
    assert next(e for e in preview(service, CODE).learners if e.name == "吴昊").eligible
    with transaction(service.engine, write=False) as session:
        entry = session.exec(
            select(AuditEntry)
            .where(AuditEntry.action == "records.import")
            .order_by(col(AuditEntry.seq).desc())
        ).first()
    assert entry is not None
    assert entry.details["changes"] == [{"student": "20211243", "course": "PM102", "from": "55", "to": "75"}]


def test_audit_chain_covers_everything_and_detects_tampering(service: Service) -> None:
    seed(service)
    issued = issue_programme(service, CODE, actor="registrar").issued
    change_status(service, [issued[0].certificate_number], REVOKE, reason="x", actor="registrar")
    report = audit.verify_chain(service.engine)
    assert report.intact, [p.render("en") for p in report.problems]
    with transaction(service.engine, write=False) as session:
        actions = set(session.exec(select(AuditEntry.action)))
    assert {
        "key.generate",
        "institution.set",
        "programme.create",
        "records.import",
        "credential.issue",
        "credential.revoke",
    } <= actions
    # The database refuses edits and deletions outright...
    with pytest.raises(Exception, match="append-only"), transaction(service.engine) as session:
        session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
    # ...and if someone bypasses the triggers, the chain shows it.
    dialect = service.engine.dialect.name
    with transaction(service.engine) as session:
        if dialect == "postgresql":
            session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
            session.execute(text("DELETE FROM audit_log WHERE seq = 5"))
            session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        else:
            session.execute(text("DROP TRIGGER audit_log_no_update"))
            session.execute(text("DROP TRIGGER audit_log_no_delete"))
            session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
            session.execute(text("DELETE FROM audit_log WHERE seq = 5"))
    problems = [p.render("en") for p in audit.verify_chain(service.engine).problems]
    assert any("Entry 3" in p and "altered" in p for p in problems)
    assert any("Entries 5 to 5 are missing" in p for p in problems)
