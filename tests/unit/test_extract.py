"""What a file carries: credential JSON, a PDF certificate, a baked badge, a QR code in an image."""

from __future__ import annotations

import io
import json
import struct
import time
import zlib
from typing import Any

import pytest
from carriers import (
    Attached,
    assembled_pdf,
    certificate_pdf,
    plain_png,
    qr_photo,
    qr_png,
    qr_text_for,
    summary_for,
)
from factories import NOW, STATUS_URL, golden_signed, status_list
from PIL import Image, PngImagePlugin

from issuer.badge_image import BadgeFace, baked_badge_png, baked_badge_svg
from issuer.demo_data import demo_institution, demo_micro_major
from verifier import verify_credential
from verifier.baking import bake_png
from verifier.extract import (
    MAX_FILE_BYTES,
    ExtractionError,
    detect,
    extract,
    extract_credential,
    from_qr_text,
)
from verifier.qr import check_related_resource, decode_qr_text


@pytest.fixture(scope="module")
def full() -> dict[str, Any]:
    return golden_signed()


@pytest.fixture(scope="module")
def qr_text(full: dict[str, Any]) -> str:
    return qr_text_for(full)


def _face(full: dict[str, Any]) -> BadgeFace:
    return BadgeFace.of(demo_institution(full["issuer"]["id"]), demo_micro_major())


def _error(data: bytes, **kwargs: Any) -> str:
    with pytest.raises(ExtractionError) as caught:
        extract(data, **kwargs)
    message = caught.value.message
    assert message.render("zh") != message.render("en")  # translated
    return message.render("en")


def _verifies(credential: Any) -> bool:
    result = verify_credential(credential, now=NOW, status_lists={STATUS_URL: status_list()})
    return result.verified


# --- recognising the input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "hints", "expected"),
    [
        (b'{"a": 1}', {}, "json"),
        (b'\xef\xbb\xbf  \n[{"a": 1}]', {}, "json"),
        (b"%PDF-1.7\n...", {}, "pdf"),
        (b"junk before the header %PDF-2.0\n", {}, "pdf"),
        (b"\x89PNG\r\n\x1a\nrest", {}, "png"),
        (b"\xff\xd8\xff\xe0rest", {}, "jpeg"),
        (b'<?xml version="1.0"?>\n<!-- badge -->\n<svg xmlns="http://www.w3.org/2000/svg"/>', {}, "svg"),
        (b"not json at all", {}, "json"),
        (b"", {}, None),
        (b"GIF89a\x01\x00\x01\x00\x80\xff\xff", {}, None),
        (b"GIF89a\x01\x00\x01\x00\x80\xff\xff", {"filename": "credential.json"}, "json"),
        (b"\x00\x01\x02\xff", {"content_type": "application/ld+json; charset=utf-8"}, "json"),
        (b"<html><body>no svg here</body></html>", {}, "json"),
    ],
)
def test_the_kind_of_input_comes_from_its_bytes(
    data: bytes, hints: dict[str, str], expected: str | None
) -> None:
    assert detect(data, **hints) == expected


def test_a_file_name_does_not_override_the_content(full: dict[str, Any]) -> None:
    baked = bake_png(plain_png(), full)
    found = extract(baked, filename="certificate.pdf", content_type="application/pdf").primary
    assert (found.source, found.container) == ("png", "png")


def test_unrecognised_binary_input_is_refused() -> None:
    assert "not a credential (JSON), a PDF" in _error(b"GIF89a\x01\x00\x01\x00\x80\xff\xff")


def test_oversized_input_is_refused_before_parsing() -> None:
    assert "at most" in _error(b"%PDF-1.7\n" + b"\0" * MAX_FILE_BYTES)


# --- JSON -------------------------------------------------------------------------------------


def test_credential_json_is_carried_as_is(full: dict[str, Any]) -> None:
    extraction = extract(json.dumps(full).encode())
    assert extraction.container == "json"
    assert [(f.source, f.qr_text) for f in extraction.found] == [("json", None)]
    assert extraction.primary.credential == full
    assert extraction.primary.description.render("en") == "the credential file"


def test_broken_json_is_reported_as_broken_json() -> None:
    assert "not valid JSON" in _error(b'{"a": 1,}')
    assert "duplicate key" in _error(b'{"a": 1, "a": 2}')


# --- baked badges -----------------------------------------------------------------------------


def test_a_baked_png_badge_carries_its_credential(full: dict[str, Any]) -> None:
    found = extract_credential(baked_badge_png(_face(full), full), filename="badge.png")
    assert (found.source, found.container) == ("png", "png")
    assert found.credential == full
    assert found.description.render("zh") == "PNG 徽章中嵌入的凭证"
    assert _verifies(found.credential)


