"""A cohort's shared layer: the certificate printed in two layers is the certificate laid out in full.

:mod:`issuer.pdf_layers` lays out what a cohort's certificates share once and prints each
learner's parts over it. These tests render the same credentials both ways (a renderer with
``layered=False`` lays out every page in full, as before) and compare the pages pixel by pixel,
for the shapes a certificate takes: both languages, long and short names, names without English,
grades with and without an English gloss, a dense course table, the institution's images, and a
cohort whose learners differ in everything that differs per learner.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pikepdf
import pypdfium2
import pytest
from carriers import qr_text_for
from certificates import credential_with, seal_svg
from PIL import Image as PILImage
from PIL import ImageChops
from pypdf import PdfReader

import issuer.pdf
from issuer.pdf import CertificateOptions, CertificateRenderer, Image
from issuer.pdf_layers import placeholder


@pytest.fixture(scope="module")
def full() -> CertificateRenderer:
    return CertificateRenderer(layered=False)


@pytest.fixture
def layered() -> CertificateRenderer:
    return CertificateRenderer()


@pytest.fixture
def fits_results(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every answer of :func:`issuer.pdf_layers.fits` while the test runs (True: printed layered)."""
    answers: list[bool] = []
    original: Callable[..., bool] = issuer.pdf.fits

    def spy(*args: Any) -> bool:
        answers.append(original(*args))
        return answers[-1]

    monkeypatch.setattr(issuer.pdf, "fits", spy)
    return answers


def pages(pdf: bytes, dpi: int = 110) -> list[PILImage.Image]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in document]
    finally:
        document.close()


def assert_same_pages(layered_pdf: bytes, full_pdf: bytes) -> None:
    layered_pages, full_pages = pages(layered_pdf), pages(full_pdf)
    assert len(layered_pages) == len(full_pages)
    for number, (one, other) in enumerate(zip(layered_pages, full_pages, strict=True), 1):
        assert ImageChops.difference(one, other).getbbox() is None, f"page {number} differs"


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "")


def test_placeholder_keeps_the_shape_of_the_text_not_the_text() -> None:
    assert placeholder('优秀\n<span class="en">Excellent</span>') == '0\n<span class="en">0</span>'
    assert placeholder("王小明") == "0"
    assert placeholder("Wang  Xiaoming ") == "0 "
    assert placeholder(' 86 <span class="en">Very good</span>') == ' 0 <span class="en">0</span>'
    assert placeholder("\n") == "\n"
    assert placeholder("&lt;b&gt;") == "0"


def test_a_cohort_shares_one_layer_and_each_page_is_the_full_layout(
    layered: CertificateRenderer, full: CertificateRenderer, fits_results: list[bool]
) -> None:
    cohort = [
        credential_with(learner="王小明", learner_en="Wang Xiaoming", number="SF-WZY-2025-000101"),
        credential_with(
            learner="欧阳娜娜", learner_en="Ouyang Nana", number="SF-WZY-2025-000102", results=["77"]
        ),
        credential_with(
            learner="李华", learner_en="Li Hua", number="SF-WZY-2025-000103", results=["100", "61", "88"]
        ),
    ]
    for credential in cohort:
        qr = qr_text_for(credential)
        printed = layered.render(credential, qr)
        assert_same_pages(printed, full.render(credential, qr))
        name = credential["credentialSubject"]["name"]
        assert name in text_of(printed)
    assert fits_results == [True, True, True]
    assert layered.shared_layers == 1  # three learners, one shared page


