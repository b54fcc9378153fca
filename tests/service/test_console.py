"""The registrar console (/console): sessions, CSRF, permissions per role, every page, error paths.

Runs against SQLite and PostgreSQL (the ``service`` fixture). The client speaks https, as the
service's base URL does, so the session cookie is ``Secure`` and still sent.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import col, select

from issuer import accounts
from issuer.app import create_app
from issuer.console import jobs
from issuer.console.sessions import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, SESSION_COOKIE
from issuer.db import transaction
from issuer.demo import DEMO_CONSOLE_PASSWORD, DEMO_CONSOLE_USER, PROGRAMME_FILE, cohort_csv, run_demo
from issuer.models import AuditEntry, College, Credential, Programme
from issuer.service import Service

CODE = "WZY-PM-2024"
PASSWORD = "correct horse battery staple"  # noqa: S105 - test material
BASE = "https://testserver"


@pytest.fixture
def app_client(service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(service=service), base_url=BASE, raise_server_exceptions=False) as client:
        yield client
    jobs.wait_for_jobs()


def make_user(service: Service, role: str, *, college: str | None = None, name: str | None = None) -> str:
    username = name or f"{role}-{college or 'all'}"
    accounts.create_user(
        service,
        username,
        password=PASSWORD,
        role=role,
        college_code=college,
        display_name=f"{role} 老师",
        actor="test",
    )
    return username


def sign_in(
    client: TestClient, username: str, password: str = PASSWORD, *, next_url: str = "/console"
) -> Response:
    form = client.get("/console/signin")
    assert form.status_code == 200
    token = _value(form.text, "signin_token")
    return client.post(
        "/console/signin",
        data={"username": username, "password": password, "signin_token": token, "next": next_url},
        follow_redirects=False,
    )


def signed_in(service: Service, role: str, **options: Any) -> TestClient:
    client = TestClient(create_app(service=service), base_url=BASE, raise_server_exceptions=False)
    response = sign_in(client, make_user(service, role, **options))
    assert response.status_code == 303, response.text
    return client


def _value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match is not None, f"no {name} in the page"
    return match.group(1)


def csrf_token(client: TestClient, page: str = "/console") -> str:
    response = client.get(page)
    assert response.status_code == 200, response.text
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', response.text)
    assert match is not None
    return match.group(1)


def post(client: TestClient, path: str, data: dict[str, str] | None = None, **options: Any) -> Response:
    """A form post with this session's CSRF token."""
    return client.post(
        path, data={"csrf_token": csrf_token(client), **(data or {})}, follow_redirects=False, **options
    )