def test_a_baked_svg_badge_carries_its_credential(full: dict[str, Any]) -> None:
    found = extract_credential(baked_badge_svg(_face(full), full))
    assert (found.source, found.container) == ("svg", "svg")
    assert found.credential == full


def test_an_svg_without_a_credential_says_so() -> None:
    assert "no baked credential" in _error(b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>')


def test_a_vc_jwt_badge_is_named_as_unsupported() -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
        b'<openbadges:credential verify="header.payload.signature"/></svg>'
    )
    assert "VC-JWT" in _error(svg)


def test_an_open_badges_2_png_is_named_as_such() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("openbadges", '{"type": "Assertion"}')
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG", pnginfo=info)
    assert "Open Badges 2.0" in _error(out.getvalue())


def test_json_mentioning_pdf_is_still_json() -> None:
    assert detect(b'{"description": "see %PDF-1.7"}') == "json"


def test_a_damaged_badge_is_refused_with_the_reason(full: dict[str, Any]) -> None:
    png = bytearray(bake_png(plain_png(), full))
    png[png.index(b"IDAT") + 6] ^= 0xFF
    assert "CRC" in _error(bytes(png))


# --- QR codes in images -----------------------------------------------------------------------


def test_a_png_screenshot_of_the_qr_code_carries_the_summary(full: dict[str, Any], qr_text: str) -> None:
    extraction = extract(qr_png(qr_text))
    found = extraction.primary
    assert (found.source, found.container, found.qr_text) == ("qr", "png", qr_text)
    assert found.credential == summary_for(full)
    assert found.description.render("en") == "the QR code in the image"
    assert _verifies(found.credential)


def test_a_jpeg_photo_of_the_qr_code_is_read(qr_text: str) -> None:
    found = extract(qr_photo(qr_text)).primary
    assert (found.source, found.container) == ("qr", "jpeg")
    assert found.credential == decode_qr_text(qr_text)


def test_an_image_with_nothing_readable_says_so() -> None:
    assert "neither a baked credential nor a QR code" in _error(plain_png())
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(out, "JPEG")
    assert "No QR code could be read" in _error(out.getvalue())


def test_a_qr_code_that_is_not_a_certificate_is_refused() -> None:
    message = _error(qr_png("https://example.com/menu"))
    assert message.startswith("The QR code is not a certificate's QR code")


def test_the_certificate_qr_is_found_among_other_qr_codes(qr_text: str) -> None:
    other = Image.open(io.BytesIO(qr_png("https://example.com/menu"))).convert("L")
    ours = Image.open(io.BytesIO(qr_png(qr_text))).convert("L")
    sheet = Image.new("L", (other.width + ours.width + 40, max(other.height, ours.height)), 255)
    sheet.paste(other, (0, 0))
    sheet.paste(ours, (other.width + 40, 0))
    out = io.BytesIO()
    sheet.save(out, "PNG")
    assert extract(out.getvalue()).primary.qr_text == qr_text


def test_an_image_bomb_is_refused_before_decoding() -> None:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 30_000, 30_000, 1, 0, 0, 0, 0)  # 900 megapixels, 1 bit
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 4096))
        + chunk(b"IEND", b"")
    )
    started = time.perf_counter()
    assert "pixels" in _error(bomb)
    assert time.perf_counter() - started < 2


def test_a_damaged_jpeg_is_refused() -> None:
    assert "could not be decoded" in _error(b"\xff\xd8\xff\xe0" + b"\x00" * 64)


def test_qr_text_is_read_from_the_link_or_refused_clearly(full: dict[str, Any], qr_text: str) -> None:
    found = from_qr_text("  " + qr_text + "\n")
    assert (found.source, found.container, found.qr_text) == ("qr", "text", qr_text)
    assert found.credential == summary_for(full)
    with pytest.raises(ExtractionError, match="not a microcred certificate QR code"):
        from_qr_text("https://example.com/")


# --- PDF certificates -------------------------------------------------------------------------


def test_a_pdf_a3_certificate_carries_its_credential_and_its_qr_code(
    full: dict[str, Any], qr_text: str
) -> None:
    extraction = extract(certificate_pdf(full, qr_text))
    assert extraction.container == "pdf"
    assert [(f.source, f.container) for f in extraction.found] == [("pdf", "pdf"), ("qr", "pdf")]
    embedded, code = extraction.found
    assert embedded.credential == full
    assert code.qr_text == qr_text
    assert embedded.description.render("en") == "the credential embedded in the PDF certificate"
    assert code.description.render("zh") == "PDF 证书上的二维码"
    assert _verifies(embedded.credential)
    assert _verifies(code.credential)
    check_related_resource(code.credential, embedded.credential)  # they belong together


