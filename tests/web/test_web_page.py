"""The verify page over HTTP: languages, security headers, the no-script form, static files, mounting."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from factories import golden_signed
from fastapi import FastAPI
from fastapi.testclient import TestClient
from loopback_issuer import LoopbackIssuer

from issuer.app import create_app
from tests.service.conftest import make_service
from verifier.web import CSP, verifier_router
from verifier.web_config import VerifierConfig


@pytest.mark.parametrize(
    ("header", "query", "lang", "title"),
    [
        ("en-US,en;q=0.9", "", "en", "Verify a micro-major certificate"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "", "zh-CN", "微专业证书核验"),
        ("fr-FR, en;q=0.5", "", "en", "Verify a micro-major certificate"),
        ("en;q=0.4, zh;q=0.8", "", "zh-CN", "微专业证书核验"),
        ("en-US", "?lang=zh", "zh-CN", "微专业证书核验"),
        ("", "", "en", "Verify a micro-major certificate"),  # the configured default (en here)
    ],
)
def test_language(client: TestClient, header: str, query: str, lang: str, title: str) -> None:
    response = client.get("/verify" + query, headers={"Accept-Language": header} if header else {})
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.text
    assert f"<title>{title}</title>" in response.text


def test_security_headers_and_no_third_party_origins(client: TestClient) -> None:
    response = client.get("/verify")
    assert response.headers["content-security-policy"] == CSP
    assert "script-src 'self'" in CSP
    assert "unsafe-inline" not in CSP
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers
    html = response.text
    assert "<script>" not in html  # nothing inline
    assert " style=" not in html
    for url in re.findall(r'(?:src|href|action)="([^"]+)"', html):
        assert url.startswith(("/", "?", "#", "data:")), url


def test_the_no_script_form_answers_with_the_whole_page(
    client: TestClient, issuer_site: LoopbackIssuer
) -> None:
    response = client.post("/verify?lang=zh", data={"text": json.dumps(issuer_site.credential(201))})
    assert response.status_code == 200
    assert 'data-outcome="valid"' in response.text
    assert "有效" in response.text
    assert "<html" in response.text
    assert response.headers["content-security-policy"] == CSP


def test_the_fragment_is_the_answer_only(client: TestClient, issuer_site: LoopbackIssuer) -> None:
    issuer_site.revoke(202)
    response = client.post("/verify/fragment?lang=en", data={"text": json.dumps(issuer_site.credential(202))})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'data-outcome="revoked"' in response.text
    assert "Revoked" in response.text


def test_the_form_explains_bad_input(client: TestClient) -> None:
    response = client.post("/verify/fragment?lang=en", data={"text": "{oops"})
    assert response.status_code == 400
    assert "Not valid JSON" in response.text
    empty = client.post("/verify?lang=en", data={"text": "  "})
    assert empty.status_code == 400
    assert "verdict--error" in empty.text


def test_the_form_takes_an_upload(client: TestClient, issuer_site: LoopbackIssuer) -> None:
    data = json.dumps(issuer_site.credential(203)).encode()
    response = client.post("/verify/fragment", files={"file": ("c.json", data, "application/json")})
    assert 'data-outcome="valid"' in response.text


def test_the_form_takes_the_qr_link(client: TestClient, issuer_site: LoopbackIssuer) -> None:
    link = issuer_site.qr_text(204, "https://verify.example.org/verify")
    response = client.post("/verify/fragment?lang=en", data={"qr": link})
    assert 'data-outcome="valid"' in response.text, response.text
    assert "data-qr-summary" in response.text


def test_static_files(client: TestClient) -> None:
    page = client.get("/verify").text
    for name in ("verify.css", "verify.js", "vendor/jsQR.min.js"):
        url = re.search(rf'"(/verify/static/{re.escape(name)}\?v=[0-9a-f]+)"', page)
        assert url is not None, name
        response = client.get(url.group(1))
        assert response.status_code == 200
        assert "immutable" in response.headers["cache-control"]
        again = client.get(url.group(1), headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304
    assert client.get("/verify/static/vendor/LICENSE-jsQR.txt").text.startswith(" " * 10)
    assert client.get("/verify/static/../web.py").status_code == 404
    assert client.get("/verify/static/nothing.js").status_code == 404


def test_the_standalone_app_redirects_home_and_answers_problems(client: TestClient) -> None:
    response = client.get("/?lang=en", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/verify?lang=en"
    missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert client.get("/healthz").json() == {"status": "ok"}


def test_the_router_mounts_into_another_app(issuer_site: LoopbackIssuer) -> None:
    """What the issuer app does: include the router, so one origin serves issuer and verifier."""
    with tempfile.TemporaryDirectory() as folder:
        service = make_service(f"sqlite:///{folder}/db.sqlite3", Path(folder) / "keys")
        try:
            app: FastAPI = create_app(service=service)
            app.include_router(verifier_router(VerifierConfig(language="en")))
            client = TestClient(app)
            assert client.get("/verify").status_code == 200
            answer = client.post("/api/verify", json=golden_signed(status=False)).json()
            assert answer["outcome"] == "valid"
            assert client.post("/credentials/verify", json={"verifiableCredential": {}}).status_code == 400
        finally:
            service.close()


def test_from_env(tmp_path: Path) -> None:
    config = VerifierConfig.from_env(
        {
            "MICROCRED_ALLOW_LOCAL_HTTP": "1",
            "MICROCRED_LANG": "en",
            "MICROCRED_VERIFY_MAX_UPLOAD": "1234",
            "MICROCRED_CACHE_DIR": str(tmp_path),
            "MICROCRED_TRUST_LISTS": "a.json, https://registry.example.org/list.json",
            "MICROCRED_TRUST_REGISTRIES": "did:web:registry.example.org",
        }
    )
    assert (config.language, config.max_upload_bytes) == ("en", 1234)
    settings = config.verifier.settings
    assert settings.allow_local_http
    assert settings.cache_dir == tmp_path
    assert settings.trust_lists == ("a.json", "https://registry.example.org/list.json")
    assert config.has_trust_lists
    assert not config.verifier.offline
    default = VerifierConfig.from_env({"MICROCRED_VERIFY_OFFLINE": "1", "HOME": str(tmp_path)})
    assert (default.language, default.has_trust_lists) == ("zh", False)
    assert default.verifier.offline
    assert not default.verifier.settings.allow_local_http
    assert VerifierConfig().verifier.offline  # the safe default: no network at all


def test_make_client_fixture_builds_apps(make_client: Callable[..., TestClient]) -> None:
    assert '<html lang="zh-CN">' in make_client(language="zh").get("/verify").text