def seed(client: TestClient) -> None:
    """Import the example programme and the demo cohort through the console."""
    response = client.post(
        "/console/programmes/+import",
        data={"csrf_token": csrf_token(client)},
        files={"file": (PROGRAMME_FILE.name, PROGRAMME_FILE.read_bytes(), "application/yaml")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    response = client.post(
        f"/console/programmes/{CODE}/records",
        data={"csrf_token": csrf_token(client)},
        files={"file": ("成绩导出.csv", cohort_csv(), "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def issue(client: TestClient) -> dict[str, Any]:
    started = post(client, f"/console/programmes/{CODE}/issue")
    assert started.status_code == 303, started.text
    job_page = started.headers["location"]
    assert job_page.startswith("/console/jobs/")
    deadline = time.monotonic() + 120
    while True:
        state: dict[str, Any] = client.get(job_page + ".json").json()
        if state["finished"]:
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.2)


def certificate_numbers(service: Service) -> list[str]:
    with transaction(service.engine, write=False) as session:
        return list(
            session.exec(select(Credential.certificate_number).order_by(col(Credential.certificate_number)))
        )


def state_of(service: Service, number: str) -> str:
    with transaction(service.engine, write=False) as session:
        credential = session.exec(select(Credential).where(Credential.certificate_number == number)).one()
    return "revoked" if credential.revoked_at else "suspended" if credential.suspended_at else "valid"


# --- Signing in, sessions, CSRF ----------------------------------------------------------------


def test_pages_need_a_session_and_sign_in_returns_to_the_page(
    app_client: TestClient, service: Service
) -> None:
    redirect = app_client.get("/console/credentials?q=x", follow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == "/console/signin?next=%2Fconsole%2Fcredentials%3Fq%3Dx"
    assert app_client.get("/console/programmes/+check.json", follow_redirects=False).status_code in (401, 405)
    make_user(service, "registrar")
    response = sign_in(app_client, "registrar-all", next_url="/console/credentials?q=x")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/credentials?q=x"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/console"):
        assert attribute in cookie
    page = app_client.get("/console/credentials?q=x")
    assert page.status_code == 200
    assert "registrar 老师" in page.text


def test_sign_in_refuses_an_outside_next_address(app_client: TestClient, service: Service) -> None:
    make_user(service, "registrar")
    for target in ("https://evil.example/console", "//evil.example/console", "/console\\@evil", "/api/keys"):
        app_client.cookies.clear()
        response = sign_in(app_client, "registrar-all", next_url=target)
        assert response.headers["location"] == "/console", target


def test_wrong_password_is_refused_and_repeated_failures_lock_the_account(
    app_client: TestClient, service: Service
) -> None:
    make_user(service, "registrar")
    wrong = sign_in(app_client, "registrar-all", "not the password")
    assert wrong.status_code == 401
    assert "用户名或密码错误" in wrong.text  # Chinese by default
    assert SESSION_COOKIE + "=" not in wrong.headers.get("set-cookie", "")
    assert sign_in(app_client, "nobody", "whatever is typed").status_code == 401
    for _ in range(accounts.MAX_FAILED_LOGINS - 1):
        sign_in(app_client, "registrar-all", "still wrong")
    locked = sign_in(app_client, "registrar-all", PASSWORD)
    assert locked.status_code == 429
    assert "账户已锁定" in locked.text
    assert app_client.get("/console", follow_redirects=False).status_code == 303


def test_sign_in_form_needs_its_own_token(app_client: TestClient, service: Service) -> None:
    make_user(service, "registrar")
    app_client.get("/console/signin")
    forged = app_client.post(
        "/console/signin",
        data={
            "username": "registrar-all",
            "password": PASSWORD,
            "signin_token": "forged",
            "next": "/console",
        },
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert "表单已失效" in forged.text
    assert SESSION_COOKIE + "=" not in forged.headers.get("set-cookie", "")


def test_a_session_id_planted_before_sign_in_is_never_used(app_client: TestClient, service: Service) -> None:
    make_user(service, "registrar")
    app_client.cookies.set(SESSION_COOKIE, "planted-by-an-attacker", path="/console")
    form = app_client.get("/console/signin")
    data = {
        "username": "registrar-all",
        "password": PASSWORD,
        "signin_token": _value(form.text, "signin_token"),
    }
    first = app_client.post("/console/signin", data=data, follow_redirects=False)
    issued = first.cookies[SESSION_COOKIE]
    assert issued != "planted-by-an-attacker"
    # Signing in again (a second tab's sign-in form) replaces the session: the previous id stops working.
    second = app_client.post("/console/signin", data=data, follow_redirects=False)
    assert second.cookies[SESSION_COOKIE] != issued
    stale = TestClient(app_client.app, base_url=BASE)
    stale.cookies.set(SESSION_COOKIE, issued, path="/console")
    assert stale.get("/console", follow_redirects=False).status_code == 303


def test_state_changes_need_the_sessions_csrf_token(app_client: TestClient, service: Service) -> None:
    make_user(service, "admin")
    assert sign_in(app_client, "admin-all").status_code == 303
    seed(app_client)
    issue(app_client)
    number = certificate_numbers(service)[0]
    target = f"/console/credentials/{number}/status"
    change = {"action": "revoke", "reason": "CSRF test", "understood": "yes"}
    missing = app_client.post(target, data=change, follow_redirects=False)
    assert missing.status_code == 403
    assert "表单已失效" in missing.text
    wrong = app_client.post(target, data={**change, "csrf_token": "x" * 43}, follow_redirects=False)
    assert wrong.status_code == 403
    # The right token sent from another site's page is refused as well.
    token = csrf_token(app_client)
    foreign = app_client.post(
        target,
        data={**change, "csrf_token": token},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert foreign.status_code == 403
    cross_site = app_client.post(
        target,
        data={**change, "csrf_token": token},
        headers={"Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert cross_site.status_code == 403
    assert state_of(service, number) == "valid"
    # Another session's token does not fit this session.
    other = signed_in(service, "registrar")
    other_token = csrf_token(other)
    assert (
        app_client.post(
            target, data={**change, "csrf_token": other_token}, follow_redirects=False
        ).status_code
        == 403
    )
    assert state_of(service, number) == "valid"
    done = app_client.post(
        target, data={**change, "csrf_token": token}, headers={"Origin": BASE}, follow_redirects=False
    )
    assert done.status_code == 303
    assert state_of(service, number) == "revoked"
    # The JSON check used by the programme form's script needs the token in its header.
    assert app_client.post("/console/programmes/+check.json", data={"code": "X"}).status_code == 403
    checked = app_client.post(
        "/console/programmes/+check.json", data={"code": "X"}, headers={"X-CSRF-Token": token}
    )
    assert checked.status_code == 200


def test_sign_out_ends_the_session(app_client: TestClient, service: Service) -> None:
    make_user(service, "auditor")
    cookie = sign_in(app_client, "auditor-all").cookies[SESSION_COOKIE]
    assert app_client.post("/console/signout", follow_redirects=False).status_code == 403  # no token
    out = post(app_client, "/console/signout")
    assert out.status_code == 303
    assert out.headers["location"] == "/console/signin?signed_out=true"
    assert "您已退出登录" in app_client.get(out.headers["location"]).text
    replay = TestClient(app_client.app, base_url=BASE)
    replay.cookies.set(SESSION_COOKIE, cookie, path="/console")
    assert replay.get("/console", follow_redirects=False).status_code == 303


def test_sessions_end_when_idle_and_after_their_absolute_lifetime(
    app_client: TestClient, service: Service
) -> None:
    start = service.now()
    moment = [start]
    service.clock = lambda: moment[0]
    make_user(service, "auditor")
    sign_in(app_client, "auditor-all")
    moment[0] = start + IDLE_TIMEOUT - timedelta(minutes=1)
    assert app_client.get("/console", follow_redirects=False).status_code == 200
    moment[0] += IDLE_TIMEOUT + timedelta(seconds=1)
    assert app_client.get("/console", follow_redirects=False).status_code == 303  # idle too long
    sign_in(app_client, "auditor-all")
    signed_in_at = moment[0]
    while moment[0] < signed_in_at + ABSOLUTE_TIMEOUT - IDLE_TIMEOUT:
        moment[0] += IDLE_TIMEOUT / 2
        assert app_client.get("/console", follow_redirects=False).status_code == 200
    moment[0] = signed_in_at + ABSOLUTE_TIMEOUT
    assert app_client.get("/console", follow_redirects=False).status_code == 303  # active, but too old


def test_a_disabled_account_is_signed_out_and_a_role_change_applies_at_once(
    app_client: TestClient, service: Service
) -> None:
    make_user(service, "admin")
    sign_in(app_client, "admin-all")
    assert app_client.get("/console/keys/rotate").status_code == 200
    accounts.set_role(service, "admin-all", "auditor", actor="test")
    assert app_client.get("/console/keys/rotate").status_code == 403
    with transaction(service.engine) as session:
        user = session.exec(select(accounts.User).where(accounts.User.username == "admin-all")).one()
        user.active = False
        session.add(user)
    assert app_client.get("/console", follow_redirects=False).status_code == 303


def test_every_answer_carries_the_security_headers(app_client: TestClient, service: Service) -> None:
    make_user(service, "registrar")
    responses = [app_client.get("/console/signin"), app_client.get("/console", follow_redirects=False)]
    sign_in(app_client, "registrar-all")
    responses += [app_client.get("/console"), app_client.get("/console/no-such-page")]
    for response in responses:
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
    page = responses[2].text
    assert "<script>" not in page
    assert " style=" not in page
    assert "onclick" not in page
    static = app_client.get("/console/static/console.js")
    assert static.status_code == 200
    assert static.headers["x-content-type-options"] == "nosniff"
    for asset in re.findall(r'(?:href|src)="([^"]+)"', page):
        assert asset.startswith(("/", "#")), f"a third-party asset: {asset}"


def test_language_follows_the_browser_and_the_switch(app_client: TestClient, service: Service) -> None:
    assert "登录" in app_client.get("/console/signin").text
    english = app_client.get("/console/signin", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Sign in" in english.text
    assert 'lang="en"' in english.text
    switched = app_client.get("/console/language/en?next=/console/signin", follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/console/signin"
    assert "mc_lang=en" in switched.headers["set-cookie"]
    assert "Sign in" in app_client.get("/console/signin").text
    outside = app_client.get("/console/language/zh?next=https://evil.example/", follow_redirects=False)
    assert outside.headers["location"] == "/console"


# --- Pages and permissions ---------------------------------------------------------------------


def test_every_page_renders_with_its_content_for_an_administrator(
    app_client: TestClient, service: Service
) -> None:
    make_user(service, "admin")
    sign_in(app_client, "admin-all")
    seed(app_client)
    finished = issue(app_client)
    assert finished["state"] == "finished"
    assert finished["result"]["issued"] == 9
    numbers = certificate_numbers(service)
    pages = {
        "/console": ["概览", "已颁发证书", "粉体材料智能制造"],
        "/console/programmes": [CODE, "粉体材料智能制造", "材料科学与工程学院"],
        f"/console/programmes/{CODE}": ["粉体材料科学基础", "PM108", "学校政策"],
        f"/console/programmes/{CODE}/cohort": [
            "资格预览",
            "王小明",
            "PM102（粉末冶金原理）：未通过（55）",
            numbers[0],
        ],
        f"/console/programmes/{CODE}/edit": [
            'value="WZY-PM-2024"',
            'value="粉体材料科学基础"',
            "credits_per_course",
        ],
        "/console/programmes/+new": ["新建微专业", "政策检查"],
        "/console/programmes/+import": ["导入微专业定义文件"],
        "/console/credentials?q=王小明": [numbers[0], "20211234"],
        f"/console/credentials?programme={CODE}": [numbers[-1]],
        f"/console/credentials/{numbers[0]}": ["有效", "王小明", "粉体智能制造综合实践", "撤销证书"],
        "/console/credentials/bulk": ["批量变更"],
        "/console/keys": [service.did, "key-1", "publicKeyMultibase"],
        "/console/keys/rotate": ["轮换签名密钥", "9 份证书"],
        "/console/keys/key-1/compromised": ["报告 key-1 已泄露"],
        "/console/audit": ["credential.issue", "records.import", numbers[0]],
        "/console/audit/verify": ["完整"],
        f"/console/jobs/{_job_id(service)}": ["已颁发 9 份证书"],
    }
    for path, expected in pages.items():
        response = app_client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert "text/html" in response.headers["content-type"]
        for text in expected:
            assert text in response.text, (path, text)
    english = app_client.get(f"/console/credentials/{numbers[0]}", headers={"Accept-Language": "en"})
    assert "Valid" in english.text
    assert "Revoke the certificate" in english.text
    missing = app_client.get("/console/credentials/WZY-PM-2024-1999-000999")
    assert missing.status_code == 404
    assert "不存在证书" in missing.text
    assert app_client.get("/console/nowhere").status_code == 404


def _job_id(service: Service) -> str:
    from issuer.console.models import ConsoleJob

    with transaction(service.engine, write=False) as session:
        return session.exec(select(ConsoleJob.id)).one()


def test_permissions_follow_the_roles(app_client: TestClient, service: Service) -> None:
    make_user(service, "admin")
    sign_in(app_client, "admin-all")
    seed(app_client)
    issue(app_client)
    number = certificate_numbers(service)[0]

    registrar = signed_in(service, "registrar")
    assert registrar.get("/console/keys").status_code == 200  # reading the keys: any role
    assert registrar.get("/console/keys/rotate").status_code == 403
    assert post(registrar, "/console/keys/rotate").status_code == 403
    assert registrar.get("/console/audit").status_code == 403
    assert "审计日志" not in registrar.get("/console").text  # not offered either
    assert "需要“audit”权限" in registrar.get("/console/audit").text

    auditor = signed_in(service, "auditor")
    assert auditor.get("/console/audit").status_code == 200
    assert auditor.get(f"/console/credentials/{number}").status_code == 200
    assert "撤销证书" not in auditor.get(f"/console/credentials/{number}").text
    for path in (
        f"/console/programmes/{CODE}/issue",
        f"/console/credentials/{number}/reissue",
        "/console/programmes/+new",
    ):
        assert post(auditor, path, {"reason": "x"}).status_code == 403, path
    refused = post(
        auditor,
        f"/console/credentials/{number}/status",
        {"action": "revoke", "reason": "x", "understood": "yes"},
    )
    assert refused.status_code == 403
    assert state_of(service, number) == "valid"
    assert auditor.get(f"/console/programmes/{CODE}/links.csv").status_code == 403

    with transaction(service.engine) as session:
        session.add(College(institution_id=1, code="economics", name_zh="经济管理学院"))
    other = signed_in(service, "reviewer", college="economics")
    assert CODE not in other.get("/console/programmes").text
    for path in (
        f"/console/programmes/{CODE}",
        f"/console/programmes/{CODE}/cohort",
        f"/console/credentials/{number}",
    ):
        assert other.get(path).status_code == 403, path
    assert "没有匹配的证书" in other.get(f"/console/credentials?q={number}").text
    assert post(other, f"/console/programmes/{CODE}/approve").status_code == 403

    own = signed_in(service, "reviewer", college="materials")
    assert CODE in own.get("/console/programmes").text
    cohort = own.get(f"/console/programmes/{CODE}/cohort")
    assert cohort.status_code == 200
    assert 'action="/console/programmes/WZY-PM-2024/issue"' not in cohort.text  # reviewers do not issue
    assert own.get(f"/console/credentials/{number}").status_code == 200


def test_a_college_reviewer_approves_where_the_policy_requires_it(
    app_client: TestClient, service: Service
) -> None:
    service.policy = replace(service.policy, requires_college_approval=True)
    make_user(service, "registrar")
    sign_in(app_client, "registrar-all")
    seed(app_client)
    cohort = app_client.get(f"/console/programmes/{CODE}/cohort").text
    assert "9 名学员等待学院审核人审核" in cohort
    assert "待学院审核" in cohort
    assert (
        post(app_client, f"/console/programmes/{CODE}/approve").status_code == 403
    )  # registrars do not approve
    reviewer = signed_in(service, "reviewer", college="materials")
    assert "审核通过 9 名学员" in reviewer.get(f"/console/programmes/{CODE}/cohort").text
    approved = post(reviewer, f"/console/programmes/{CODE}/approve", {"note": "学院初审通过"})
    assert approved.status_code == 303
    after = reviewer.get(approved.headers["location"]).text
    assert "已审核通过 WZY-PM-2024 的 9 名学员" in after
    again = post(reviewer, f"/console/programmes/{CODE}/approve")
    assert again.status_code == 409
    assert "没有待审核的学员" in again.text
    assert issue(app_client)["result"]["issued"] == 9


# --- Programmes --------------------------------------------------------------------------------


def _programme_form(**changes: str) -> dict[str, str]:
    fields = {
        "code": "AI-2026",
        "name.zh": "人工智能应用",
        "name.en": "Applied Artificial Intelligence",
        "description.zh": "面向人工智能应用的微专业。",
        "college_code": "computing",
        "college_name.zh": "计算机学院",
        "industry_field": "ai-applications",
        "field_of_study": "计算机科学与技术",
        "learning_mode": "online",
        "hours_per_credit": "16",
        "max_study_months": "12",
        "criteria.zh": "修完全部课程并合格。",
    }
    for n in range(6):
        fields |= {
            f"courses[{n}].code": f"AI10{n}",
            f"courses[{n}].name.zh": f"课程{n}",
            f"courses[{n}].credits": "2",
            f"courses[{n}].class_hours": "32",
        }
    return fields | changes


def test_a_programme_is_created_and_edited_through_the_form(app_client: TestClient, service: Service) -> None:
    service.policy = replace(service.policy)  # the default (lenient) policy
    make_user(service, "registrar")
    sign_in(app_client, "registrar-all")
    created = post(app_client, "/console/programmes/+new", _programme_form())
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/console/programmes/AI-2026"
    page = app_client.get("/console/programmes/AI-2026").text
    assert "已创建微专业 AI-2026" in page
    assert "人工智能应用" in page
    assert "课程5" in page
    with transaction(service.engine, write=False) as session:
        programme = session.exec(select(Programme).where(Programme.code == "AI-2026")).one()
        assert float(programme.total_credits) == 12  # the sum of the courses when left empty
    edited = post(
        app_client,
        "/console/programmes/AI-2026/edit",
        _programme_form(**{"name.en": "AI Applications", "code": "IGNORED"}),
    )
    assert edited.status_code == 303
    assert "AI Applications" in app_client.get("/console/programmes/AI-2026").text
    assert app_client.get("/console/programmes/IGNORED").status_code == 404
    with transaction(service.engine, write=False) as session:
        actions = list(session.exec(select(AuditEntry.action).where(AuditEntry.subject == "AI-2026")))
    assert actions == ["programme.create", "programme.update"]


def test_a_programme_form_with_problems_names_each_field_and_saves_nothing(
    app_client: TestClient, service: Service
) -> None:
    make_user(service, "registrar")
    sign_in(app_client, "registrar-all")
    form = _programme_form(**{"courses[2].credits": "两", "name.zh": "", "total_credits": "13"})
    refused = post(app_client, "/console/programmes/+new", form)
    assert refused.status_code == 422
    text = refused.text
    assert "表单中有" in text
    assert "未保存任何内容" in text
    assert 'id="f-courses-2-credits" name="courses[2].credits" value="两"' in text  # kept as typed
    assert re.search(r'id="f-courses-2-credits"[^>]*aria-invalid="true"', text)
    assert re.search(r'id="f-name-zh"[^>]*aria-invalid="true"', text)
    assert "第 3 门课程：学分" in text
    with transaction(service.engine, write=False) as session:
        assert session.exec(select(Programme)).all() == []


def test_the_policy_check_names_the_failing_rule(app_client: TestClient, service: Service) -> None:
    from issuer.policy import PRESETS

    service.policy = PRESETS["ustb-2024"]
    make_user(service, "registrar")
    sign_in(app_client, "registrar-all")
    headers = {"X-CSRF-Token": csrf_token(app_client), "Accept-Language": "en"}
    form = _programme_form(**{f"courses[{n}].credits": "1.5" for n in range(6)}) | {
        f"courses[{n}].class_hours": "24" for n in range(6)
    }
    body = app_client.post("/console/programmes/+check.json", data=form, headers=headers).json()
    assert body["problems"] == []
    assert body["ready"] is False
    rules = {f["rule"] for f in body["findings"]}
    assert "credits_per_course" in rules
    finding = next(f for f in body["findings"] if f["rule"] == "credits_per_course")
    assert finding["ruleLabel"] == "Credits per course"
    assert "2–3" in finding["message"]
    assert finding["acknowledged"] is False
    acknowledged = form | {
        "ack.credits_per_course": "on",
        "ack.credits_per_course.reason": "模块化短课",
        "ack.total_credits": "on",
        "ack.total_credits.reason": "短课",
    }
    body = app_client.post("/console/programmes/+check.json", data=acknowledged, headers=headers).json()
    assert all(f["acknowledged"] for f in body["findings"] if f["rule"] == "credits_per_course")
    # Submitting without the acknowledgement is refused with the rule named.
    refused = post(app_client, "/console/programmes/+new", form)
    assert refused.status_code == 422
    assert "credits_per_course" in refused.text
    incomplete = app_client.post(
        "/console/programmes/+check.json", data={"code": "X"}, headers=headers
    ).json()
    assert {p["field"] for p in incomplete["problems"]} >= {"name.zh", "college_code", "courses"}
    assert incomplete["findings"] == []


def test_a_bad_programme_file_is_refused_whole_with_every_problem(
    app_client: TestClient, service: Service
) -> None:
    make_user(service, "registrar")
    sign_in(app_client, "registrar-all")
    bad = (
        PROGRAMME_FILE.read_text("utf-8")
        .replace("credits: 1.5", "credit: 1.5", 1)
        .replace("total_credits: 12", "total_credits: 11")
    )
    response = app_client.post(
        "/console/programmes/+import",
        data={"csrf_token": csrf_token(app_client)},
        files={"file": ("bad.yaml", bad.encode(), "application/yaml")},
    )
    assert response.status_code == 422
    assert "无法导入微专业定义文件" in response.text
    assert "courses[0].credit" in response.text
    assert "credits" in response.text
    empty = app_client.post(
        "/console/programmes/+import",
        data={"csrf_token": csrf_token(app_client)},
        files={"file": ("x.yaml", b"", "application/yaml")},
    )
    assert empty.status_code == 422
    assert "是空的" in empty.text
    with transaction(service.engine, write=False) as session:
        assert session.exec(select(Programme)).all() == []


# --- Cohort, credentials, keys, audit ------------------------------------------------------------


def test_a_bad_records_file_shows_a_readable_error_and_imports_nothing(
    app_client: TestClient, service: Service
) -> None:
    make_user(service, "registrar")
    sign_in(app_client, "registrar-all")
    app_client.post(
        "/console/programmes/+import",
        data={"csrf_token": csrf_token(app_client)},
        files={"file": (PROGRAMME_FILE.name, PROGRAMME_FILE.read_bytes())},
    )
    bad = "学号,姓名,课程代码,成绩\n2021001,张三,PM101,\n2021002,李四,PM999,80\n".encode("gb18030")
    response = app_client.post(
        f"/console/programmes/{CODE}/records",
        data={"csrf_token": csrf_token(app_client)},
        files={"file": ("成绩.csv", bad, "text/csv")},
    )
    assert response.status_code == 422
    assert "无法导入成绩文件" in response.text
    assert "line 2" in response.text
    assert "未导入任何内容" in response.text
    assert "还没有成绩记录" in response.text  # the preview is still empty
    unknown = "学号,姓名,课程代码,成绩\n2021002,李四,PM999,80\n".encode("gb18030")
    response = app_client.post(
        f"/console/programmes/{CODE}/records",
        data={"csrf_token": csrf_token(app_client)},
        files={"file": ("成绩.csv", unknown, "text/csv")},
    )
    assert response.status_code == 422
    assert "PM999" in response.text
    no_file = post(app_client, f"/console/programmes/{CODE}/records")
    assert no_file.status_code == 422
    assert "请选择要上传的文件" in no_file.text


def test_the_cohort_workflow_issues_in_the_background_and_hands_out_the_certificates(
    app_client: TestClient, service: Service
) -> None:
    make_user(service, "registrar")
    sign_in(app_client, "registrar-all")
    seed(app_client)
    cohort = app_client.get(f"/console/programmes/{CODE}/cohort").text
    assert "已从 成绩导出.csv 导入 95 行、12 名学员的成绩" in cohort
    assert cohort.count('badge-bad">不符合条件') == 3
    assert "用时 27 个月才完成" in cohort
    assert "PM108（粉体智能制造综合实践）：尚无成绩" in cohort
    assert "颁发 9 份证书" in cohort
    job = issue(app_client)
    assert job == job | {"state": "finished", "done": 9, "total": 9, "programme": CODE}
    assert app_client.get(f"/console/programmes/{CODE}/cohort").text.count('badge-info">已颁发证书') == 9
    # Issuing again issues nobody twice.
    again = post(app_client, f"/console/programmes/{CODE}/issue")
    assert again.headers["location"] == f"/console/programmes/{CODE}/cohort"
    assert len(certificate_numbers(service)) == 9

    links = app_client.get(f"/console/programmes/{CODE}/links.csv")
    assert links.status_code == 200
    assert links.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(links.content.decode("utf-8-sig"))))
    assert len(rows) == 10
    assert [row[0] for row in rows[1:]] == certificate_numbers(service)
    assert "王小明" in {row[2] for row in rows}

    archive = app_client.get(f"/console/programmes/{CODE}/certificates.zip")
    assert archive.status_code == 200
    assert archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as files:
        names = files.namelist()
        pdfs = [n for n in names if n.endswith(".pdf")]
        assert len(pdfs) == 9
        assert files.read(pdfs[0]).startswith(b"%PDF")


def test_credentials_are_found_viewed_as_a_verifier_sees_them_and_changed(
    app_client: TestClient, service: Service
) -> None:
    make_user(service, "registrar")
    sign_in(app_client, "registrar-all")
    seed(app_client)
    issue(app_client)
    first, second, third = certificate_numbers(service)[:3]
    for query in ("王小明", "20211234", first):
        assert first in app_client.get(f"/console/credentials?q={query}").text, query
    assert "没有匹配的证书" in app_client.get("/console/credentials?q=无此人").text

    view = app_client.get(f"/console/credentials/{first}").text
    assert "验证方现在看到的结果" in view
    assert "有效" in view
    assert view.count('class="check check-passed"') >= 7
    document = app_client.get(f"/console/credentials/{first}/credential.json")
    assert document.headers["content-disposition"] == f'attachment; filename="{first}.json"'
    assert json.loads(document.content)["credentialSubject"]["name"] == "王小明"
    printed = app_client.get(f"/console/credentials/{first}/certificate.pdf")
    assert printed.headers["content-type"] == "application/pdf"
    assert printed.content.startswith(b"%PDF")

    no_reason = post(app_client, f"/console/credentials/{first}/status", {"action": "suspend"})
    assert no_reason.status_code == 422
    assert "请填写本次操作" in no_reason.text
    assert (
        post(
            app_client, f"/console/credentials/{first}/status", {"action": "suspend", "reason": "核查中"}
        ).status_code
        == 303
    )
    assert "已暂停" in app_client.get(f"/console/credentials/{first}").text
    assert (
        post(app_client, f"/console/credentials/{first}/status", {"action": "unsuspend"}).status_code == 303
    )
    unconfirmed = post(
        app_client, f"/console/credentials/{second}/status", {"action": "revoke", "reason": "误发"}
    )
    assert unconfirmed.status_code == 422
    assert state_of(service, second) == "valid"
    revoked = post(
        app_client,
        f"/console/credentials/{second}/status",
        {"action": "revoke", "reason": "误发", "understood": "yes"},
    )
    assert revoked.status_code == 303
    page = app_client.get(f"/console/credentials/{second}").text
    assert "已撤销 1 份证书" in page
    assert "学校已撤销该证书" in page
    assert "误发" in page

    reissued = post(app_client, f"/console/credentials/{third}/reissue", {"reason": "姓名更正"})
    assert reissued.status_code == 303
    replacement = reissued.headers["location"].rsplit("/", 1)[1]
    assert replacement != third
    page = app_client.get(reissued.headers["location"]).text
    assert f"已颁发 {replacement} 替换 {third}" in page
    assert third in page
    assert state_of(service, third) == "revoked"


def test_bulk_changes_are_reviewed_first_and_are_all_or_nothing(
    app_client: TestClient, service: Service
) -> None:
    make_user(service, "registrar")
    sign_in(app_client, "registrar-all")
    seed(app_client)
    issue(app_client)
    numbers = certificate_numbers(service)
    review = post(
        app_client,
        "/console/credentials/bulk",
        {"action": "revoke", "reason": "批量误发", "numbers": f"{numbers[0]}\n{numbers[1]}, NOPE-1"},
    )
    assert review.status_code == 200
    assert "有 1 个编号找不到对应的证书" in review.text
    assert 'name="confirm"' not in review.text
    forced = post(
        app_client,
        "/console/credentials/bulk",
        {"action": "revoke", "reason": "批量误发", "numbers": f"{numbers[0]}\nNOPE-1", "confirm": "yes"},
    )
    assert forced.status_code == 404
    assert "未做任何更改" in forced.text or "未更改" in forced.text or "Nothing was changed" in forced.text
    assert state_of(service, numbers[0]) == "valid"

    upload = "证书编号\n" + "\n".join(numbers[:3]) + "\n"
    review = app_client.post(
        "/console/credentials/bulk",
        data={"csrf_token": csrf_token(app_client), "action": "suspend", "reason": "核查"},
        files={"file": ("list.csv", upload.encode("gb18030"), "text/csv")},
    )
    assert review.status_code == 200
    assert "暂停 3 份证书" in review.text
    assert "王小明" in review.text
    confirmed = post(
        app_client,
        "/console/credentials/bulk",
        {"action": "suspend", "reason": "核查", "numbers": _value(review.text, "numbers"), "confirm": "yes"},
    )
    assert confirmed.status_code == 303
    assert [state_of(service, n) for n in numbers[:4]] == ["suspended"] * 3 + ["valid"]
    assert "已暂停 3 份证书" in app_client.get("/console/credentials/bulk").text
    nothing = post(
        app_client, "/console/credentials/bulk", {"action": "revoke", "reason": "x", "numbers": " "}
    )
    assert nothing.status_code == 422


def test_rotating_the_key_keeps_the_old_one_in_the_did_document(
    app_client: TestClient, service: Service
) -> None:
    make_user(service, "admin")
    sign_in(app_client, "admin-all")
    confirm = app_client.get("/console/keys/rotate").text
    assert "当前密钥 key-1 将停用，但仍保留在 DID 文档中" in confirm
    rotated = post(app_client, "/console/keys/rotate")
    assert rotated.status_code == 303
    page = app_client.get("/console/keys").text
    assert "key-2 现为签名密钥" in page
    assert "已停用（仍可验证）" in page
    did = app_client.get("/.well-known/did.json").json()
    assert [m["id"].rsplit("#", 1)[1] for m in did["verificationMethod"]] == ["key-1", "key-2"]
    assert len(did["assertionMethod"]) == 2
    refused = post(
        app_client, "/console/keys/key-1/compromised", {"note": "丢失", "confirm_fragment": "key-2"}
    )
    assert refused.status_code == 422
    marked = post(
        app_client, "/console/keys/key-1/compromised", {"note": "备份介质丢失", "confirm_fragment": "key-1"}
    )
    assert marked.status_code == 200
    assert "key-1 已标记为泄露" in marked.text
    assert len(app_client.get("/.well-known/did.json").json()["assertionMethod"]) == 1


def test_the_audit_log_filters_pages_and_verifies(app_client: TestClient, service: Service) -> None:
    make_user(service, "admin")
    sign_in(app_client, "admin-all")
    seed(app_client)
    issue(app_client)
    numbers = certificate_numbers(service)
    everything = app_client.get("/console/audit").text
    total = int(re.search(r"共 (\d+) 条", everything).group(1))  # type: ignore[union-attr]
    assert total >= 13
    issued = app_client.get("/console/audit?action=credential.issue").text
    assert "共 9 条" in issued
    assert "records.import</td>" not in issued
    assert "共 9 条" in app_client.get("/console/audit?actor=admin-all&action=credential.issue").text
    assert "共 0 条" in app_client.get("/console/audit?actor=nobody").text
    assert "共 1 条" in app_client.get(f"/console/audit?subject={numbers[0]}").text
    today = service.now().date()
    assert f"共 {total} 条" in app_client.get(f"/console/audit?from={today}&to={today}").text
    assert "共 0 条" in app_client.get(f"/console/audit?from={today + timedelta(days=1)}").text
    assert "无法识别的日期" in app_client.get("/console/audit?from=yesterday").text
    second_page = app_client.get("/console/audit?page=2")
    assert second_page.status_code == 200
    verified = app_client.get("/console/audit/verify").text
    assert "完整" in verified
    assert f"全部 {total} 条记录齐全" in verified


def test_the_demo_creates_a_documented_console_account(
    app_client: TestClient, service: Service, tmp_path: Path
) -> None:
    report = run_demo(service, tmp_path / "demo")
    assert report.console_account == (DEMO_CONSOLE_USER, DEMO_CONSOLE_PASSWORD)
    assert run_demo(service, tmp_path / "demo").console_account == report.console_account  # idempotent
    assert sign_in(app_client, DEMO_CONSOLE_USER, DEMO_CONSOLE_PASSWORD).status_code == 303
    page = app_client.get(f"/console/programmes/{CODE}/cohort").text
    assert "演示教务员" in page
    assert page.count('badge-info">已颁发证书') == 9
