"""The public verifier mounted in the issuer's app sees the service's own documents at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from issuer.app import create_app
from issuer.db import transaction
from issuer.identity import InstitutionInfo, ensure_signing_key, set_institution
from issuer.issuance import IssuedCredential, issue_programme
from issuer.lookup import find_credential
from issuer.revocation import REVOKE, SUSPEND, UNSUSPEND, change_status
from issuer.service import Service
from verifier.qr import encode_qr_text

from .conftest import make_service
from .test_workflow import CODE, seed


@pytest.fixture(params=["http://127.0.0.1:8000", "https://cert.example.edu.cn"])
def local_service(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[Service]:
    service = make_service(database_url, tmp_path / "keys", base_url=request.param)
    set_institution(
        service, InstitutionInfo("示范科技大学", None, "4199999999", "example.edu.cn"), actor="test"
    )
    ensure_signing_key(service, actor="test")
    seed(service)
    yield service
    service.close()


def outcome(client: TestClient, body: dict[str, object]) -> str:
    response = client.post("/api/verify", json=body)
    assert response.status_code == 200, response.text
    result: str = response.json()["outcome"]
    return result


def summary_qr(service: Service, credential: IssuedCredential) -> str:
    with transaction(service.engine, write=False) as session:
        row = find_credential(session, credential.certificate_number)
        assert row.summary_document is not None
        return encode_qr_text(json.loads(row.summary_document), service.settings.verifier_url)


def test_revocation_shows_at_once_on_the_issuers_own_verify_page(local_service: Service) -> None:
    service = local_service
    issued = issue_programme(service, CODE, actor="registrar").issued
    first, second = issued[0], issued[1]
    with TestClient(create_app(service=service)) as client:
        assert outcome(client, {"credential": first.document}) == "valid"
        assert outcome(client, {"qr": summary_qr(service, first)}) == "valid"
        change_status(
            service, [first.certificate_number], REVOKE, reason="issued in error", actor="registrar"
        )
        change_status(service, [second.certificate_number], SUSPEND, reason="under review", actor="registrar")
        assert outcome(client, {"credential": first.document}) == "revoked"
        assert outcome(client, {"qr": summary_qr(service, first)}) == "revoked"
        assert outcome(client, {"credential": second.document}) == "suspended"
        change_status(service, [second.certificate_number], UNSUSPEND, reason="settled", actor="registrar")
        assert outcome(client, {"credential": second.document}) == "valid"
        page = client.get("/verify")
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert client.get("/", follow_redirects=False).headers["location"] == "/verify"
