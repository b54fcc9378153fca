"""POST /api/verify and POST /credentials/verify: every outcome, every refusal, hostile input."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from factories import golden_signed
from fastapi.testclient import TestClient
from loopback_issuer import LoopbackIssuer

from verifier.configured import ConfiguredVerifier, VerifierSettings
from verifier.fetch import HttpFetcher
from verifier.web import create_verifier_app
from verifier.web_config import VerifierConfig
from verifier.web_input import PROBLEM_BASE

VC = "https://www.w3.org/TR/vc-data-model#"
BSL = "https://www.w3.org/ns/credentials/status-list#"
PROBLEM_JSON = "application/problem+json"


def _verify(client: TestClient, body: Any, **headers: str) -> dict[str, Any]:
    response = client.post("/api/verify", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    answer: dict[str, Any] = response.json()
    return answer


def _check(answer: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(c for c in answer["checks"] if c["id"] == check_id)


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    assert "Traceback" not in response.text
    return problem


# --- Outcomes -------------------------------------------------------------------------------


def test_valid_credential_from_a_trusted_did_web_issuer(
    client: TestClient, issuer_site: LoopbackIssuer
) -> None:
    answer = _verify(client, issuer_site.credential(1))
    assert answer["verified"] is True
    assert answer["trusted"] is True
    assert answer["outcome"] == "valid"
    assert answer["source"] == "json"
    assert [c["status"] for c in answer["checks"]] == ["passed"] * 8
    view = answer["view"]
    assert view["headline"] == "Valid"
    assert view["headlineOther"] == "有效"
    assert view["issuer"]["name"] == "Demonstration University of Science and Technology"
    assert view["issuer"]["otherName"] == "示范科技大学"
    assert view["issuer"]["trusted"] is True
    assert view["learner"]["name"] == "Wang Xiaoming"
    assert view["microMajor"]["code"] == "WZY-PM-2024"
    assert len(view["courses"]) == 8
    assert view["totals"]["credits"] == "12"
    assert view["certificateNumber"] == "SF-WZY-2025-000001"
    assert view["statusList"]["lists"] == [
        issuer_site.list_url("revocation"),
        issuer_site.list_url("suspension"),
    ]


def test_the_wrapped_form_and_chinese(client: TestClient, issuer_site: LoopbackIssuer) -> None:
    answer = _verify(
        client, {"credential": issuer_site.credential(2)}, **{"Accept-Language": "zh-CN,zh;q=0.9"}
    )
    assert answer["outcome"] == "valid"
    assert answer["view"]["headline"] == "有效"
    assert answer["view"]["issuer"]["name"] == "示范科技大学"
    assert _check(answer, "proof")["message"].startswith("签名有效")


def test_revoked(client: TestClient, issuer_site: LoopbackIssuer) -> None:
    issuer_site.revoke(3)
    answer = _verify(client, issuer_site.credential(3))
    assert (answer["verified"], answer["outcome"]) == (False, "revoked")
    assert _check(answer, "status")["problem"]["type"] == BSL + "STATUS_VERIFICATION_ERROR"
    assert answer["view"]["headline"] == "Revoked"


def test_suspended(client: TestClient, issuer_site: LoopbackIssuer) -> None:
    issuer_site.suspend(4)
    answer = _verify(client, issuer_site.credential(4))
    assert (answer["verified"], answer["outcome"]) == (False, "suspended")
    assert answer["view"]["headline"] == "Suspended"


def test_tampered(client: TestClient, issuer_site: LoopbackIssuer) -> None:
    credential = issuer_site.credential(5)
    credential["credentialSubject"]["name"] = "李四"
    answer = _verify(client, credential)
    assert (answer["verified"], answer["outcome"]) == (False, "invalid")
    assert _check(answer, "proof")["status"] == "failed"
    assert _check(answer, "proof")["problem"]["type"] == VC + "CRYPTOGRAPHIC_SECURITY_ERROR"
    assert answer["view"]["headline"] == "Invalid"


def test_unknown_issuer_is_a_warning_not_a_failure(client: TestClient) -> None:
    answer = _verify(client, golden_signed(status=False))  # did:key issuer, on no list
    assert answer["verified"] is True
    assert answer["trusted"] is False
    assert _check(answer, "trust")["status"] == "failed"
    issuer = answer["view"]["issuer"]
    assert issuer["trusted"] is False
    assert issuer["trustListConfigured"] is True
    assert issuer["name"] == issuer["claimedName"]


def test_no_trust_list_configured(
    make_client: Callable[..., TestClient], issuer_site: LoopbackIssuer
) -> None:
    answer = _verify(make_client(trusted=False), issuer_site.credential(6))
    assert answer["verified"] is True
    assert _check(answer, "trust")["status"] == "skipped"
    assert answer["view"]["issuer"]["trustListConfigured"] is False


def test_status_list_unreachable_is_could_not_check(client: TestClient, issuer_site: LoopbackIssuer) -> None:
    gone = LoopbackIssuer()
    gone.stop()
    credential = issuer_site.credential(8, status_base=f"{gone.origin}/status")
    answer = _verify(client, credential)
    assert (answer["verified"], answer["outcome"]) == (False, "unknown")
    assert _check(answer, "status")["status"] == "unknown"
    assert _check(answer, "status")["problem"]["type"] == BSL + "STATUS_RETRIEVAL_ERROR"
    assert answer["view"]["headline"] == "Could not check"


def test_without_a_fetcher_nothing_is_fetched(
    make_client: Callable[..., TestClient], issuer_site: LoopbackIssuer
) -> None:
    before = len(issuer_site.requests)
    answer = _verify(make_client(network=False), issuer_site.credential(9))
    assert answer["outcome"] == "unknown"
    assert len(issuer_site.requests) == before


def test_file_upload_of_credential_json(client: TestClient, issuer_site: LoopbackIssuer) -> None:
    data = json.dumps(issuer_site.credential(10)).encode()
    response = client.post("/api/verify", files={"file": ("cert.json", data, "application/json")})
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "valid"
    assert response.json()["source"] == "json"


# --- Refusals (problem+json) ----------------------------------------------------------------


def test_empty_body(client: TestClient) -> None:
    problem = _problem(
        client.post("/api/verify", content=b"", headers={"Content-Type": "application/json"}), 400
    )
    assert problem["type"] == PROBLEM_BASE + "invalid-input"
    assert problem["instance"] == "/api/verify"


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"a": 1, "a": 2}', b"[1, 2]", b'"text"', b'{"qr": 5}', b"\xff\xfe"],
)
def test_bad_json_bodies(client: TestClient, body: bytes) -> None:
    _problem(client.post("/api/verify", content=body, headers={"Content-Type": "application/json"}), 400)


def test_problems_are_in_the_callers_language(client: TestClient) -> None:
    response = client.post(
        "/api/verify", content=b"{", headers={"Content-Type": "application/json", "Accept-Language": "zh"}
    )
    assert _problem(response, 400)["title"] == "不是有效的 JSON"


def test_a_presentation_is_refused_with_a_reason(client: TestClient) -> None:
    body = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"]}
    assert "presentation" in _problem(client.post("/api/verify", json=body), 422)["detail"]


def test_unsupported_media_type(client: TestClient) -> None:
    response = client.post("/api/verify", content=b"<x/>", headers={"Content-Type": "application/xml"})
    _problem(response, 415)


def test_upload_cap(make_client: Callable[..., TestClient]) -> None:
    small = make_client(max_upload_bytes=1000)
    _problem(
        small.post(
            "/api/verify", content=b"{" + b" " * 2000 + b"}", headers={"Content-Type": "application/json"}
        ),
        413,
    )
    _problem(
        small.post("/api/verify", files={"file": ("big.pdf", b"%PDF-" + b"0" * 2000, "application/pdf")}), 413
    )


def test_upload_cap_without_content_length(make_client: Callable[..., TestClient]) -> None:
    small = make_client(max_upload_bytes=1000)

    def chunks() -> Any:
        for _ in range(10):
            yield b" " * 500

    response = small.post("/api/verify", content=chunks(), headers={"Content-Type": "application/json"})
    _problem(response, 413)


def test_upload_of_something_that_is_no_credential(client: TestClient) -> None:
    response = client.post(
        "/api/verify", files={"file": ("x.bin", b"\x00\x01\x02binary", "application/octet-stream")}
    )
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith(PROBLEM_JSON)


# --- Hostile documents: refused quickly, never fetched --------------------------------------


def _timed(client: TestClient, body: bytes) -> tuple[Any, float]:
    started = time.perf_counter()
    response = client.post("/api/verify", content=body, headers={"Content-Type": "application/json"})
    return response, time.perf_counter() - started


def test_deep_nesting_is_refused_quickly(client: TestClient) -> None:
    response, elapsed = _timed(client, b"[" * 100_000 + b"]" * 100_000)
    assert _problem(response, 400)["title"] == "Nested too deeply" or "deep" in response.json()["detail"]
    assert elapsed < 5


def test_huge_array_is_refused_quickly(client: TestClient) -> None:
    body = json.dumps(
        {"@context": ["https://www.w3.org/ns/credentials/v2"], "x": list(range(100_000))}
    ).encode()
    response, elapsed = _timed(client, body)
    _problem(response, 400)
    assert elapsed < 5


def test_blank_node_clique_is_refused_quickly(client: TestClient) -> None:
    nodes: list[dict[str, Any]] = [{"id": f"_:n{i}"} for i in range(8)]
    for node in nodes:
        node["knows"] = [{"id": other["id"]} for other in nodes if other is not node]
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "credentialSubject": {"id": "did:example:s", "graph": nodes},
        "proof": {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "verificationMethod": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
            "proofPurpose": "assertionMethod",
            "proofValue": "z" + "1" * 80,
        },
    }
    response, elapsed = _timed(client, json.dumps(document).encode())
    assert response.status_code == 200
    assert response.json()["outcome"] == "invalid"
    assert elapsed < 5


def test_remote_context_is_refused_without_fetching(client: TestClient, issuer_site: LoopbackIssuer) -> None:
    credential = issuer_site.credential(11)
    credential["@context"].append(f"{issuer_site.origin}/context.jsonld")
    before = list(issuer_site.requests)
    response, elapsed = _timed(client, json.dumps(credential).encode())
    answer = response.json()
    assert answer["outcome"] == "invalid"
    assert _check(answer, "context")["status"] == "failed"
    assert "/context.jsonld" not in issuer_site.requests[len(before) :]
    assert elapsed < 5


# --- VC-API ---------------------------------------------------------------------------------


def test_vcapi_verified(client: TestClient, issuer_site: LoopbackIssuer) -> None:
    response = client.post(
        "/credentials/verify", json={"verifiableCredential": issuer_site.credential(12), "options": {}}
    )
    assert response.status_code == 200
    assert response.json() == {
        "verified": True,
        "checks": ["format", "context", "schema", "proof", "issuer", "validity", "status", "trust"],
        "warnings": [],
        "errors": [],
    }


def test_vcapi_revoked_is_400_with_the_reason(client: TestClient, issuer_site: LoopbackIssuer) -> None:
    issuer_site.revoke(13)
    response = client.post("/credentials/verify", json={"verifiableCredential": issuer_site.credential(13)})
    assert response.status_code == 400
    body = response.json()
    assert body["verified"] is False
    assert [e["type"] for e in body["errors"]] == [BSL + "STATUS_VERIFICATION_ERROR"]


def test_vcapi_tampered(client: TestClient, issuer_site: LoopbackIssuer) -> None:
    credential = issuer_site.credential(14)
    credential["validFrom"] = "2020-01-01T00:00:00Z"
    body = client.post("/credentials/verify", json={"verifiableCredential": credential}).json()
    assert body["verified"] is False
    assert VC + "CRYPTOGRAPHIC_SECURITY_ERROR" in [e["type"] for e in body["errors"]]


def test_vcapi_unknown_issuer_is_a_warning(client: TestClient) -> None:
    response = client.post("/credentials/verify", json={"verifiableCredential": golden_signed(status=False)})
    assert response.status_code == 200
    body = response.json()
    assert body["verified"] is True
    assert body["errors"] == []
    assert [w["title"] for w in body["warnings"]] == ["Unknown issuer"]


def test_vcapi_options(client: TestClient, issuer_site: LoopbackIssuer) -> None:
    credential = issuer_site.credential(15)
    options = {"returnResults": True, "returnProblemDetails": True, "returnCredential": True}
    body = client.post(
        "/credentials/verify", json={"verifiableCredential": credential, "options": options}
    ).json()
    assert body["credential"] == credential
    assert body["problemDetails"] == []
    assert body["results"]["proof"] == [{"verified": True, "input": credential["proof"]}]
    assert [s["value"] for s in body["results"]["credentialStatus"]] == [0, 0]
    assert body["results"]["validFrom"] == {"verified": True, "input": credential["validFrom"]}


def test_vcapi_unknown_option(client: TestClient, issuer_site: LoopbackIssuer) -> None:
    response = client.post(
        "/credentials/verify",
        json={"verifiableCredential": issuer_site.credential(16), "options": {"foo": 1}},
    )
    assert _problem(response, 400)["type"] == "https://www.w3.org/TR/vcalm#UNKNOWN_OPTION_PROVIDED"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"credential": {}},
        {"verifiableCredential": "eyJhbGciOi..."},
        {"verifiableCredential": {}, "options": []},
    ],
)
def test_vcapi_bad_requests(client: TestClient, body: Any) -> None:
    _problem(client.post("/credentials/verify", json=body), 400)


def test_a_stale_status_list_is_used_and_said_so() -> None:
    """The issuer's site goes down: the cached list is used, its age shown, and VC-API warns."""
    site = LoopbackIssuer(max_age=0)
    fetcher = HttpFetcher(allow_loopback_http=True)
    try:
        verifier = ConfiguredVerifier(VerifierSettings(allow_local_http=True), fetch=fetcher)
        client = TestClient(create_verifier_app(VerifierConfig(verifier=verifier, language="en")))
        credential = site.credential(1)
        assert _verify(client, credential)["view"]["statusList"]["stale"] is False
        site.down = True
        answer = _verify(client, credential)
        assert answer["outcome"] == "valid"
        assert answer["view"]["statusList"]["stale"] is True
        assert answer["view"]["statusList"]["fetchedAt"].endswith("UTC")
        body = client.post("/credentials/verify", json={"verifiableCredential": credential}).json()
        assert body["verified"] is True
        assert "Status list from a stale cache" in [w["title"] for w in body["warnings"]]
        page = client.post("/verify/fragment?lang=en", data={"text": json.dumps(credential)}).text
        assert "could not be refreshed" in page
    finally:
        fetcher.close()
        site.stop()


@pytest.mark.parametrize("credits", ["NaN", "Infinity", "-inf", "1e999", 10**400])
def test_a_number_no_summary_can_show_is_an_answer_not_a_500(
    make_client: Callable[..., TestClient], credits: Any
) -> None:
    """Credits of "NaN" or "1e999" (or an integer too large for a float) once reached the JSON
    answer as a non-finite float, which the JSON encoder refuses: a 500 with no signature needed."""
    client = make_client(network=False)
    document = golden_signed()
    document["credentialSubject"]["achievement"]["creditsAvailable"] = credits
    response = client.post(
        "/api/verify", content=json.dumps(document), headers={"content-type": "application/json"}
    )
    assert response.status_code in (200, 400), response.text
    assert "Traceback" not in response.text
    if response.status_code == 200:
        assert response.json()["verified"] is False  # the signature no longer matches
