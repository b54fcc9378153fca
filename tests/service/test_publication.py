"""Static export: the folder ``microcred status export`` writes is all a verifier needs."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from issuer import publication
from issuer.app import create_app
from issuer.db import transaction
from issuer.issuance import issue_programme
from issuer.revocation import REVOKE, change_status
from issuer.service import Service
from verifier import verify_credential

from .conftest import make_service
from .test_workflow import CODE, seed


def exported_documents(service: Service, out: Path) -> list[publication.Published]:
    with transaction(service.engine, write=False) as session:
        documents = publication.everything(service, session)
    publication.export(documents, out)
    return documents


def test_exported_files_are_the_served_bytes_and_verify_offline(service: Service, tmp_path: Path) -> None:
    seed(service)
    issued = issue_programme(service, CODE, actor="registrar").issued
    change_status(
        service, [issued[0].certificate_number], REVOKE, reason="issued in error", actor="registrar"
    )
    out = tmp_path / "site"
    documents = exported_documents(service, out)

    paths = [d.path for d in documents]
    assert paths[0] == "/.well-known/did.json"
    assert "/status/revocation/1" in paths
    assert "/status/suspension/1" in paths
    with TestClient(create_app(service=service)) as client:
        for document in documents:
            served = client.get(document.path)
            assert served.status_code == 200
            assert served.content == (out / document.path.lstrip("/")).read_bytes() == document.body
            assert served.headers["content-type"].startswith(document.media_type)

    # A verifier with nothing but the exported folder: the DID document and the status lists.
    did_documents = {service.did: json.loads((out / ".well-known/did.json").read_bytes())}
    status_lists = {}
    for document in documents:
        if document.path.startswith("/status/"):
            url = service.url(document.path)
            status_lists[url] = json.loads((out / urlsplit(url).path.lstrip("/")).read_bytes())
    revoked = verify_credential(issued[0].document, did_documents=did_documents, status_lists=status_lists)
    assert revoked.outcome == "revoked"
    genuine = verify_credential(issued[1].document, did_documents=did_documents, status_lists=status_lists)
    assert genuine.verified, genuine.to_json("en")


def test_export_again_replaces_files_after_a_revocation(service: Service, tmp_path: Path) -> None:
    seed(service)
    issued = issue_programme(service, CODE, actor="registrar").issued
    out = tmp_path / "site"
    exported_documents(service, out)
    before = (out / "status/revocation/1").read_bytes()
    change_status(
        service, [issued[2].certificate_number], REVOKE, reason="issued in error", actor="registrar"
    )
    exported_documents(service, out)
    assert (out / "status/revocation/1").read_bytes() != before
    assert not list(out.rglob(".tmp-*")), "no temporary files are left behind"


def test_export_refuses_to_write_outside_the_folder(tmp_path: Path) -> None:
    hostile = [publication.Published("/../escaped", "text/plain", b"x")]
    with pytest.raises(ValueError, match="outside"):
        publication.export(hostile, tmp_path / "site")
    assert not (tmp_path / "escaped").exists()


def test_a_base_url_with_a_path_exports_the_path_form(tmp_path: Path, database_url: str) -> None:
    service = make_service(database_url, tmp_path / "keys", base_url="https://cert.example.edu.cn/wzy")
    try:
        documents = exported_documents(service, tmp_path / "site")
    finally:
        service.close()
    assert documents[0].path == "/did.json"
    assert service.did == "did:web:cert.example.edu.cn:wzy"
    assert (tmp_path / "site/did.json").is_file()