def test_extract_credential_takes_the_embedded_one_without_rendering_the_page(full: dict[str, Any]) -> None:
    found = extract_credential(certificate_pdf(full, qr_text=None))
    assert (found.source, found.credential) == ("pdf", full)


def test_a_pdf_without_a_qr_code_notes_it(full: dict[str, Any]) -> None:
    extraction = extract(certificate_pdf(full, qr_text=None))
    assert [f.source for f in extraction.found] == ["pdf"]
    assert [note.render("en") for note in extraction.notes] == [
        "No QR code could be read on the PDF certificate."
    ]


def test_a_pdf_with_only_a_qr_code_carries_the_summary(qr_text: str) -> None:
    found = extract(certificate_pdf(None, qr_text)).found
    assert [(f.source, f.container) for f in found] == [("qr", "pdf")]


def test_a_pdf_with_neither_is_refused() -> None:
    assert "no attached credential and no readable QR code" in _error(certificate_pdf(None, None))


@pytest.mark.parametrize(
    "attached",
    [
        Attached(b"", associated=True, embedded=False),
        Attached(b"", associated=False, embedded=True),
        Attached(b"", relationship=None, media_type=None, name="cert.jsonld", associated=False),
        Attached(b"", relationship="Data", media_type="application/vc+ld+json", name="x"),
    ],
    ids=["af-only", "name-tree-only", "json-file-name", "json-media-type"],
)
def test_attached_credentials_are_found_by_af_or_name_tree(full: dict[str, Any], attached: Attached) -> None:
    data = json.dumps(full, ensure_ascii=False).encode()
    pdf = assembled_pdf(
        [
            Attached(
                data,
                attached.name,
                attached.media_type,
                attached.relationship,
                attached.associated,
                attached.embedded,
            )
        ]
    )
    assert extract_credential(pdf).credential == full


def test_other_attachments_are_ignored(full: dict[str, Any]) -> None:
    pdf = assembled_pdf(
        [
            Attached(b"\x89PNG...", name="seal.png", media_type="image/png", relationship="Supplement"),
            Attached(json.dumps(full).encode()),
        ]
    )
    assert [f.credential for f in extract(pdf, read_qr=False).found] == [full]


def test_the_source_attachment_wins_over_other_json_attachments(full: dict[str, Any]) -> None:
    pdf = assembled_pdf(
        [
            Attached(b'{"note": "a data file"}', name="data.json", relationship="Data"),
            Attached(json.dumps(full).encode()),
        ]
    )
    assert extract_credential(pdf).credential == full


def test_two_candidate_credentials_are_refused(full: dict[str, Any]) -> None:
    pdf = assembled_pdf([Attached(json.dumps(full).encode(), name=f"c{i}.json") for i in range(2)])
    assert "2 attached credentials" in _error(pdf)


def test_a_pdf_whose_qr_code_is_not_a_certificate_still_gives_the_embedded_credential(
    full: dict[str, Any],
) -> None:
    extraction = extract(assembled_pdf([Attached(json.dumps(full).encode())], qr_text="https://example.com/"))
    assert [f.source for f in extraction.found] == ["pdf"]
    assert "not a certificate's QR code" in extraction.notes[0].render("en")


@pytest.mark.parametrize(
    ("pdf", "expected"),
    [
        (lambda: assembled_pdf([Attached(b"{broken")]), "not valid JSON"),
        (lambda: assembled_pdf([Attached(b"{}")], password="secret"), "encrypted"),  # noqa: S106
        (lambda: b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF", "damaged"),
        (lambda: b"%PDF-1.7\n" + b"\xff" * 4096, "damaged"),
        (lambda: assembled_pdf([Attached(b" " * (600 * 1024))]), "at most"),
        (
            lambda: assembled_pdf([Attached(b"{}", name=f"f{i}.json", associated=False) for i in range(70)]),
            "more than 64",
        ),
    ],
    ids=["not-json", "encrypted", "no-catalog", "garbage", "oversized-attachment", "too-many-attachments"],
)
def test_unusable_pdfs_are_refused_clearly(pdf: Any, expected: str) -> None:
    assert expected in _error(pdf())


def test_a_compressed_attachment_bomb_stops_at_the_limit() -> None:
    bomb = zlib.compress(b" " * 50_000_000, 9)  # 50 MB of spaces in about 50 KB
    pdf = assembled_pdf([Attached(bomb, deflated=True)])
    started = time.perf_counter()
    assert "expands beyond its limits" in _error(pdf, read_qr=False)
    assert time.perf_counter() - started < 5


def test_a_compressed_attachment_is_read(full: dict[str, Any]) -> None:
    pdf = assembled_pdf([Attached(zlib.compress(json.dumps(full).encode()), deflated=True)])
    assert extract_credential(pdf).credential == full
