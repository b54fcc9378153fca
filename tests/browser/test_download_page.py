"""The learner's download page in a real browser, at a phone's size: what a learner sees.

The issuer runs under uvicorn (:func:`console_support.running_sites`) with a cohort issued, one
certificate revoked and one suspended. The learner opens their link on a phone (390x844, Chinese),
switches to English, downloads the PDF (which verifies); a revoked certificate's page says so and
offers nothing; an unknown link is a plain 404. No script runs, nothing comes from a third party.
Screenshots: ``tests/browser/screenshots/download-*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from issuer.cohorts import import_records
from issuer.demo import PROGRAMME_FILE, cohort_csv
from issuer.download_links import CohortLink, cohort_links
from issuer.issuance import issue_programme
from issuer.programme_file import parse_programme_file
from issuer.programmes import import_programmes
from issuer.public_verifier import verify_own_credential
from issuer.revocation import REVOKE, SUSPEND, change_status
from verifier.extract import extract

from .conftest import SCREENSHOTS, launched_chromium
from .console_support import Sites, running_sites

CODE = "WZY-PM-2024"
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    yield from running_sites(tmp_path_factory)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    yield from launched_chromium()


@pytest.fixture(scope="module")
def links(sites: Sites) -> dict[str, CohortLink]:
    """The cohort issued; the second certificate revoked, the third suspended. By state."""
    service = sites.service
    import_programmes(
        service, parse_programme_file(PROGRAMME_FILE.read_bytes(), PROGRAMME_FILE.name), actor="test"
    )
    import_records(service, CODE, cohort_csv(), "cohort.csv", actor="test")
    numbers = [c.certificate_number for c in issue_programme(service, CODE, actor="test").issued]
    change_status(service, [numbers[1]], REVOKE, reason="issued in error", actor="test")
    change_status(service, [numbers[2]], SUSPEND, reason="under review", actor="test")
    found: dict[str, CohortLink] = {}
    for link in cohort_links(service, CODE):
        found.setdefault(link.state, link)
    assert set(found) == {"valid", "revoked", "suspended"}
    return found


class Phone:
    """A phone-sized page in Chinese, with what it logged and every address it asked for."""

    def __init__(self, browser: Browser, sites: Sites) -> None:
        self.context = browser.new_context(
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"},
            accept_downloads=True,
        )
        self.base = sites.console.base
        self.page: Page = self.context.new_page()
        self.console: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        self.page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        self.page.on("request", lambda request: self.requests.append(request.url))

    def open(self, url: str) -> int:
        response = self.page.goto(url)
        assert response is not None
        return response.status

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"download-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_clean(self, *, expected_status: int | None = None) -> None:
        """No CSP violation or script error (a 404/410 the test asked for aside), nothing from elsewhere."""
        problems = [line for line in self.console if line.startswith(("error", "pageerror"))]
        if expected_status is not None:
            problems = [line for line in problems if f"status of {expected_status}" not in line]
        assert problems == []
        assert [url for url in self.requests if not url.startswith((self.base, "data:"))] == []


@pytest.fixture
def phone(chromium: Browser, sites: Sites) -> Iterator[Phone]:
    visitor = Phone(chromium, sites)
    yield visitor
    visitor.context.close()


def test_a_learner_opens_their_link_on_a_phone_and_downloads_a_pdf_that_verifies(
    phone: Phone, sites: Sites, links: dict[str, CohortLink], tmp_path: Path
) -> None:
    page = phone.page
    assert phone.open(links["valid"].download_url) == 200
    expect(page.locator("h1")).to_have_text("王小明")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "valid")
    expect(page.locator(".status__headline")).to_have_text("有效")
    expect(page.locator(".hero__programme")).to_have_text("粉体材料智能制造")
    expect(page.locator("a[data-file]")).to_have_count(5)
    href = page.locator("a[data-linkedin]").get_attribute("href") or ""
    address, _, query = href.partition("?")
    assert address == "https://www.linkedin.com/profile/add"
    fields = dict(parse_qsl(query))
    assert fields["startTask"] == "CERTIFICATION_NAME"
    assert fields["certId"] == links["valid"].certificate_number
    assert fields["certUrl"] == links["valid"].verify_url
    assert fields["organizationName"] == "示范科技大学"
    badge = page.locator("img.hero__badge")
    assert badge.evaluate("image => image.complete && image.naturalWidth") == 600
    # The page fits a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.shot("valid")
    page.click("details.courses summary")
    expect(page.locator(".courses__list li")).to_have_count(8)
    page.locator("details.courses").screenshot(path=str(SCREENSHOTS / "download-courses.png"))

    with page.expect_download() as download_info:
        page.click("a[data-file=pdf]")
    download = download_info.value
    assert download.suggested_filename == f"{links['valid'].certificate_number}.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    embedded = extract(saved.read_bytes(), filename=saved.name, read_qr=False).primary
    assert embedded.source == "pdf"
    assert verify_own_credential(sites.service, embedded.credential).outcome == "valid"

    page.click("nav.lang >> text=English")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Wang Xiaoming")
    expect(page.locator(".status__headline")).to_have_text("Valid")
    phone.shot("valid-en")
    phone.assert_clean()


def test_a_suspended_certificate_offers_its_files_but_not_linkedin(
    phone: Phone, links: dict[str, CohortLink]
) -> None:
    page = phone.page
    assert phone.open(links["suspended"].download_url) == 200
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "suspended")
    expect(page.locator(".status__headline")).to_have_text("已暂停")
    expect(page.locator("a[data-file]")).to_have_count(5)
    expect(page.locator("a[data-linkedin]")).to_have_count(0)
    phone.shot("suspended")
    phone.assert_clean()


def test_a_revoked_certificate_says_so_and_offers_nothing(phone: Phone, links: dict[str, CohortLink]) -> None:
    page = phone.page
    assert phone.open(links["revoked"].download_url) == 200
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "revoked")
    expect(page.locator(".status__headline")).to_have_text("已撤销")
    expect(page.locator(".status")).to_contain_text("学校已撤销此证书")
    expect(page.locator("a[data-file]")).to_have_count(0)
    expect(page.locator("a[data-linkedin]")).to_have_count(0)
    expect(page.locator("img.hero__badge")).to_have_count(0)
    phone.shot("revoked")
    assert phone.open(links["revoked"].download_url + "/certificate.pdf") == 410
    phone.assert_clean(expected_status=410)


def test_an_unknown_link_is_a_plain_404(phone: Phone, links: dict[str, CohortLink]) -> None:
    valid = links["valid"].download_url
    wrong = valid[:-1] + ("A" if valid[-1] != "A" else "B")
    assert phone.open(wrong) == 404
    expect(phone.page.locator("h1")).to_have_text("链接无效")
    assert "王小明" not in phone.page.content()
    phone.shot("not-found")
    phone.assert_clean(expected_status=404)
