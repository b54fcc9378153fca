"""Revocation as an independent verifier sees it: Digital Bazaar's Bitstring Status List library.

Issue #3's acceptance ends with "revoke one, and see it revoked by an independent verifier". Here
the registrar's whole flow runs through the service (programme file, GB18030 records export,
issue, revoke, suspend, unsuspend) on SQLite and on PostgreSQL, the app serves the DID document
and the signed status lists, and ``bench/js/harness.mjs verify --with-status`` judges the
credentials with @digitalbazaar/vc + vc-bitstring-status-list, given only the served bytes (its
document loader has no network). That library loads each list named by ``credentialStatus``,
verifies the list's own proof and issuer, and reads the bit; it reports the bit without acting
on it, so the harness says ``verified: false`` when a revocation or suspension bit is set and
keeps the library's own answer as ``libraryVerified``.
"""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from factories import ROOT
from fastapi.testclient import TestClient

from issuer.app import create_app
from issuer.identity import InstitutionInfo, ensure_signing_key, set_institution
from issuer.issuance import IssuedCredential, issue_programme
from issuer.revocation import REVOKE, SUSPEND, UNSUSPEND, change_status
from issuer.service import Service

from .conftest import make_service
from .test_workflow import CODE, seed

HARNESS = ROOT.parent / "bench" / "js" / "harness.mjs"
NODE = shutil.which("node")


def _served(service: Service, credentials: list[IssuedCredential], folder: Path) -> list[str]:
    """Fetch from the app what a verifier would: the DID document and every list the credentials
    name. Write them to ``folder`` as served (bytes unchanged) and return the harness options."""
    folder.mkdir(parents=True, exist_ok=True)
    lists = sorted(
        {
            entry["statusListCredential"]
            for credential in credentials
            for entry in _entries(credential.document)
        }
    )
    assert lists, "the credentials carry no status entries"
    did_path = "/.well-known/did.json"
    options: list[str] = []
    with TestClient(create_app(service=service)) as client:
        for option, path in [("--did-document", did_path)] + [
            ("--status-list", urlsplit(url).path) for url in lists
        ]:
            response = client.get(path)
            assert response.status_code == 200, (path, response.text)
            file = folder / (path.strip("/").replace("/", "_") or "root")
            file.write_bytes(response.content)
            options += [option, str(file)]
    return options


def _entries(document: dict[str, Any]) -> list[dict[str, Any]]:
    status = document.get("credentialStatus", [])
    return status if isinstance(status, list) else [status]


