"""Fixtures of the console's browser tests (kept apart from the verifier page's conftest).

The test modules turn :func:`running_sites` and :func:`launched_chromium` into fixtures. Two
real servers on loopback ports, each uvicorn in a thread:

* the issuer app (:func:`issuer.app.create_app`) with the registrar console, on an SQLite
  database in a temporary folder, its base URL ``http://127.0.0.1:PORT`` (so did:web and the
  status lists are served from there), status lists not cached (``max-age=0``) so a revocation
  is seen at once, and certificates' QR codes pointing at
* the public verifier (:func:`verifier.web.create_verifier_app`), which fetches the DID document
  and status lists from the issuer over loopback HTTP, as a phone's browser would from the
  university's site.

The browser is Debian's chromium (never a downloaded one). Screenshots are written to
``tests/browser/screenshots/console-*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from issuer import accounts
from issuer.app import create_app
from issuer.console import jobs
from issuer.db import make_engine, migrate
from issuer.identity import InstitutionInfo, ensure_signing_key, set_institution
from issuer.keystore import KeyStore, Passphrase
from issuer.policy import PRESETS
from issuer.service import Service
from issuer.settings import Settings
from verifier.configured import ConfiguredVerifier, VerifierSettings
from verifier.fetch import HttpFetcher
from verifier.web import create_verifier_app
from verifier.web_config import VerifierConfig

from .conftest import SCREENSHOTS, ServerThread, free_port

LAPTOP = {"width": 1366, "height": 768}
PASSPHRASE = "TEST-passphrase-not-secret"  # noqa: S105 - test material
REGISTRAR, ADMIN = "registrar", "admin"
PASSWORD = "correct horse battery staple"  # noqa: S105 - test material
POLICY = "ustb-2024"


@dataclass
class Sites:
    """The running issuer (with its console) and public verifier."""

    service: Service
    console: ServerThread
    verifier: ServerThread


def _service(folder: Path, base_url: str, verifier_url: str) -> Service:
    url = f"sqlite:///{folder}/console.sqlite3"
    engine = make_engine(url)
    migrate(engine)
    settings = Settings(
        database_url=url,
        keys_dir=folder / "keys",
        key_passphrase=PASSPHRASE,
        base_url=base_url,
        verifier_url=verifier_url,
        policy=POLICY,
        status_list_max_age=0,
    )
    service = Service(
        settings, engine, KeyStore(folder / "keys", Passphrase(PASSPHRASE), scrypt_n=2**10), PRESETS[POLICY]
    )
    set_institution(
        service,
        InstitutionInfo(
            "示范科技大学",
            "Demonstration University of Science and Technology",
            "4199999999",
            "example.edu.cn",
        ),
        actor="test",
    )
    ensure_signing_key(service, actor="test")
    accounts.create_user(
        service, REGISTRAR, password=PASSWORD, role="registrar", display_name="王老师", actor="test"
    )
    accounts.create_user(
        service, ADMIN, password=PASSWORD, role="admin", display_name="系统管理员", actor="test"
    )
    return service


def running_sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    """Start the issuer (with the console) and the public verifier; stop them afterwards."""
    console_port, verifier_port = free_port(), free_port()
    verifier_base = f"http://127.0.0.1:{verifier_port}"
    service = _service(
        tmp_path_factory.mktemp("console"), f"http://127.0.0.1:{console_port}", f"{verifier_base}/verify"
    )
    fetcher = HttpFetcher(allow_loopback_http=True)
    verifier = ConfiguredVerifier(VerifierSettings(allow_local_http=True), fetch=fetcher)
    console = ServerThread(create_app(service=service), console_port)
    public = ServerThread(
        create_verifier_app(VerifierConfig(verifier=verifier, language="zh")), verifier_port
    )
    yield Sites(service, console, public)
    jobs.wait_for_jobs()
    public.stop()
    console.stop()
    fetcher.close()
    service.close()


class Visitor:
    """One browser context: its page, what the page logged, and every address it asked for."""

    def __init__(self, context: BrowserContext, sites: Sites) -> None:
        self.context = context
        self.sites = sites
        self.page: Page = context.new_page()
        self.console: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        self.page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        self.page.on("request", lambda request: self.requests.append(request.url))

    def open(self, path: str) -> None:
        self.page.goto(self.sites.console.base + path)

    def sign_in(self, username: str = REGISTRAR) -> None:
        self.open("/console")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.click("form button[type=submit]")
        self.page.wait_for_url("**/console")

    def shot(self, name: str) -> Path:
        """A full-page screenshot ``console-NAME.png``, taken from the top of the page."""
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"console-{name}.png"
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_clean(self) -> None:
        """No script error, no refused inline code (CSP), nothing fetched from a third party."""
        problems = [line for line in self.console if line.startswith(("error", "pageerror"))]
        expected_http_errors = [line for line in problems if "status of 4" in line]
        assert [p for p in problems if p not in expected_http_errors] == []
        ours = (self.sites.console.base, self.sites.verifier.base, "data:", "blob:")
        assert [url for url in self.requests if not url.startswith(ours)] == []


def visitor(browser: Browser, sites: Sites, **options: Any) -> Visitor:
    context = browser.new_context(
        viewport=LAPTOP, locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"}, **options
    )
    return Visitor(context, sites)
