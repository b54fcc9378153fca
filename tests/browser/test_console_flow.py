"""The registrar console in a real browser: the whole workflow, from a programme file to a
revoked certificate that the public verifier reports as revoked.

Sign in, import ``examples/programme-powder-materials.yaml``, see the live policy check,
upload the cohort's GB18030 CSV, read the preview, issue with progress, revoke one certificate,
then open that certificate's QR link on the public verifier page. Also: the same issuing works
with scripts disabled, and the English switch. Screenshots: ``tests/browser/screenshots/console-*.png``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from issuer.demo import PROGRAMME_FILE, cohort_csv

from .conftest import launched_chromium
from .console_support import Sites, Visitor, running_sites, visitor

CODE = "WZY-PM-2024"
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    yield from running_sites(tmp_path_factory)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    yield from launched_chromium()


@pytest.fixture
def registrar(chromium: Browser, sites: Sites) -> Iterator[Visitor]:
    person = visitor(chromium, sites, accept_downloads=True)
    yield person
    person.context.close()


def test_the_whole_workflow_ends_with_a_revoked_certificate_on_the_public_verifier(
    registrar: Visitor, sites: Sites, tmp_path: Path
) -> None:
    page = registrar.page
    registrar.open("/console")
    expect(page.locator("h1")).to_have_text("登录")
    registrar.shot("signin")
    registrar.sign_in()
    expect(page.locator("h1")).to_have_text("概览")
    registrar.shot("overview")

    # Import the programme file; the policy (ustb-2024) is met once its acknowledgement counts.
    page.click("text=导入微专业定义文件")
    page.set_input_files("#programme-file", str(PROGRAMME_FILE))
    page.click("main form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text(f"已导入 1 个微专业：{CODE}")
    expect(page.locator("h1")).to_have_text("粉体材料智能制造")
    expect(page.locator(".finding")).to_contain_text("每门课程学分")
    registrar.shot("programme")

    # The edit form checks the policy as the registrar types and names the rule.
    page.click("text=编辑")
    panel = page.locator("[data-policy-result]")
    expect(panel).to_contain_text("已说明", timeout=TIMEOUT)
    page.uncheck("#f-ack-credits_per_course")
    expect(panel.locator(".badge-warn").first).to_have_text("每门课程学分", timeout=TIMEOUT)
    expect(panel).to_contain_text("原则上")
    page.fill("#f-courses-0-credits", "一点五")
    page.locator("#f-courses-0-credits").blur()
    expect(page.locator("#f-courses-0-credits")).to_have_attribute("aria-invalid", "true", timeout=TIMEOUT)
    expect(page.locator("[data-error-for='courses[0].credits']")).not_to_be_empty()
    registrar.shot("programme-form")
    page.click("text=取消")

    # Upload the cohort's records exactly as the academic system exports them (GB18030).
    records = tmp_path / "成绩导出.csv"
    records.write_bytes(cohort_csv())
    page.click("nav.tabs >> text=学员与证书")
    page.set_input_files("#records-file", str(records))
    page.click("text=上传并检查")
    expect(page.locator(".alert-success")).to_contain_text("12 名学员")
    rows = page.locator(".preview-table tbody tr")
    expect(rows).to_have_count(12)
    expect(page.locator(".preview-table .badge-bad")).to_have_count(3)
    expect(page.locator(".preview-table")).to_contain_text("PM102（粉末冶金原理）：未通过（55）")
    expect(page.locator(".preview-table")).to_contain_text("用时 27 个月才完成")
    registrar.shot("cohort-preview")

    # Issue: the progress page polls until the batch is done.
    page.click("text=颁发 9 份证书")
    page.wait_for_url("**/console/jobs/*")
    expect(page.locator(".job .alert-success")).to_contain_text("已颁发 9 份证书", timeout=TIMEOUT)
    expect(page.locator("progress")).to_have_attribute("value", "9")
    registrar.shot("issue-progress")
    page.click("text=返回学员列表")
    expect(page.locator(".preview-table .badge-info")).to_have_count(9)
    registrar.shot("cohort-issued")

    # The links CSV: one row per certificate, with the link its QR code opens.
    with page.expect_download() as download:
        page.click("text=验证链接（CSV）")
    table = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    assert len(table) == 9
    row = next(r for r in table if r["姓名 name"] == "王小明")
    number, link = row["证书编号 certificate_number"], row["验证链接 verify_url"]
    assert link.startswith(sites.verifier.base + "/verify#")

    # Find the certificate and revoke it, with the reason.
    registrar.open("/console/credentials")
    page.fill("#q", "王小明")
    page.press("#q", "Enter")
    page.click(f"text={number}")
    expect(page.locator(".verdict-title")).to_have_text("有效")
    registrar.shot("credential")
    page.fill("#revoke-reason", "证书误发：学员信息有误")
    page.check("#revoke-understood")
    page.click("text=撤销证书")
    expect(page.locator(".alert-success")).to_have_text("已撤销 1 份证书。")
    expect(page.locator(".verdict-title")).to_have_text("已撤销")
    registrar.shot("credential-revoked")

    # The public verifier, opened from the certificate's QR link, now says revoked.
    page.goto(link)
    expect(page.locator("[data-outcome]")).to_have_attribute("data-outcome", "revoked", timeout=TIMEOUT)
    registrar.shot("verifier-revoked")

    # The audit log shows what happened, and its chain is intact.
    registrar.open("/console")
    page.click("form button:has-text('退出登录')")
    registrar.sign_in("admin")
    page.click("nav >> text=审计日志")
    expect(page.locator(".audit-table")).to_contain_text("credential.revoke")
    registrar.shot("audit")
    page.click("text=校验哈希链")
    expect(page.locator(".verdict-title")).to_have_text("完整")
    page.click("nav >> text=密钥与身份")
    expect(page.locator("pre.code-block")).to_contain_text(sites.service.did)
    registrar.shot("keys")
    registrar.assert_clean()


def test_issuing_works_without_scripts_and_the_console_speaks_english(
    chromium: Browser, sites: Sites, tmp_path: Path
) -> None:
    person = visitor(chromium, sites, java_script_enabled=False)
    page = person.page
    person.sign_in()
    page.click("text=English")
    expect(page.locator("h1")).to_have_text("Overview")
    # Import a second micro-major and its cohort, then issue: the progress page reloads itself.
    page.click("text=Import a programme file")
    page.set_input_files("#programme-file", str(AI_PROGRAMME))
    page.click("main form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Artificial Intelligence Applications")
    page.click("nav.tabs >> text=Learners and certificates")
    records = tmp_path / "ai.csv"
    records.write_bytes(_ai_cohort())
    page.set_input_files("#records-file", str(records))
    page.click("text=Upload and check")
    expect(page.locator(".preview-table tbody tr")).to_have_count(4)
    page.click("text=Issue 4 certificate(s)")
    page.wait_for_url("**/console/jobs/*")
    expect(page.locator(".job .alert-success")).to_contain_text("4 certificate(s) issued.", timeout=TIMEOUT)
    person.shot("issue-without-script-en")
    # Reissue one certificate (a plain form post) and see the new one as a verifier would.
    person.open("/console/credentials?q=AI-Learner-2")
    page.click("td.mono a >> nth=0")
    page.fill("#reissue-reason", "Name corrected")
    page.click("button:has-text('Reissue')")
    expect(page.locator(".alert-success")).to_contain_text("to replace")
    expect(page.locator(".verdict-title")).to_have_text("Valid")
    person.assert_clean()
    person.context.close()


AI_PROGRAMME = PROGRAMME_FILE.parent / "programme-ai-applications.json"


def _ai_cohort() -> bytes:
    """Four learners who passed the six courses of examples/programme-ai-applications.json (UTF-8 with BOM)."""
    lines = ["student_id,name,course_code,grade"]
    lines += [f"3030{n},AI-Learner-{n},AI10{course},pass" for n in range(1, 5) for course in range(1, 7)]
    return ("\ufeff" + "\n".join(lines) + "\n").encode()
