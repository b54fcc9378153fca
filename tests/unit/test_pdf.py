"""The printed certificate: what it says, how it embeds the credential, how it fails.

Every PDF here is rendered by the real renderer from a real signed credential, then read back
the way a person or a verifier would: text extraction (pypdf), the PDF/A-3 associated file,
the embedded fonts, and the QR code decoded from the rasterized page (pypdfium2 + zxing-cpp).
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from carriers import qr_text_for
from certificates import credential_with, seal_svg
from factories import NOW, STATUS_URL, golden_unsigned, sign, status_list, w3c_test_key
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from issuer import fonts
from issuer.certificate import CertificateDataError, certificate_view
from issuer.credential import (
    Bilingual,
    CertificateDetails,
    College,
    CourseResult,
    Learner,
    build_credential,
)
from issuer.demo_data import demo_institution, demo_micro_major
from issuer.fields import DEFAULT_INDUSTRY_FIELDS
from issuer.pdf import (
    ATTACHMENT_NAME,
    CertificateOptions,
    CertificateRenderer,
    CertificateRenderError,
    Image,
    UnprintableTextError,
    qr_code,
)
from verifier import verify_credential

MICROCRED = str(Path(sys.executable).parent / "microcred")


# --------------------------------------------------------------------------------------------
# Helpers


@pytest.fixture(scope="module")
def renderer() -> CertificateRenderer:
    return CertificateRenderer()


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    return sign(golden_unsigned())


@pytest.fixture(scope="module")
def golden_pdf(renderer: CertificateRenderer, golden: dict[str, Any]) -> bytes:
    return renderer.render(golden, qr_text_for(golden))


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def squeezed(text: str) -> str:
    """Text without white space: wrapped lines and letter-spacing do not split words."""
    return re.sub(r"\s+", "", text)


def embedded_fonts(pdf: bytes) -> dict[str, int]:
    """Base font name -> size of its embedded font program, over every page."""
    found: dict[str, int] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for reference in page["/Resources"]["/Font"].values():
            font = reference.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            program = next(
                descriptor[k] for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor
            )
            found[str(font["/BaseFont"])] = len(program.get_object().get_data())
    return found


def qr_texts(pdf: bytes, page: int = -1) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[page if page >= 0 else len(document) + page].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


# --------------------------------------------------------------------------------------------
# What the certificate says


def test_text_names_the_learner_micro_major_number_and_courses(
    golden_pdf: bytes, golden: dict[str, Any]
) -> None:
    assert page_count(golden_pdf) == 1
    text = squeezed(page_texts(golden_pdf)[0])
    for expected in (
        "王小明",
        "WangXiaoming",
        "粉体材料智能制造",
        "WZY-PM-2024",
        "示范科技大学",
        "材料科学与工程学院",
        "SF-WZY-2025-000001",
        "2025年7月1日",
        "2024年9月1日至2025年6月30日",
        "中国高校学分，每学分16学时",
        "扫码验证",
        "Scantoverify",
    ):
        assert expected in text, expected
    for course in golden["credentialSubject"]["achievement"]["resultDescription"]:
        assert squeezed(course["name"]) in text
        assert squeezed(course["nameMap"]["en"]) in text
    # The totals are the signed ones.
    assert "合计Total12192" in text


def test_chinese_only_certificate_prints_no_english(
    renderer: CertificateRenderer, golden: dict[str, Any]
) -> None:
    pdf = renderer.render(golden, qr_text_for(golden), CertificateOptions(language="zh"))
    text = page_texts(pdf)[0]
    assert "王小明" in squeezed(text)
    assert "微专业证书" in squeezed(text)
    for english in ("Micro-major", "MICRO-MAJOR", "Certificate", "Wang Xiaoming", "Course", "Scan to verify"):
        assert english not in text
    # What is left in Latin letters is codes and numbers only.
    words = set(re.findall(r"[A-Za-z]{3,}", text))
    assert words <= {"WZY", "PDF"}, words


def test_what_is_printed_comes_from_the_signed_credential(golden: dict[str, Any]) -> None:
    view = certificate_view(golden)
    assert view.learner.zh == golden["credentialSubject"]["name"]
    assert view.micro_major_code == "WZY-PM-2024"
    assert view.issued_on == date(2025, 7, 1)  # 2025-07-01T00:00:00Z is 08:00 in China
    assert [c.result for c in view.courses] == [r["value"] for r in golden["credentialSubject"]["result"]]
    assert view.courses[2].result_gloss == "Pass"
    assert view.credit_system is not None
    assert view.credit_system.en == "Chinese university credit"


# --------------------------------------------------------------------------------------------
# The PDF as a verifiable document


def test_pdf_a3b_embeds_the_signed_credential_as_its_source(
    golden_pdf: bytes, golden: dict[str, Any]
) -> None:
    reader = PdfReader(io.BytesIO(golden_pdf))
    catalog = reader.trailer["/Root"]
    associated = [spec.get_object() for spec in catalog["/AF"]]
    assert len(associated) == 1
    spec = associated[0]
    assert spec["/AFRelationship"] == "/Source"
    assert spec["/UF"] == ATTACHMENT_NAME
    stream = spec["/EF"]["/F"].get_object()
    assert stream["/Subtype"] == "/application#2fjson" or stream["/Subtype"] == "/application/json"
    embedded = stream.get_data()
    assert embedded == (json.dumps(golden, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    # Also listed in the document's embedded files (what PDF viewers show as attachments).
    names = catalog["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[0] == ATTACHMENT_NAME
    assert names[1].get_object() == spec
    # The XMP metadata declares PDF/A-3, conformance B.
    xmp = catalog["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r'pdfaid:part="3"|<pdfaid:part>3</pdfaid:part>', xmp), xmp
    assert re.search(r'pdfaid:conformance="B"|<pdfaid:conformance>B</pdfaid:conformance>', xmp), xmp
    assert isinstance(catalog["/OutputIntents"][0].get_object(), DictionaryObject)
    # And what is embedded verifies.
    result = verify_credential(json.loads(embedded), now=NOW, status_lists={STATUS_URL: status_list()})
    assert result.verified, result.to_json("en")


def test_credential_text_is_embedded_byte_for_byte(
    renderer: CertificateRenderer, golden: dict[str, Any]
) -> None:
    stored = json.dumps(golden, ensure_ascii=False, separators=(",", ":"))
    pdf = renderer.render(stored.encode("utf-8"), qr_text_for(golden))
    spec = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/AF"][0].get_object()
    assert spec["/EF"]["/F"].get_object().get_data() == stored.encode("utf-8")


def test_fonts_are_embedded_subsets(golden_pdf: bytes) -> None:
    found = embedded_fonts(golden_pdf)
    assert found
    for name in found:
        assert re.fullmatch(r"/[A-Z]{6}\+.+", name), name  # the subset tag of PDF 32000 §9.6.4
    cut = fonts.DEFAULT_FONT_DIR / fonts.FACES[0].cut_filename
    full = fonts.find_system_face(fonts.FACES[0]).path
    largest = max(found.values())
    assert largest < (cut.stat().st_size if cut.exists() else full.stat().st_size) / 10


def test_same_credential_renders_the_same_bytes(
    renderer: CertificateRenderer, golden: dict[str, Any]
) -> None:
    text = qr_text_for(golden)
    assert renderer.render(golden, text) == renderer.render(golden, text)


def test_qr_code_on_the_page_decodes_to_the_qr_text(golden_pdf: bytes, golden: dict[str, Any]) -> None:
    assert qr_texts(golden_pdf) == [qr_text_for(golden)]


def test_qr_code_is_printed_large_enough_for_a_phone() -> None:
    text = "https://verify.example.edu.cn/verify#MC1:" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 15
    printed = qr_code(text)
    modules = 4 * printed.version + 17 + 8
    assert printed.size_mm / modules >= 0.25
    with pytest.raises(CertificateRenderError):
        qr_code("")
    with pytest.raises(CertificateRenderError, match="too long"):
        qr_code("x" * 4000)


def test_options_print_seal_and_logo_and_refuse_bad_values(
    renderer: CertificateRenderer, golden: dict[str, Any]
) -> None:
    seal = Image(seal_svg(), "image/svg+xml")
    pdf = renderer.render(
        golden, qr_text_for(golden), CertificateOptions(seal=seal, logo=seal, accent="#1f3a68")
    )
    assert page_count(pdf) == 1
    assert qr_texts(pdf) == [qr_text_for(golden)]
    with pytest.raises(CertificateRenderError, match="accent"):
        CertificateOptions(accent="red; background: url(http://x)")
    with pytest.raises(CertificateRenderError, match="not a image/png"):
        Image(b"GIF89a...", "image/png")
    with pytest.raises(CertificateRenderError, match="PNG, JPEG or SVG"):
        Image(b"GIF89a", "image/gif")  # type: ignore[arg-type]
    with pytest.raises(CertificateRenderError, match="bilingual or zh"):
        CertificateOptions(language="en")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Bad input: a readable page or a clear error, never a broken PDF


@pytest.mark.parametrize("courses", [20, 30])
def test_many_courses_continue_on_a_second_page_with_the_header_repeated(
    renderer: CertificateRenderer, courses: int
) -> None:
    credential = credential_with(courses=courses)
    text = qr_text_for(credential)
    pdf = renderer.render(credential, text)
    pages = page_texts(pdf)
    assert len(pages) == 2
    first, second = squeezed(pages[0]), squeezed(pages[1])
    # Whose certificate the next page belongs to repeats, and both pages are numbered.
    for expected in ("示范科技大学·微专业证书", "王小明", "编号No.SF-WZY-2025-000777", "第2页，共2页"):
        assert expected in second, expected
    assert "第1页，共2页" in first
    everything = first + second
    assert everything.count("粉体材料科学基础") == len(range(0, courses, 8))  # courses 1, 9, 17, 25
    last_row = f"{courses}" + demo_micro_major().courses[(courses - 1) % 8].name.zh
    assert last_row in everything
    assert "合计Total" in everything
    if courses == 30:
        # The table itself runs on: its column headings repeat above the rest of the rows.
        assert "课程名称Course" in second
        assert last_row in second
    assert qr_texts(pdf) == [text]


def test_overlong_names_wrap_and_shrink_on_one_readable_page(renderer: CertificateRenderer) -> None:
    college = Bilingual(
        "材料科学与工程学院暨粉末冶金国家重点实验室智能制造与先进材料协同创新中心联合培养部", "X" * 5
    )
    course = Bilingual(
        "面向新一代信息技术与先进制造深度融合的粉体材料智能制造系统设计与工程实践综合训练",
        "Comprehensive Training in the Design and Engineering Practice of Intelligent Manufacturing",
    )
    learner = "阿卜杜热合曼·买买提艾力·艾合买提江·热西提"
    credential = credential_with(college=college, course_name=course, learner=learner)
    pdf = renderer.render(credential, qr_text_for(credential))
    everything = squeezed("".join(page_texts(pdf)))
    assert squeezed(learner) in everything
    assert college.zh in everything
    assert everything.count(course.zh) == 8
    assert qr_texts(pdf) == [qr_text_for(credential)]


@pytest.mark.parametrize("language", ["bilingual", "zh"])
def test_the_longest_date_in_chinese_numerals_stays_on_one_line(
    renderer: CertificateRenderer, language: str
) -> None:
    credential = credential_with(valid_from=datetime(2026, 12, 28, 2, 0, tzinfo=UTC))
    pdf = renderer.render(credential, qr_text_for(credential), CertificateOptions(language=language))  # type: ignore[arg-type]
    lines = [line.strip() for line in page_texts(pdf)[0].splitlines()]
    assert any(line.endswith("二〇二六年十二月二十八日") for line in lines), lines[-12:]
    assert "日" not in lines


def test_rare_characters_print_from_the_full_system_font(renderer: CertificateRenderer) -> None:
    credential = credential_with(learner="王𠮷䶮", learner_en=None)
    pdf = renderer.render(credential, qr_text_for(credential))
    assert "王𠮷䶮" in squeezed(page_texts(pdf)[0])
    names = set(embedded_fonts(pdf))
    assert any("Microcred-Serif-SC" in name for name in names)  # the pre-cut face
    assert any("Noto-Serif-CJK-SC" in name for name in names)  # the full face, for 𠮷 and 䶮


@pytest.mark.parametrize(
    ("name", "shown"),
    [("王小明\U0001f600", "U+1F600"), ("王\x07明", "U+0007"), ("王\ue000明", "U+E000")],
)
def test_characters_no_font_has_are_a_clear_error(
    renderer: CertificateRenderer, name: str, shown: str
) -> None:
    credential = credential_with(learner=name)
    with pytest.raises(UnprintableTextError) as raised:
        renderer.render(credential, qr_text_for(credential))
    assert raised.value.problems[0][0] == "credentialSubject.name"
    assert shown in raised.value.message.render("en")
    assert "已安装的字体都无法显示" in raised.value.message.render("zh")


def test_an_unsigned_or_incomplete_credential_is_refused(
    renderer: CertificateRenderer, golden: dict[str, Any]
) -> None:
    with pytest.raises(CertificateDataError, match="not signed"):
        renderer.render(golden_unsigned(), "https://x.example/v")
    damaged = json.loads(json.dumps(golden))
    del damaged["credentialSubject"]["achievement"]["humanCode"]
    with pytest.raises(CertificateDataError, match=r"credentialSubject\.achievement\.humanCode"):
        renderer.render(damaged, "https://x.example/v")
    with pytest.raises(CertificateDataError, match="not valid JSON"):
        renderer.render(b'{"a": 1, "a": 2}', "https://x.example/v")
    with pytest.raises(CertificateDataError) as raised:
        renderer.render("[1]", "https://x.example/v")
    assert raised.value.message.render("zh") == "凭证不是 JSON 对象。"


# --------------------------------------------------------------------------------------------
# Fonts


def test_without_the_cut_the_full_system_faces_are_used(tmp_path: Path, golden: dict[str, Any]) -> None:
    bare = CertificateRenderer(font_dir=tmp_path)
    assert bare.cut_faces == ()
    pdf = bare.render(golden, qr_text_for(golden))
    assert "王小明" in squeezed(page_texts(pdf)[0])
    assert all("Microcred" not in name for name in embedded_fonts(pdf))


def test_a_cut_face_is_renamed_and_keeps_the_licence(tmp_path: Path) -> None:
    from fontTools.ttLib import TTFont

    face = fonts.FACES[0]
    target = tmp_path / face.cut_filename
    glyphs = fonts.cut_face(fonts.find_system_face(face), face, target, map(ord, "王小明ABC"))
    assert glyphs < 20
    font = TTFont(target)
    names = font["name"]
    assert names.getDebugName(1) == face.cut_family
    assert "Noto" not in (names.getDebugName(4) or "")
    assert "Open Font License" in (names.getDebugName(13) or "")
    assert ord("明") in font.getBestCmap()


def test_cut_codepoints_cover_gb2312_and_pinyin() -> None:
    points = fonts.cut_codepoints()
    assert len([p for p in points if 0x4E00 <= p <= 0x9FFF]) == 6763  # GB 2312 hanzi
    for char in "王小明粉体ǎǚü，。（）“”—·①":
        assert ord(char) in points
    assert ord("䶮") not in points  # outside the cut: printed from the full face


# --------------------------------------------------------------------------------------------
# The cohort command


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    return {
        "MICROCRED_DATABASE_URL": f"sqlite:///{tmp_path}/demo.sqlite3",
        "MICROCRED_KEYS_DIR": str(tmp_path / "keys"),
        "MICROCRED_LANG": "en",
        "LANG": "C.UTF-8",
    }


def _microcred(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MICROCRED, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **env},
        check=False,
        timeout=300,
    )


def test_render_command_renders_a_cohort_in_parallel(tmp_path: Path, demo_env: dict[str, str]) -> None:
    demo = _microcred("demo", "--out", str(tmp_path / "demo"), env=demo_env, cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    out = tmp_path / "pdf"
    rendered = _microcred(
        "render",
        "--programme",
        "WZY-PM-2024",
        "--out",
        str(out),
        "--workers",
        "2",
        env=demo_env,
        cwd=tmp_path,
    )
    assert rendered.returncode == 0, rendered.stderr
    assert "9 rendered" in rendered.stdout
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == 9
    first = pdfs[0]
    stored = json.loads((tmp_path / "demo" / f"{first.stem}.json").read_bytes())
    pdf = first.read_bytes()
    embedded = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/AF"][0].get_object()["/EF"]["/F"]
    assert json.loads(embedded.get_object().get_data()) == stored
    qr_file = tmp_path / "demo" / f"{first.stem}.qr.txt"
    assert qr_texts(pdf) == [qr_file.read_text("ascii").strip()]

    unknown = _microcred("render", "--programme", "NOPE", "--out", str(out), env=demo_env, cwd=tmp_path)
    assert unknown.returncode == 2
    assert "NOPE" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_qr_text_for_a_stored_credential(golden: dict[str, Any]) -> None:
    from carriers import summary_for

    from issuer.batch_render import qr_text_for as stored_qr_text_for
    from issuer.models import Credential
    from issuer.settings import Settings
    from verifier.qr import decode_qr_text

    settings = Settings(base_url="https://cert.example.edu.cn")  # type: ignore[call-arg]
    summary = summary_for(golden)
    row = Credential(credential_id=golden["id"], summary_document=json.dumps(summary))
    text = stored_qr_text_for(row, settings)
    assert text.startswith("https://cert.example.edu.cn/verify#MC1:")
    assert decode_qr_text(text) == summary
    older = Credential(credential_id=golden["id"], summary_document=None)
    assert stored_qr_text_for(older, settings) == (
        "https://cert.example.edu.cn/verify?credential=urn:uuid:0b5c7a36-0d2b-4f3e-9b0e-3f1c2d4e5f60"
    )


def test_a_credential_without_english_or_study_period_prints_no_gaps(renderer: CertificateRenderer) -> None:
    base = demo_micro_major()
    micro_major = dataclasses.replace(
        base,
        name=Bilingual(base.name.zh),
        college=College(base.college.id, Bilingual(base.college.name.zh)),
        courses=tuple(dataclasses.replace(c, name=Bilingual(c.name.zh)) for c in base.courses),
        learning_mode=None,
    )
    details = CertificateDetails("SF-WZY-2025-000778", NOW, study_start=None, study_end=None)
    unsigned = build_credential(
        demo_institution(w3c_test_key().did_key),
        micro_major,
        Learner("李华"),
        [CourseResult(c.code, "合格") for c in micro_major.courses],
        details,
        industry_fields=DEFAULT_INDUSTRY_FIELDS,
    )
    credential = sign(unsigned)
    pdf = renderer.render(credential, qr_text_for(credential))
    text = page_texts(pdf)[0]
    assert page_count(pdf) == 1
    for leftover in ("None", "undefined", "{{", "()", "至 至"):
        assert leftover not in text, leftover
    squeezed_text = squeezed(text)
    # English sentences name the Chinese where the credential has no English.
    assert "completedthemicro-majorin粉体材料智能制造(WZY-PM-2024)" in squeezed_text
    assert "修读示范科技大学" in squeezed_text  # no study period clause before it
    assert "修读时间Studyperiod—" in squeezed_text


def test_long_lived_objects_are_frozen_after_the_first_certificate(tmp_path: Path) -> None:
    """After a process's first certificate its long-lived objects leave the collector's walks
    (gc.freeze); the collector is running again after every certificate."""
    script = tmp_path / "render_twice.py"
    script.write_text(
        "import gc, json, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})\n"
        "from carriers import qr_text_for\n"
        "from factories import golden_unsigned, sign\n"
        "from issuer.pdf import CertificateRenderer\n"
        "credential = sign(golden_unsigned())\n"
        "renderer = CertificateRenderer()\n"
        "before = gc.get_freeze_count()\n"
        "renderer.render(credential, qr_text_for(credential))\n"
        "after_first = gc.get_freeze_count()\n"
        "pdf = renderer.render(credential, qr_text_for(credential))\n"
        "print(json.dumps([before, after_first, gc.get_freeze_count(), gc.isenabled(), pdf[:5].decode()]))\n",
        "utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr
    before, after_first, after_second, enabled, header = json.loads(done.stdout)
    assert before == 0
    assert after_first > 10_000  # modules, fonts, stylesheets: frozen once
    assert after_second <= after_first  # frozen once only (some frozen objects are freed since)
    assert enabled
    assert header == "%PDF-"