def _js_verify(credential: dict[str, Any], served: list[str], folder: Path) -> dict[str, Any]:
    """Run the reference verifier with status checks; return its JSON verdict."""
    assert NODE is not None, (
        "node is required for the interop tests (scripts/setup installs the JS reference; "
        "Node comes with the machine): install Node.js >= 18"
    )
    assert (HARNESS.parent / "node_modules" / "@digitalbazaar" / "vc-bitstring-status-list").is_dir(), (
        "the JS reference is not installed: run scripts/setup (npm ci in bench/js)"
    )
    path = folder / "credential.json"
    path.write_text(json.dumps(credential, ensure_ascii=False), "utf-8")
    completed = subprocess.run(
        [NODE, str(HARNESS), "verify", "--with-status", "--credential", str(path), *served],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode in (0, 1), completed.stderr
    verdict: dict[str, Any] = json.loads(completed.stdout)
    assert completed.returncode == (0 if verdict["verified"] else 1)
    return verdict


def _bits(verdict: dict[str, Any]) -> dict[str, bool | None]:
    """Per purpose, the bit the reference read (None: it could not read it)."""
    return {entry["purpose"]: entry["status"] for entry in verdict["status"]}


def _issued(service: Service) -> list[IssuedCredential]:
    seed(service)
    issued = issue_programme(service, CODE, actor="registrar").issued
    assert len(issued) == 9
    return issued


def test_reference_sees_revoked_suspended_valid_and_unsuspended(service: Service, tmp_path: Path) -> None:
    revoked, suspended, genuine = _issued(service)[:3]
    change_status(service, [revoked.certificate_number], REVOKE, reason="issued in error", actor="registrar")
    change_status(service, [suspended.certificate_number], SUSPEND, reason="under review", actor="registrar")
    served = _served(service, [revoked, suspended, genuine], tmp_path / "served")

    verdict = _js_verify(revoked.document, served, tmp_path)
    assert verdict["verified"] is False
    assert _bits(verdict) == {"revocation": True, "suspension": False}
    assert all(entry["verified"] for entry in verdict["status"]), verdict  # both lists' proofs hold
    assert verdict["libraryVerified"] is True  # the library reports the bit, it does not act on it
    assert "revocation bit" in verdict["error"]

    verdict = _js_verify(suspended.document, served, tmp_path)
    assert verdict["verified"] is False
    assert _bits(verdict) == {"revocation": False, "suspension": True}

    verdict = _js_verify(genuine.document, served, tmp_path)
    assert verdict["verified"] is True, verdict
    assert _bits(verdict) == {"revocation": False, "suspension": False}
    assert verdict["error"] is None

    # Unsuspending re-signs the suspension list; the reference reads the new one from the app.
    change_status(service, [suspended.certificate_number], UNSUSPEND, reason=None, actor="registrar")
    served = _served(service, [suspended], tmp_path / "served-again")
    verdict = _js_verify(suspended.document, served, tmp_path)
    assert verdict["verified"] is True, verdict
    assert _bits(verdict) == {"revocation": False, "suspension": False}


def _flip_bit(status_list: dict[str, Any], index: int) -> None:
    """Flip one bit of ``encodedList`` in place (so its byte changes), keeping the proof."""
    encoded = status_list["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")
    bits = bytearray(gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))))
    bits[index // 8] ^= 0x80 >> (index % 8)
    status_list["credentialSubject"]["encodedList"] = "u" + base64.urlsafe_b64encode(
        gzip.compress(bytes(bits))
    ).decode().rstrip("=")


def _revocation_index(credential: IssuedCredential) -> int:
    (entry,) = [e for e in _entries(credential.document) if e["statusPurpose"] == "revocation"]
    return int(entry["statusListIndex"])


@pytest.mark.parametrize("forgery", ["un-revoke the revoked", "revoke the genuine", "flip a character"])
def test_reference_rejects_a_tampered_status_list(service: Service, tmp_path: Path, forgery: str) -> None:
    revoked, genuine = _issued(service)[:2]
    change_status(service, [revoked.certificate_number], REVOKE, reason="issued in error", actor="registrar")
    served = _served(service, [revoked, genuine], tmp_path / "served")
    revocation_file = Path(served[served.index("--status-list") + 1])
    assert "revocation" in revocation_file.name
    status_list = json.loads(revocation_file.read_bytes())
    credential = revoked if forgery == "un-revoke the revoked" else genuine
    if forgery == "flip a character":
        encoded = status_list["credentialSubject"]["encodedList"]
        middle = len(encoded) // 2
        status_list["credentialSubject"]["encodedList"] = (
            encoded[:middle] + ("A" if encoded[middle] != "A" else "B") + encoded[middle + 1 :]
        )
    else:
        _flip_bit(status_list, _revocation_index(credential))
    revocation_file.write_text(json.dumps(status_list, ensure_ascii=False), "utf-8")

    verdict = _js_verify(credential.document, served, tmp_path)
    assert verdict["verified"] is False
    assert verdict["libraryVerified"] is False
    revocation = next(e for e in verdict["status"] if e["purpose"] == "revocation")
    assert revocation["verified"] is False
    assert revocation["status"] is None
    assert "BitstringStatusListCredential" in revocation["error"], revocation
    assert "not verified" in revocation["error"], revocation
    suspension = next(e for e in verdict["status"] if e["purpose"] == "suspension")
    assert suspension == {**suspension, "verified": True, "status": False}  # the untouched list still holds


@pytest.fixture
def local_service(database_url: str, tmp_path: Path) -> Iterator[Service]:
    """A service at http://127.0.0.1:8000, whose DID has a percent-encoded port."""
    svc = make_service(database_url, tmp_path / "keys", base_url="http://127.0.0.1:8000")
    set_institution(
        svc,
        InstitutionInfo("示范科技大学", "Demonstration University", "4199999999", "127.0.0.1"),
        actor="test",
    )
    ensure_signing_key(svc, actor="test")
    yield svc
    svc.close()


def test_reference_resolves_a_did_web_with_a_port(local_service: Service, tmp_path: Path) -> None:
    assert local_service.did == "did:web:127.0.0.1%3A8000"
    revoked, genuine = _issued(local_service)[:2]
    change_status(
        local_service, [revoked.certificate_number], REVOKE, reason="issued in error", actor="registrar"
    )
    served = _served(local_service, [revoked, genuine], tmp_path / "served")
    assert genuine.document["proof"]["verificationMethod"].startswith("did:web:127.0.0.1%3A8000#")

    verdict = _js_verify(genuine.document, served, tmp_path)
    assert verdict["verified"] is True, verdict
    verdict = _js_verify(revoked.document, served, tmp_path)
    assert verdict["verified"] is False
    assert _bits(verdict) == {"revocation": True, "suspension": False}


def test_reference_refuses_a_did_web_it_was_not_given(service: Service, tmp_path: Path) -> None:
    """No DID document on the command line: did:web is never fetched, so the proof cannot hold."""
    (genuine,) = _issued(service)[:1]
    served = _served(service, [genuine], tmp_path / "served")
    without_did = [
        arg
        for pair in zip(served[::2], served[1::2], strict=True)
        if pair[0] != "--did-document"
        for arg in pair
    ]
    verdict = _js_verify(genuine.document, without_did, tmp_path)
    assert verdict["verified"] is False
    assert verdict["status"] is None  # the proof failed first; the lists were never consulted
    assert "did:web" in verdict["error"]
    assert "never fetched" in verdict["error"]
