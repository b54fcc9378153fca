"""Browser tests: Playwright driving Debian's chromium against the verifier served by uvicorn.

Never a downloaded browser: ``/usr/bin/chromium`` (installed by ``scripts/setup-system``). The
app runs in a thread on a free loopback port, configured with a loopback did:web issuer
(:mod:`loopback_issuer`) and a trust list naming it. Screenshots land in
``tests/browser/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from loopback_issuer import LoopbackIssuer
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from verifier.configured import ConfiguredVerifier, VerifierSettings
from verifier.fetch import HttpFetcher
from verifier.web import create_verifier_app
from verifier.web_config import VerifierConfig

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServerThread:
    """An ASGI app under uvicorn in a daemon thread, on a loopback port."""

    def __init__(self, app: FastAPI, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server on {self.base} did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


class VerifierServer(ServerThread):
    """The standalone verifier app, served on a free port."""

    def __init__(self, config: VerifierConfig) -> None:
        super().__init__(create_verifier_app(config), free_port())


def launched_chromium() -> Iterator[Browser]:
    """Debian's chromium, headless (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM}: run scripts/setup-system")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def issuer_site() -> Iterator[LoopbackIssuer]:
    site = LoopbackIssuer(max_age=0)  # one verifier for the session: revocations must show at once
    yield site
    site.stop()


@pytest.fixture(scope="session")
def verifier_server(issuer_site: LoopbackIssuer) -> Iterator[VerifierServer]:
    fetcher = HttpFetcher(allow_loopback_http=True)
    settings = VerifierSettings(
        allow_local_http=True,
        trust_lists=(issuer_site.trust_list_url,),
        registries=(issuer_site.registry.did_key,),
    )
    server = VerifierServer(
        VerifierConfig(verifier=ConfiguredVerifier(settings, fetch=fetcher), language="zh")
    )
    yield server
    server.stop()
    fetcher.close()


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM}: run scripts/setup-system")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    browser = playwright_session.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
    yield browser
    browser.close()


class Watched:
    """A page with what it logged and requested, to assert no CSP errors and no third parties."""

    def __init__(self, context: BrowserContext, base: str) -> None:
        self.context = context
        self.page: Page = context.new_page()
        self.base = base
        self.console: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        self.page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        self.page.on("request", lambda request: self.requests.append(request.url))

    def assert_clean(self) -> None:
        problems = [line for line in self.console if line.startswith(("error", "pageerror"))]
        assert problems == [], problems
        foreign = [url for url in self.requests if not url.startswith((self.base, "data:", "blob:"))]
        assert foreign == [], foreign

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def phone(browser: Browser, verifier_server: VerifierServer) -> Iterator[Watched]:
    """A phone-sized page (390x844, touch) in Chinese."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    watched = Watched(context, verifier_server.base)
    yield watched
    context.close()


@pytest.fixture
def desktop(browser: Browser, verifier_server: VerifierServer) -> Iterator[Watched]:
    """A desktop page (1280x900) in English."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    watched = Watched(context, verifier_server.base)
    yield watched
    context.close()


def no_script_context(browser: Browser, **options: Any) -> BrowserContext:
    return browser.new_context(java_script_enabled=False, viewport=PHONE, locale="zh-CN", **options)