SEAL = Image(seal_svg(), "image/svg+xml")
#: Shape -> (changes to the golden-like credential, print options, printed layered?).
SHAPES = {
    "bilingual": ({}, CertificateOptions(), True),
    "Chinese only": ({}, CertificateOptions(language="zh"), True),
    "grades with English glosses": ({"results": ["优秀", "良好", "合格"]}, None, True),
    "no English name": ({"learner": "李华", "learner_en": None}, None, True),
    "long names": ({"learner": "爱新觉罗·溥仪慧敏", "learner_en": "Aisin-Gioro Puyi Huimin Jr."}, None, True),
    "a dense table of 11 courses": ({"courses": 11, "results": ["95", "88"]}, None, True),
    # In a dense table the gloss follows the grade on its line; "优秀 Excellent" is too wide for
    # the cell and wraps where its placeholder did not: laid out in full.
    "a dense table with glosses": ({"courses": 11, "results": ["优秀", "95"]}, None, False),
    "accent colour": ({}, CertificateOptions(accent="#1f4e79"), True),
    "the institution's logo, seal and signature": (
        {},
        CertificateOptions(seal=SEAL, logo=SEAL, signature=SEAL),
        True,
    ),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_of_certificate_prints_as_laid_out_in_full(
    layered: CertificateRenderer, full: CertificateRenderer, fits_results: list[bool], shape: str
) -> None:
    changes, options, printed_layered = SHAPES[shape]
    credential = credential_with(**changes)  # type: ignore[arg-type]
    qr = qr_text_for(credential)
    assert_same_pages(layered.render(credential, qr, options), full.render(credential, qr, options))
    assert fits_results == [printed_layered]


def test_a_part_that_takes_other_lines_is_laid_out_in_full(
    layered: CertificateRenderer, full: CertificateRenderer, fits_results: list[bool]
) -> None:
    short = credential_with(results=["90"])
    layered.render(short, qr_text_for(short))
    # Same shared page (a result with no English gloss), but this result wraps in its cell.
    wrapping = credential_with(results=["90", "不及格后补考通过"])
    qr = qr_text_for(wrapping)
    printed = layered.render(wrapping, qr)
    assert fits_results == [True, False]
    assert layered.shared_layers == 1
    assert printed == full.render(wrapping, qr)  # the full layout, byte for byte


def test_when_qpdf_fails_the_certificate_is_laid_out_in_full_with_its_credential(
    layered: CertificateRenderer, full: CertificateRenderer, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = credential_with(learner="王小明")
    layered.render(first, qr_text_for(first))  # the shared layer exists

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise pikepdf.PdfError("simulated")

    monkeypatch.setattr(pikepdf, "open", broken)
    second = credential_with(learner="李华", number="SF-WZY-2025-000002")
    qr = qr_text_for(second)
    printed = layered.render(second, qr)
    assert printed == full.render(second, qr)
    embedded = PdfReader(io.BytesIO(printed)).attachments[issuer.pdf.ATTACHMENT_NAME][0]
    assert json.loads(embedded) == second  # written once more, not an emptied stream


def test_a_certificate_of_two_pages_is_laid_out_in_full(
    layered: CertificateRenderer, full: CertificateRenderer, fits_results: list[bool]
) -> None:
    long_list = credential_with(courses=20)
    qr = qr_text_for(long_list)
    assert layered.render(long_list, qr) == full.render(long_list, qr)
    assert fits_results == []  # the shared page ran onto a second page: no layers at all


@pytest.mark.parametrize("kind", ["layered", "full"])
def test_the_pdf_is_pdf_a_with_its_metadata_and_the_credential(
    layered: CertificateRenderer, full: CertificateRenderer, kind: str
) -> None:
    credential = credential_with(learner="欧阳娜娜", number="SF-WZY-2025-000555")
    renderer = layered if kind == "layered" else full
    pdf = renderer.render(credential, qr_text_for(credential))
    reader = PdfReader(io.BytesIO(pdf))
    metadata = reader.trailer["/Root"]["/Metadata"].get_object()
    assert "/Filter" not in metadata  # PDF/A: the XMP stream is not compressed
    xmp = metadata.get_data().decode("utf-8")
    assert 'pdfaid:part="3"' in xmp
    assert 'pdfaid:conformance="B"' in xmp
    assert "欧阳娜娜" in str(reader.metadata.subject)
    assert "欧阳娜娜" in xmp
    assert "SF-WZY-2025-000555" in str(reader.metadata.title)
    assert set(reader.attachments) == {issuer.pdf.ATTACHMENT_NAME}
    assert len(reader.pages) == 1
    [bookmark] = reader.outline  # the title's bookmark, pointing at the page
    assert bookmark.title == "微专业证书 Micro-major Certificate"
    assert reader.get_destination_page_number(bookmark) == 0


def test_the_layered_pdf_has_what_the_full_one_has_in_its_catalog_and_page(
    layered: CertificateRenderer, full: CertificateRenderer
) -> None:
    credential = credential_with()
    qr = qr_text_for(credential)
    one, other = (PdfReader(io.BytesIO(r.render(credential, qr))) for r in (layered, full))
    assert set(one.trailer["/Root"]) == set(other.trailer["/Root"])
    assert dict(one.metadata or {}) == dict(other.metadata or {})
    assert one.pages[0].mediabox == other.pages[0].mediabox
    assert set(one.pages[0]) - {"/Contents"} == set(other.pages[0]) - {"/Contents"}
