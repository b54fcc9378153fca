"""Every issued certificate gets a signed QR summary credential, on SQLite and on PostgreSQL.

Stored beside the certificate, signed in the same step with the same key, verified by the
library as a stranger would (from the DID document and status lists the service publishes),
bound to its certificate, revoked and suspended with it, and given anew on reissue. Also: the
0002 migration, the verifier_url setting, and the QR files ``microcred demo`` writes.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import zxingcpp
from alembic import command
from PIL import Image
from pydantic import ValidationError
from sqlalchemy import inspect
from sqlmodel import col, select

from issuer import signing
from issuer.db import alembic_config, make_engine, transaction
from issuer.demo import run_demo
from issuer.errors import ServiceError
from issuer.issuance import issue_programme, reissue
from issuer.models import Credential
from issuer.revocation import REVOKE, SUSPEND, UNSUSPEND, change_status
from issuer.service import Service
from issuer.settings import Settings
from verifier import verify_credential
from verifier.qr import QRPayloadError, check_related_resource, decode_qr_text, encode_qr_text

from .conftest import PG_ADMIN
from .test_workflow import CODE, published, seed


def stored(service: Service, certificate_number: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The certificate and its summary credential, as the database holds them."""
    with transaction(service.engine, write=False) as session:
        row = session.exec(
            select(Credential).where(Credential.certificate_number == certificate_number)
        ).one()
        assert row.summary_document is not None
        return json.loads(row.document), json.loads(row.summary_document)


def qr_outcome(service: Service, certificate_number: str) -> str:
    """What a phone would be told: decode the QR text, verify what it carries."""
    _, summary = stored(service, certificate_number)
    text = encode_qr_text(summary, service.settings.verifier_url)
    return verify_credential(decode_qr_text(text), **published(service)).outcome


def test_issuing_stores_a_verifying_summary_beside_each_certificate(service: Service) -> None:
    seed(service)
    issued = issue_programme(service, CODE, actor="registrar").issued
    assert len(issued) == 9
    for certificate in issued:
        document, summary = stored(service, certificate.certificate_number)
        assert certificate.summary == summary
        assert summary["proof"]["verificationMethod"] == document["proof"]["verificationMethod"]
        assert summary["proof"]["created"] == document["proof"]["created"]
        assert summary["certificateNumber"] == certificate.certificate_number
        assert summary["credentialStatus"] == document["credentialStatus"]
        check_related_resource(summary, document)
        result = verify_credential(summary, **published(service))
        assert result.verified, result.to_json()
        text = encode_qr_text(summary, service.settings.verifier_url)
        assert text.startswith("https://cert.example.edu.cn/verify#MC1:")
        assert decode_qr_text(text) == summary


def test_revoking_or_suspending_a_certificate_does_the_same_to_its_qr_code(service: Service) -> None:
    seed(service)
    issued = issue_programme(service, CODE, actor="registrar").issued
    revoked, suspended, untouched = (c.certificate_number for c in issued[:3])
    change_status(service, [revoked], REVOKE, reason="issued in error", actor="registrar")
    change_status(service, [suspended], SUSPEND, reason="under review", actor="registrar")
    assert qr_outcome(service, revoked) == "revoked"
    assert qr_outcome(service, suspended) == "suspended"
    assert qr_outcome(service, untouched) == "valid"
    change_status(service, [suspended], UNSUSPEND, reason=None, actor="registrar")
    assert qr_outcome(service, suspended) == "valid"


def test_reissue_gives_the_replacement_its_own_summary(service: Service) -> None:
    seed(service)
    original = issue_programme(service, CODE, actor="registrar").issued[0]
    replacement = reissue(service, original.certificate_number, reason="name corrected", actor="registrar")
    document, summary = stored(service, replacement.certificate_number)
    _, old_summary = stored(service, original.certificate_number)
    assert replacement.summary == summary
    check_related_resource(summary, document)
    with pytest.raises(QRPayloadError):
        check_related_resource(old_summary, document)
    assert qr_outcome(service, replacement.certificate_number) == "valid"
    assert qr_outcome(service, original.certificate_number) == "revoked"


def test_a_summary_that_fails_its_self_check_stores_nothing(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(service)

    def refuse(summary: Any, verifier_url: str) -> str:
        raise QRPayloadError(signing.t("Issued credential failed verification"))

    monkeypatch.setattr(signing, "encode_qr_text", refuse)
    with pytest.raises(ServiceError) as raised:
        issue_programme(service, CODE, actor="registrar")
    assert raised.value.status == 500
    with transaction(service.engine, write=False) as session:
        assert session.exec(select(Credential)).all() == []


def test_the_demo_writes_each_learners_qr_text_and_png(service: Service, tmp_path: Path) -> None:
    out = tmp_path / "demo-out"
    report = run_demo(service, out)
    assert report.revoked is not None
    with transaction(service.engine, write=False) as session:
        numbers = [
            c.certificate_number
            for c in session.exec(select(Credential).where(col(Credential.superseded).is_(False)))
        ]
    assert len(numbers) == 9
    for number in numbers:
        text = (out / f"{number}.qr.txt").read_text("ascii").strip()
        assert (out / f"{number}.qr.png") in report.files
        found = zxingcpp.read_barcodes(
            Image.open(out / f"{number}.qr.png"), formats=zxingcpp.BarcodeFormat.QRCode
        )
        assert [f.text for f in found] == [text]
        outcome = verify_credential(decode_qr_text(text), **published(service)).outcome
        assert outcome == ("revoked" if number == report.revoked else "valid"), number


# --- Settings ------------------------------------------------------------------------------------


def test_verifier_url_defaults_to_the_service_verify_page(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (
        Settings(base_url="https://cert.example.edu.cn/").verifier_url == "https://cert.example.edu.cn/verify"
    )
    monkeypatch.setenv("MICROCRED_VERIFIER_URL", "https://verify.example.edu.cn/check")
    assert Settings().verifier_url == "https://verify.example.edu.cn/check"  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "url",
    [
        "verify.example.edu.cn",
        "ftp://x.example/",
        "https://x.example/v#frag",
        "https://证书.cn/v",
        "https://x.example/a b",
    ],
)
def test_verifier_url_must_be_an_http_url_without_fragment(url: str) -> None:
    with pytest.raises(ValidationError, match="verifier_url must be an absolute http"):
        Settings(verifier_url=url)


def test_production_needs_an_https_verifier_url() -> None:
    with pytest.raises(ValidationError, match="verifier_url must be https"):
        Settings(
            environment="production",
            base_url="https://cert.example.edu.cn",
            verifier_url="http://cert.example.edu.cn/verify",
            key_passphrase="a real passphrase, not a placeholder",  # noqa: S106 - test value
        )


# --- Migration 0002 ------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind, not migrated yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    name = f"microcred_test_mig_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migration_0002_adds_a_nullable_summary_column_and_back(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    config = alembic_config(fresh_database_url)

    def columns() -> dict[str, Any]:
        return {c["name"]: c for c in inspect(engine).get_columns("credentials")}

    def indexes() -> set[str]:
        return {i["name"] for i in inspect(engine).get_indexes("credentials") if i["name"]}

    try:
        command.upgrade(config, "0001")
        assert "summary_document" not in columns()
        before = indexes()
        assert "one_current_credential_per_learner" in before
        command.upgrade(config, "head")
        assert columns()["summary_document"]["nullable"] is True
        assert indexes() == before  # the table was altered, not rebuilt without its partial index
        command.downgrade(config, "0001")
        assert "summary_document" not in columns()
        assert indexes() == before
    finally:
        engine.dispose()
