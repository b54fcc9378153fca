"""Offline bundles: snapshot online, then verify with the network switched off.

A did:web university on 127.0.0.1 publishes its DID document and a revocation list; a registry
vouches for it in a trust list file. The bundle is built from a real online verification, then
the site is stopped, the trust list file deleted and ``socket.socket`` made to raise: the
bundle alone must give the same answer, and say how old its status information is.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import NOW, SIGNED_AT, other_key, w3c_test_key
from http_site import Site

from issuer.credential import CertificateDetails, StatusEntry, build_credential
from issuer.demo_data import DEMO_LEARNERS, demo_institution, demo_micro_major, demo_results
from issuer.fields import DEFAULT_INDUSTRY_FIELDS
from issuer.status_lists import build_status_list_credential, new_bitstring
from verifier.bundle import Bundle, BundleError, build_bundle
from verifier.configured import ConfiguredVerifier, VerifierSettings
from verifier.dataintegrity import add_proof
from verifier.datetimes import utc_now
from verifier.result import VerificationResult
from verifier.status import REVOCATION
from verifier.trust import TrustedIssuer
from verifier.trust_registry import add_issuer, new_trust_list, sign_trust_list

MICROCRED = str(Path(sys.executable).parent / "microcred")


class University:
    """A did:web issuer served by a :class:`Site`: DID document, one revocation list, credentials."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.did = f"did:web:127.0.0.1%3A{site.port}"
        self.method = f"{self.did}#key-1"
        self.key = w3c_test_key()
        self.list_url = site.url("/status/revocation/1")
        site.put(
            "/.well-known/did.json",
            {
                "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
                "id": self.did,
                "verificationMethod": [
                    {
                        "id": self.method,
                        "type": "Multikey",
                        "controller": self.did,
                        "publicKeyMultibase": self.key.public_key.multibase,
                    }
                ],
                "assertionMethod": [self.method],
            },
            Cache_Control="max-age=300",
        )
        self.publish(revoked=())

    def sign(self, document: dict[str, Any]) -> dict[str, Any]:
        return add_proof(document, self.key.signer(self.method), created=SIGNED_AT)

    def publish(self, revoked: tuple[int, ...]) -> None:
        bits = new_bitstring()
        for index in revoked:
            bits.set(index, 1)
        unsigned = build_status_list_credential(
            url=self.list_url, issuer=self.did, purpose=REVOCATION, bitstring=bits, valid_from=SIGNED_AT
        )
        self.site.put("/status/revocation/1", self.sign(unsigned), Cache_Control="max-age=300", ETag='"1"')

    def credential(self, index: int) -> dict[str, Any]:
        person, grades = DEMO_LEARNERS[0]
        details = CertificateDetails(
            certificate_number=f"SF-WZY-2025-{index:06d}",
            valid_from=SIGNED_AT,
            study_start=date(2024, 9, 1),
            study_end=date(2025, 6, 30),
            credential_id=f"urn:uuid:00000000-0000-4000-8000-{index:012d}",
            status=(StatusEntry(REVOCATION, index, self.list_url),),
        )
        unsigned = build_credential(
            demo_institution(self.did),
            demo_micro_major(),
            person,
            demo_results(grades),
            details,
            industry_fields=DEFAULT_INDUSTRY_FIELDS,
            salt=f"{index:032x}",
        )
        return self.sign(unsigned)

    def trust_list(self, path: Path, signed_at: datetime = NOW - timedelta(days=1)) -> str:
        """Write a registry's signed list naming this university to ``path``; return the registry."""
        registry = other_key()
        document = add_issuer(
            new_trust_list(registry=registry.did_key, registry_name="示范认证中心"),
            TrustedIssuer(self.did, "示范科技大学", "Demonstration University", "4111099999", "demo.edu.cn"),
        )
        path.write_text(json.dumps(sign_trust_list(document, registry.signer(), now=signed_at)), "utf-8")
        return registry.did_key


@pytest.fixture
def site() -> Iterator[Site]:
    running = Site()
    yield running
    running.stop()


def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _status(result: Any) -> Any:
    assert isinstance(result, VerificationResult)
    status = result.check("status")
    assert status is not None
    return status


