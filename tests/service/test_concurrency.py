"""Several worker processes against one PostgreSQL: no duplicate certificate number, status
index or credential, no lost revocation, an intact audit chain."""

from __future__ import annotations

import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from sqlmodel import func, select

from issuer import audit
from issuer.cohorts import import_records
from issuer.db import transaction
from issuer.demo import PROGRAMME_FILE
from issuer.identity import InstitutionInfo, ensure_signing_key, set_institution
from issuer.models import Credential, StatusList
from issuer.programme_file import parse_programme_file
from issuer.programmes import import_programmes
from verifier import verify_credential
from verifier.status import read_status

from .conftest import make_service
from .support import cohort, issue_worker, revoke_worker

CODE = "WZY-PM-2024"


@pytest.fixture
def pg_service_dir(postgres_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from issuer.db import make_engine

    from .conftest import TABLES

    engine = make_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    engine.dispose()
    service = make_service(postgres_url, tmp_path / "keys")
    set_institution(
        service, InstitutionInfo("示范科技大学", None, "4199999999", "example.edu.cn"), actor="test"
    )
    ensure_signing_key(service, actor="test")
    import_programmes(
        service, parse_programme_file(PROGRAMME_FILE.read_bytes(), PROGRAMME_FILE.name), actor="test"
    )
    import_records(service, CODE, cohort(240), "cohort.csv", actor="test")
    yield service, tmp_path / "keys"
    service.close()


def test_two_processes_issue_and_revoke_concurrently(postgres_url: str, pg_service_dir) -> None:  # type: ignore[no-untyped-def]
    service, keys_dir = pg_service_dir
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        start_at = time.time() + 5
        futures = [pool.submit(issue_worker, postgres_url, str(keys_dir), CODE, start_at) for _ in range(2)]
        results = [f.result(timeout=600) for f in futures]
    issued = results[0] + results[1]
    assert len(issued) == 240, "every learner issued exactly once between the two workers"
    assert len(set(issued)) == 240
    assert results[0], "the first worker did part of the work"
    assert results[1], "the second worker did part of the work"

    with transaction(service.engine, write=False) as session:
        credentials = list(session.exec(select(Credential)))
        assert len(credentials) == 240
        assert len({c.learner_id for c in credentials}) == 240
        assert len({(c.revocation_list_id, c.revocation_index) for c in credentials}) == 240
        assert len({(c.suspension_list_id, c.suspension_index) for c in credentials}) == 240
        assert len({c.credential_id for c in credentials}) == 240

    # Two processes revoke different certificates of the same status list at the same time:
    # every bit must end up set (no lost update of the shared list).
    numbers = sorted(issued)
    halves = [numbers[0:40:2], numbers[1:40:2]]
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        start_at = time.time() + 5
        futures = [pool.submit(revoke_worker, postgres_url, str(keys_dir), half, start_at) for half in halves]
        revoked = [f.result(timeout=600) for f in futures]
    assert sorted(revoked[0] + revoked[1]) == sorted(halves[0] + halves[1])
    with transaction(service.engine, write=False) as session:
        status_list = session.exec(select(StatusList).where(StatusList.purpose == "revocation")).one()
        by_number = {c.certificate_number: c for c in session.exec(select(Credential))}
        for number in numbers:
            expected = 1 if number in halves[0] + halves[1] else 0
            assert read_status(status_list.bits, by_number[number].revocation_index) == expected, number
        published = json.loads(status_list.document)
        sample = json.loads(by_number[halves[1][-1]].document)
        assert (
            session.exec(
                select(func.count()).select_from(Credential).where(Credential.revoked_at.is_not(None))
            ).one()
            == 40
        )  # type: ignore[union-attr]
    lists = {service.status_list_url("revocation", 1): published}
    with transaction(service.engine, write=False) as session:
        suspension = session.exec(select(StatusList).where(StatusList.purpose == "suspension")).one()
        lists[service.status_list_url("suspension", 1)] = json.loads(suspension.document)
        from issuer.identity import did_document

        did = did_document(service, session)
    assert (
        verify_credential(sample, did_documents={service.did: did}, status_lists=lists).outcome == "revoked"
    )
    report = audit.verify_chain(service.engine)
    assert report.intact, [p.render("en") for p in report.problems]
    assert report.entries >= 240 + 40
