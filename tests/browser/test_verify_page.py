"""The verify page in a real browser: every outcome, every way in, both languages, a phone screen."""

from __future__ import annotations

import io
import json
from typing import Any

import pypdf
from factories import golden_signed
from loopback_issuer import LoopbackIssuer
from PIL import Image
from playwright.sync_api import Browser, expect

from issuer.qr import qr_png

from .conftest import CHROMIUM, LAUNCH_ARGS, PHONE, SCREENSHOTS, VerifierServer, Watched, no_script_context

TIMEOUT = 20_000


def _paste(watched: Watched, credential: dict[str, Any], lang: str = "zh") -> None:
    page = watched.page
    page.goto(f"{watched.base}/verify?lang={lang}")
    page.fill("#text", json.dumps(credential, ensure_ascii=False))
    page.click("#paste button[type=submit]")
    expect(page.locator("[data-outcome]")).to_be_visible(timeout=TIMEOUT)


def _outcome(watched: Watched) -> str:
    return watched.page.locator("[data-outcome]").get_attribute("data-outcome") or ""


def _headline(watched: Watched) -> str:
    return watched.page.locator(".verdict__headline").inner_text()


def test_valid_on_a_phone(phone: Watched, issuer_site: LoopbackIssuer) -> None:
    _paste(phone, issuer_site.credential(101))
    assert _outcome(phone) == "valid"
    assert _headline(phone).startswith("有效")
    page = phone.page
    expect(page.locator("[data-issuer-name]")).to_have_text("示范科技大学")
    expect(page.locator("[data-trust=trusted]")).to_be_visible()
    expect(page.locator("[data-learner]")).to_have_text("王小明")
    expect(page.locator("[data-micro-major]")).to_have_text("粉体材料智能制造")
    assert page.locator("table.courses tbody tr").count() == 8
    expect(page.locator("[data-total-credits]")).to_have_text("12")
    assert page.locator("[data-check][data-status=passed]").count() == 8
    # Nothing is wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.shot("valid-phone-zh")
    phone.assert_clean()


def test_revoked(phone: Watched, issuer_site: LoopbackIssuer) -> None:
    issuer_site.revoke(102)
    _paste(phone, issuer_site.credential(102))
    assert _outcome(phone) == "revoked"
    assert _headline(phone).startswith("已撤销")
    expect(phone.page.locator("[data-check=status][data-status=failed]")).to_be_visible()
    phone.shot("revoked-phone-zh")
    phone.assert_clean()


def test_suspended(phone: Watched, issuer_site: LoopbackIssuer) -> None:
    issuer_site.suspend(103)
    _paste(phone, issuer_site.credential(103))
    assert _outcome(phone) == "suspended"
    assert _headline(phone).startswith("已暂停")
    phone.shot("suspended-phone-zh")
    phone.assert_clean()


def test_tampered(phone: Watched, issuer_site: LoopbackIssuer) -> None:
    credential = issuer_site.credential(104)
    credential["credentialSubject"]["creditsEarned"] = 20
    _paste(phone, credential)
    assert _outcome(phone) == "invalid"
    assert _headline(phone).startswith("无效")
    expect(phone.page.locator("[data-check=proof][data-status=failed]")).to_be_visible()
    phone.shot("tampered-phone-zh")
    phone.assert_clean()


def test_unknown_issuer_is_a_clear_warning(desktop: Watched) -> None:
    _paste(desktop, golden_signed(status=False), lang="en")
    assert _outcome(desktop) == "valid"
    warning = desktop.page.locator("[data-trust=untrusted]")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("not on any trust list")
    desktop.shot("unknown-issuer-desktop-en")
    desktop.assert_clean()


def test_status_list_unreachable(phone: Watched, issuer_site: LoopbackIssuer) -> None:
    gone = LoopbackIssuer()
    gone.stop()
    _paste(phone, issuer_site.credential(105, status_base=f"{gone.origin}/status"))
    assert _outcome(phone) == "unknown"
    assert _headline(phone).startswith("无法确认")
    expect(phone.page.locator("[data-check=status][data-status=unknown]")).to_be_visible()
    phone.shot("unreachable-phone-zh")
    phone.assert_clean()


def test_pdf_upload(phone: Watched, issuer_site: LoopbackIssuer, tmp_path: Any) -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment("credential.json", json.dumps(issuer_site.credential(106)).encode())
    buffer = io.BytesIO()
    writer.write(buffer)
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(buffer.getvalue())
    page = phone.page
    page.goto(f"{phone.base}/verify")
    page.set_input_files("#file", str(pdf))
    page.click("#upload button[type=submit]")
    expect(page.locator("[data-outcome]")).to_be_visible(timeout=TIMEOUT)
    assert _outcome(phone) == "valid"
    phone.assert_clean()