def test_bundle_round_trip_with_the_network_disabled(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    university = University(site)
    valid, revoked = university.credential(11), university.credential(12)
    university.publish(revoked=(12,))
    trust_file = tmp_path / "trust-list.json"
    registry = university.trust_list(trust_file)
    online = VerifierSettings(
        cache_dir=tmp_path / "cache",
        trust_lists=(str(trust_file),),
        registries=(registry,),
        allow_local_http=True,
    )
    with ConfiguredVerifier(online, clock=lambda: NOW, record_requests=True) as verifier:
        first = verifier.verify(valid, now=NOW)
        second = verifier.verify(revoked, now=NOW)
        assert isinstance(first, VerificationResult)
        assert (first.outcome, first.trusted, second.outcome) == ("valid", True, "revoked")
        bundle = build_bundle(
            verifier.cache,
            urls=verifier.requested,
            trust_lists=verifier.trust.locations,
            registries=sorted(verifier.trust.registries),
            now=NOW,
        )
    assert {e.url for e in bundle.entries} == {
        site.url("/.well-known/did.json"),
        university.list_url,
        str(trust_file),
    }
    path = tmp_path / "bundle.json.gz"
    bundle.write(path)
    assert path.read_bytes()[:2] == b"\x1f\x8b"

    site.stop()
    trust_file.unlink()
    _no_network(monkeypatch)
    later = NOW + timedelta(hours=3)
    with ConfiguredVerifier(VerifierSettings(bundle=path), clock=lambda: later) as offline:
        assert offline.offline
        result = offline.verify(valid, now=later)
        assert isinstance(result, VerificationResult)
        assert result.verified
        assert result.trusted
        status = _status(result)
        english = status.message_in("en")
        assert "as fetched 3 h ago (2025-09-01 00:00 UTC)" in english
        assert "from the offline bundle made 2025-09-01 00:00 UTC" in english
        assert "离线数据包" in status.message_in("zh")
        assert status.details["entries"][0]["retrievedAt"] == NOW.isoformat()
        assert _status(offline.verify(revoked, now=later)).details["revoked"] is True
        tampered = offline.verify({**valid, "id": "urn:uuid:00000000-0000-4000-8000-999999999999"}, now=later)
        assert isinstance(tampered, VerificationResult)
        assert tampered.outcome == "invalid"  # the signature no longer matches


def test_a_credential_the_bundle_does_not_cover_could_not_be_checked(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    university = University(site)
    bundle = Bundle(NOW, ())
    path = tmp_path / "empty.json"
    bundle.write(path)
    _no_network(monkeypatch)
    with ConfiguredVerifier(VerifierSettings(bundle=path)) as offline:
        result = offline.verify(university.credential(1), now=NOW)
    assert isinstance(result, VerificationResult)
    assert result.outcome == "unknown"
    proof = result.check("proof")
    assert proof is not None
    assert "not in the offline cache" in proof.message_in("en")


def test_everything_cached_is_bundled_when_no_credential_is_named(site: Site, tmp_path: Path) -> None:
    university = University(site)
    settings = VerifierSettings(cache_dir=tmp_path / "cache", allow_local_http=True)
    with ConfiguredVerifier(settings, clock=lambda: NOW) as verifier:
        verifier.verify(university.credential(3), now=NOW)
    # A new process would see the same disk cache: build from a fresh verifier over it.
    with ConfiguredVerifier(settings, clock=lambda: NOW) as verifier:
        bundle = build_bundle(verifier.cache, now=NOW)
    assert {e.url for e in bundle.entries} == {site.url("/.well-known/did.json"), university.list_url}
    again = Bundle.from_json(json.loads(json.dumps(bundle.to_json())))
    assert (again.created_at, len(again.entries)) == (bundle.created_at, len(bundle.entries))
    for before, after in zip(bundle.entries, again.entries, strict=True):
        assert json.loads(after.body) == json.loads(before.body)  # stored as JSON, not as bytes
        assert (after.url, after.fetched_at, after.freshness, after.etag) == (
            before.url,
            before.fetched_at,
            before.freshness,
            before.etag,
        )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"type": "Something"}', "not a microcred verifier bundle"),
        (b'{"type": "MicrocredVerifierBundle", "version": 9}', "has version 9"),
        (b'{"type": "MicrocredVerifierBundle", "version": 1, "createdAt": "yesterday"}', "malformed"),
        (b"{", "not valid JSON"),
        (b"\x1f\x8b\x08\x00garbage", "damaged gzip"),
    ],
)
def test_a_bad_bundle_is_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bundle.json"
    path.write_bytes(content)
    with pytest.raises(BundleError, match=message):
        Bundle.read(path)
    with pytest.raises(BundleError, match="could not be read"):
        Bundle.read(tmp_path / "missing.json")


def _run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "LANG": "C.UTF-8",
        "MICROCRED_LANG": "en",
        "MICROCRED_CACHE_DIR": str(cwd / "cache"),
        "MICROCRED_TRUST_LISTS": "",
        "MICROCRED_TRUST_REGISTRIES": "",
        "MICROCRED_ALLOW_LOCAL_HTTP": "",
        **env,
    }
    return subprocess.run(
        [MICROCRED, *args], capture_output=True, text=True, cwd=cwd, env=full_env, check=False, timeout=120
    )


def test_bundle_and_offline_verify_from_the_command_line(site: Site, tmp_path: Path) -> None:
    university = University(site)
    (tmp_path / "cert.json").write_text(json.dumps(university.credential(5)), "utf-8")
    registry = university.trust_list(tmp_path / "trust-list.json", signed_at=utc_now())
    built = _run(
        "verifier", "bundle", "-o", "bundle.json.gz", "--credential", "cert.json",
        "--trust-list", "trust-list.json", "--registry", registry,
        cwd=tmp_path, MICROCRED_ALLOW_LOCAL_HTTP="1",
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert "cert.json: valid" in built.stdout
    assert "3 documents and 1 trust lists" in built.stdout
    data = json.loads(gzip.decompress((tmp_path / "bundle.json.gz").read_bytes()))
    assert data["registries"] == [registry]
    site.stop()
    (tmp_path / "trust-list.json").unlink()
    verified = _run("verify", "--offline", "--bundle", "bundle.json.gz", "cert.json", "--json", cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    output = json.loads(verified.stdout)
    assert (output["verified"], output["trusted"], output["outcome"]) == (True, True, "valid")
    status = next(c for c in output["checks"] if c["id"] == "status")
    assert "from the offline bundle made" in status["message"]
    human = _run("verify", "--bundle", "bundle.json.gz", "cert.json", cwd=tmp_path, MICROCRED_LANG="zh")
    assert "有效" in human.stdout
    assert "离线数据包" in human.stdout
    broken = _run("verify", "--bundle", "missing.json", "cert.json", cwd=tmp_path)
    assert broken.returncode == 2
    assert "could not be read" in broken.stderr
