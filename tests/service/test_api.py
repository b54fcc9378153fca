"""The HTTP API: authentication, permissions, the error shape, and the registrar's workflow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer import accounts
from issuer.app import create_app
from issuer.db import transaction
from issuer.demo import PROGRAMME_FILE, cohort_csv
from issuer.models import College
from issuer.service import Service
from verifier import verify_credential

CODE = "WZY-PM-2024"
PASSWORD = "correct horse battery staple"  # noqa: S105 - test material


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(service=service), raise_server_exceptions=False) as test_client:
        yield test_client


def token(
    service: Service, role: str, *, college: str | None = None, scopes: list[str] | None = None
) -> dict[str, str]:
    name = f"{role}-{college or 'all'}-{len(scopes or [])}"
    accounts.create_user(service, name, password=PASSWORD, role=role, college_code=college, actor="test")
    secret = accounts.create_token(service, name, name="test", scopes=scopes, actor="test")
    return {"Authorization": f"Bearer {secret}"}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


def seed(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post(
        "/api/programmes", headers=headers, files={"file": (PROGRAMME_FILE.name, PROGRAMME_FILE.read_bytes())}
    )
    assert response.status_code == 201, response.text
    response = client.post(
        f"/api/programmes/{CODE}/records",
        headers=headers,
        files={"file": ("成绩.csv", cohort_csv(), "text/csv")},
    )
    assert response.status_code == 200, response.text
    assert response.json()["learners"] == 12


def test_public_did_document_and_status_lists_need_no_account_and_cache(
    client: TestClient, service: Service
) -> None:
    registrar = token(service, "registrar")
    seed(client, registrar)
    client.post(f"/api/programmes/{CODE}/issue", headers=registrar)
    did = client.get("/.well-known/did.json")
    assert did.status_code == 200
    assert did.headers["content-type"].startswith("application/did+json")
    assert did.json()["id"] == service.did
    status = client.get("/status/revocation/1")
    assert status.status_code == 200
    assert "max-age=" in status.headers["cache-control"]
    etag = status.headers["etag"]
    assert client.get("/status/revocation/1", headers={"If-None-Match": etag}).status_code == 304
    # A revocation changes the list, so its ETag changes.
    number = client.get("/api/credentials", headers=registrar).json()[0]["certificateNumber"]
    assert (
        client.post(
            f"/api/credentials/{number}/revoke", headers=registrar, json={"reason": "issued in error"}
        ).status_code
        == 200
    )
    changed = client.get("/status/revocation/1", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert_problem(client.get("/status/revocation/99"), 404)


def test_state_changes_need_a_token(client: TestClient) -> None:
    for method, path in (
        ("post", "/api/programmes"),
        ("post", f"/api/programmes/{CODE}/issue"),
        ("post", "/api/credentials/X/revoke"),
    ):
        body = assert_problem(getattr(client, method)(path, json={}), 401)
        assert body["type"].endswith("#unauthorized")
    assert_problem(client.get("/api/credentials", headers={"Authorization": "Bearer mc_nope_nope"}), 401)
    assert_problem(client.get("/api/credentials", headers={"Authorization": "Basic abc"}), 401)


def test_roles_and_scopes_are_enforced(client: TestClient, service: Service) -> None:
    auditor = token(service, "auditor")
    body = assert_problem(client.post(f"/api/programmes/{CODE}/issue", headers=auditor), 403)
    assert "issue" in body["detail"]
    read_only = token(service, "registrar", scopes=["read"])
    assert_problem(client.post("/api/keys/rotate", headers=read_only), 403)
    assert client.get("/api/audit", headers=auditor).status_code == 200
    with pytest.raises(Exception, match="scopes"):
        accounts.create_token(service, "auditor-all-0", name="x", scopes=["issue"], actor="test")


def test_registrar_workflow_over_http(client: TestClient, service: Service) -> None:
    registrar = token(service, "registrar")
    seed(client, registrar)
    preview = client.get(f"/api/programmes/{CODE}/eligibility", headers=registrar).json()
    assert sum(1 for learner in preview["learners"] if learner["eligible"]) == 9
    dry = client.post(f"/api/programmes/{CODE}/issue?dry_run=true", headers=registrar).json()
    assert len(dry["wouldIssue"]) == 9
    assert dry["issued"] == []
    issued = client.post(f"/api/programmes/{CODE}/issue", headers=registrar).json()
    assert len(issued["issued"]) == 9
    assert len(issued["notEligible"]) == 3
    assert client.post(f"/api/programmes/{CODE}/issue", headers=registrar).json()["issued"] == []
    found = client.get("/api/credentials", params={"q": "王小明"}, headers=registrar).json()
    assert len(found) == 1
    one = client.get(f"/api/credentials/{found[0]['certificateNumber']}", headers=registrar).json()
    did = client.get("/.well-known/did.json").json()
    lists = {
        f"{service.settings.base_url}/status/{p}/1": client.get(f"/status/{p}/1").json()
        for p in ("revocation", "suspension")
    }
    assert verify_credential(one["credential"], did_documents={did["id"]: did}, status_lists=lists).verified
    numbers = [c["certificateNumber"] for c in issued["issued"][:3]]
    csv_body = ("证书编号\n" + "\n".join(numbers) + "\n").encode("gb18030")
    bulk = client.post(
        "/api/credentials/bulk/suspend?reason=审核中",
        headers=registrar,
        files={"file": ("list.csv", csv_body)},
    )
    assert bulk.status_code == 200, bulk.text
    assert sorted(bulk.json()["changed"]) == sorted(numbers)
    states = {
        c["certificateNumber"]: c["state"] for c in client.get("/api/credentials", headers=registrar).json()
    }
    assert [states[n] for n in numbers] == ["suspended"] * 3
    reissued = client.post(
        f"/api/credentials/{numbers[0]}/reissue", headers=registrar, json={"reason": "姓名更正"}
    )
    assert reissued.status_code == 200, reissued.text


@pytest.mark.parametrize(
    ("path", "payload", "status"),
    [
        (f"/api/programmes/{CODE}/records", {"file": ("x.csv", b"\xff\xfe\x00garbage")}, 422),
        (
            "/api/programmes/NOPE/records",
            {"file": ("x.csv", "学号,姓名,课程代码,成绩\n1,a,PM101,90\n".encode())},
            404,
        ),
        ("/api/programmes", {"file": ("p.yaml", b"code: [unclosed")}, 422),
        ("/api/programmes", {"file": ("p.yaml", b"")}, 422),
        ("/api/credentials/bulk/revoke", {"file": ("list.csv", b"NOPE-1\n")}, 422),
    ],
    ids=["undecodable-records", "unknown-programme", "broken-yaml", "empty-upload", "revoke-without-reason"],
)
def test_bad_input_is_a_clear_4xx(
    client: TestClient, service: Service, path: str, payload: dict[str, Any], status: int
) -> None:
    registrar = token(service, "registrar")
    if "records" in path and "NOPE" not in path:
        seed(client, registrar)
    body = assert_problem(client.post(path, headers=registrar, files=payload), status)
    assert body["detail"]


def test_unknown_certificate_and_validation_errors(client: TestClient, service: Service) -> None:
    registrar = token(service, "registrar")
    assert_problem(client.get("/api/credentials/NOPE-1", headers=registrar), 404)
    body = assert_problem(
        client.post(
            "/api/credentials/bulk", headers=registrar, json={"action": "explode", "certificate_numbers": []}
        ),
        422,
    )
    assert body["errors"]
    assert_problem(client.get("/api/nothing-here"), 404)


def test_errors_speak_chinese_when_asked(client: TestClient) -> None:
    body = assert_problem(client.post("/api/programmes", headers={"Accept-Language": "zh-CN,zh;q=0.9"}), 401)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["title"] + body["detail"])
    english = assert_problem(client.post("/api/programmes", headers={"Accept-Language": "en-US"}), 401)
    assert english["title"] == "Not signed in"


def test_reviewer_sees_and_approves_only_their_college(client: TestClient, service: Service) -> None:
    registrar = token(service, "registrar")
    seed(client, registrar)
    with transaction(service.engine) as session:
        session.add(College(institution_id=1, code="economics", name_zh="经济管理学院"))
    own = token(service, "reviewer", college="materials")  # the demo programme's college
    other = token(service, "reviewer", college="economics")
    assert [p["code"] for p in client.get("/api/programmes", headers=own).json()] == [CODE]
    assert client.get("/api/programmes", headers=other).json() == []
    assert_problem(client.get(f"/api/programmes/{CODE}", headers=other), 403)
    assert_problem(client.post(f"/api/programmes/{CODE}/approve", headers=other, json={}), 403)
    approved = client.post(f"/api/programmes/{CODE}/approve", headers=own, json={"note": "学院初审通过"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["approvedLearners"] == 9
    assert_problem(
        client.post(f"/api/programmes/{CODE}/approve", headers=own, json={}), 409
    )  # nobody left waiting
    assert_problem(client.post(f"/api/programmes/{CODE}/issue", headers=own), 403)  # reviewers do not issue


def test_openapi_document_lists_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/programmes/{code}/issue" in spec["paths"]
    assert "/status/{purpose}/{number}" in spec["paths"]
    # Every /api/ operation declares the bearer token; the public documents and the public
    # verifier (which changes and stores nothing) need none.
    public_api = {"/api/verify"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            declared = bool(operation.get("security"))
            needed = path.startswith("/api/") and path not in public_api
            assert declared == needed, f"{method.upper()} {path}"


def test_a_non_bearer_authorization_header_is_refused(client: TestClient) -> None:
    body = assert_problem(client.get("/api/programmes", headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)
    assert "Bearer" in body["detail"]