def test_opening_the_qr_link(
    phone: Watched, issuer_site: LoopbackIssuer, verifier_server: VerifierServer
) -> None:
    link = issuer_site.qr_text(107, f"{verifier_server.base}/verify")
    page = phone.page
    page.goto(link)
    expect(page.locator("[data-outcome]")).to_be_visible(timeout=TIMEOUT)
    assert _outcome(phone) == "valid", page.locator("#answer").inner_text()
    expect(page.locator("[data-qr-summary]")).to_be_visible()
    expect(page.locator("[data-issuer-name]")).to_have_text("示范科技大学")
    # The payload travelled in a POST body, never in a request line.
    assert not [url for url in phone.requests if "MC1" in url]
    phone.shot("qr-link-phone-zh")
    # Switching language keeps the payload and shows the answer again, in English.
    page.click("a[hreflang=en]")
    expect(page.locator(".verdict__headline")).to_contain_text("Valid", timeout=TIMEOUT)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    phone.shot("qr-link-phone-en")
    phone.assert_clean()


def test_language_follows_the_browser_and_the_switch(desktop: Watched) -> None:
    page = desktop.page
    page.goto(f"{desktop.base}/verify")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h2#upload-title")).to_have_text("Upload a file")
    page.click("a[hreflang=zh]")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h2#upload-title")).to_have_text("上传文件")
    desktop.shot("start-desktop-zh")
    desktop.assert_clean()


def test_start_page_on_a_phone(phone: Watched) -> None:
    page = phone.page
    page.goto(f"{phone.base}/verify")
    expect(page.locator("#scan")).to_be_visible()  # the camera card appears with script
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.shot("start-phone-zh")
    phone.assert_clean()


def test_keyboard_only(phone: Watched, issuer_site: LoopbackIssuer) -> None:
    page = phone.page
    page.goto(f"{phone.base}/verify")
    page.focus("#text")
    page.keyboard.insert_text(json.dumps(issuer_site.credential(108)))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    expect(page.locator("[data-outcome=valid]")).to_be_visible(timeout=TIMEOUT)
    assert page.evaluate("document.activeElement.id") == "answer"  # the answer takes the focus


def test_without_javascript(
    browser: Browser, verifier_server: VerifierServer, issuer_site: LoopbackIssuer
) -> None:
    context = no_script_context(browser)
    try:
        page = context.new_page()
        page.goto(f"{verifier_server.base}/verify")
        expect(page.locator("#scan")).to_be_hidden()
        page.fill("#text", json.dumps(issuer_site.credential(109)))
        page.click("#paste button[type=submit]")
        expect(page.locator("[data-outcome=valid]")).to_be_visible(timeout=TIMEOUT)
        page.screenshot(path=_shot_path("valid-no-script-phone-zh"), full_page=True)
    finally:
        context.close()


def test_bad_input_is_explained(phone: Watched) -> None:
    page = phone.page
    page.goto(f"{phone.base}/verify")
    page.fill("#text", "{not json")
    page.click("#paste button[type=submit]")
    expect(page.locator(".verdict--error")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(".verdict--error")).to_contain_text("JSON")
    phone.shot("bad-input-phone-zh")


def _shot_path(name: str) -> str:
    SCREENSHOTS.mkdir(exist_ok=True)
    return str(SCREENSHOTS / f"{name}.png")


def _y4m(image: Any, path: Any) -> None:
    """Write ``image`` as a one-frame YUV4MPEG2 (4:2:0) video: chromium's fake camera plays it."""
    side = 720
    frame = Image.new("RGB", (side, side), "white")
    frame.paste(image.convert("RGB"), ((side - image.width) // 2, (side - image.height) // 2))
    y, u, v = frame.convert("YCbCr").split()
    half = (side // 2, side // 2)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{side} H{side} F10:1 Ip A1:1 C420jpeg\n".encode())
        out.write(b"FRAME\n" + y.tobytes() + u.resize(half).tobytes() + v.resize(half).tobytes())


def test_scanning_the_qr_code_with_the_camera(
    playwright_session: Any, issuer_site: LoopbackIssuer, verifier_server: VerifierServer, tmp_path: Any
) -> None:
    """The page's own scanner (jsQR: chromium on Linux has no BarcodeDetector) reads a camera."""
    link = issuer_site.qr_text(110, f"{verifier_server.base}/verify")
    video = tmp_path / "camera.y4m"
    _y4m(Image.open(io.BytesIO(qr_png(link, scale=4))), video)
    browser = playwright_session.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *LAUNCH_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
        context.grant_permissions(["camera"], origin=verifier_server.base)
        watched = Watched(context, verifier_server.base)
        page = watched.page
        page.goto(f"{verifier_server.base}/verify")
        page.click("[data-scan-start]")
        expect(page.locator("[data-outcome]")).to_be_visible(timeout=TIMEOUT)
        assert _outcome(watched) == "valid", page.locator("#answer").inner_text()
        expect(page.locator("[data-qr-summary]")).to_be_visible()
        expect(page.locator("[data-scan-view]")).to_be_hidden()  # the camera is off again
        watched.assert_clean()
    finally:
        browser.close()
