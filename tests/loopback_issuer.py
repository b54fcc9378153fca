"""A did:web issuer on 127.0.0.1 for web and browser tests: DID document and status lists over HTTP.

The verifier fetches them as it would from a university's site (with ``allow_local_http``, the
only way plain HTTP is allowed, and only to loopback). Tests revoke or suspend a credential by
republishing a list, and take the site down to see "could not check".
"""

from __future__ import annotations

import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from factories import SIGNED_AT, other_key, w3c_test_key

from issuer.credential import CertificateDetails, StatusEntry, build_credential
from issuer.demo_data import DEMO_LEARNERS, demo_institution, demo_micro_major, demo_results
from issuer.fields import DEFAULT_INDUSTRY_FIELDS
from issuer.status_lists import build_status_list_credential, new_bitstring
from issuer.summary_credential import build_summary_credential
from verifier.dataintegrity import add_proof
from verifier.qr import encode_qr_text
from verifier.status import REVOCATION, SUSPENSION
from verifier.trust import TrustedIssuer, TrustList
from verifier.trust_registry import add_issuer, new_trust_list, sign_trust_list

DEMO_NAME_ZH = "示范科技大学"
DEMO_NAME_EN = "Demonstration University of Science and Technology"


class LoopbackIssuer:
    """A running issuer site: ``did``, ``credential(index)``, ``revoke(index)``, ``stop()``."""

    def __init__(self, *, max_age: int = 300) -> None:
        """``max_age``: the ``Cache-Control: max-age`` of every document (0: verifiers re-fetch)."""
        self.max_age = max_age
        self._documents: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.requests: list[str] = []
        self.down = False
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                with owner._lock:
                    body = None if owner.down else owner._documents.get(self.path)
                if body is None:
                    self.send_response(503 if owner.down else 404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", f"max-age={owner.max_age}")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.did = f"did:web:127.0.0.1%3A{self.port}"
        self.key = w3c_test_key()
        self.method = f"{self.did}#key-1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self._revoked: set[int] = set()
        self._suspended: set[int] = set()
        self._publish("/.well-known/did.json", self.did_document())
        self.publish_lists()
        self._publish("/trust-list.json", self.signed_trust_list())

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def list_url(self, purpose: str) -> str:
        return f"{self.origin}/status/{purpose}/1"

    def did_document(self) -> dict[str, Any]:
        return {
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
        }

    #: The registry that vouches for this issuer (a did:key test key, never a real one).
    registry = other_key()

    @property
    def trust_list_url(self) -> str:
        """A trust list naming this issuer, signed by :attr:`registry`, served by this site."""
        return f"{self.origin}/trust-list.json"

    def signed_trust_list(self) -> dict[str, Any]:
        document = new_trust_list(
            registry=self.registry.did_key, registry_name="Test Registry 测试登记机构", name="Test trust list"
        )
        document = add_issuer(document, self.trusted_issuer())
        return sign_trust_list(document, self.registry.signer())

    def trusted_issuer(self) -> TrustedIssuer:
        return TrustedIssuer(self.did, DEMO_NAME_ZH, DEMO_NAME_EN, "4199999999", "www.example.edu.cn")

    def trust_list(self, operator: str = "did:web:registry.example.org") -> TrustList:
        return TrustList.of(operator, [self.trusted_issuer()])

    def _publish(self, path: str, document: dict[str, Any]) -> None:
        with self._lock:
            self._documents[path] = json.dumps(document, ensure_ascii=False).encode()

    def _sign(self, document: dict[str, Any]) -> dict[str, Any]:
        return add_proof(document, self.key.signer(self.method), created=SIGNED_AT)

    def publish_lists(self) -> None:
        """Sign and publish the revocation and suspension lists as they stand."""
        for purpose, indexes in ((REVOCATION, self._revoked), (SUSPENSION, self._suspended)):
            bits = new_bitstring()
            for index in indexes:
                bits.set(index, 1)
            unsigned = build_status_list_credential(
                url=self.list_url(purpose),
                issuer=self.did,
                purpose=purpose,
                bitstring=bits,
                valid_from=SIGNED_AT,
            )
            self._publish(f"/status/{purpose}/1", self._sign(unsigned))

    def revoke(self, index: int) -> None:
        self._revoked.add(index)
        self.publish_lists()

    def suspend(self, index: int) -> None:
        self._suspended.add(index)
        self.publish_lists()

    def credential(self, index: int, *, learner: int = 0, status_base: str | None = None) -> dict[str, Any]:
        """A signed credential with status entry ``index`` in both lists (a distinct id each)."""
        person, grades = DEMO_LEARNERS[learner % len(DEMO_LEARNERS)]
        revocation = status_base + "/revocation/1" if status_base else self.list_url(REVOCATION)
        suspension = status_base + "/suspension/1" if status_base else self.list_url(SUSPENSION)
        details = CertificateDetails(
            certificate_number=f"SF-WZY-2025-{index:06d}",
            valid_from=SIGNED_AT,
            study_start=date(2024, 9, 1),
            study_end=date(2025, 6, 30),
            credential_id=f"urn:uuid:00000000-0000-4000-8000-{index:012d}",
            status=(StatusEntry(REVOCATION, index, revocation), StatusEntry(SUSPENSION, index, suspension)),
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
        return self._sign(unsigned)

    def qr_text(self, index: int, verifier_url: str, **kwargs: Any) -> str:
        """The QR text printed on certificate ``index``: ``{verifier_url}#MC1:…``."""
        summary = self._sign(build_summary_credential(self.credential(index, **kwargs)))
        return encode_qr_text(summary, verifier_url)
