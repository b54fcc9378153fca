"""Test builders for the things a credential travels in: QR codes, photos, PDFs with attachments.

The certificate summary and its QR text come from the verifier's own QR format
(:mod:`verifier.qr`); the PDFs are made with WeasyPrint (PDF/A-3b, as the real certificate) or,
for shapes WeasyPrint never writes, assembled with pypdf. Every call returns fresh bytes.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import segno
import weasyprint
from factories import sign
from PIL import Image, ImageFilter
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    TextStringObject,
)

from verifier.qr import encode_qr_text, related_resource_digest
from verifier.summary_credential import CertificateSummary, SummaryStatusEntry

VERIFIER_URL = "https://verify.example.edu.cn/v"


def summary_for(full: Mapping[str, Any]) -> dict[str, Any]:
    """The signed certificate summary credential of the signed micro-major credential ``full``."""
    subject = full["credentialSubject"]
    achievement = subject["achievement"]
    status = full.get("credentialStatus", [])
    summary = CertificateSummary(
        issuer=full["issuer"]["id"],
        valid_from=full["validFrom"],
        certificate_number=full["certificateNumber"],
        learner_name=subject["name"],
        micro_major_name=achievement["name"],
        micro_major_code=achievement["humanCode"],
        college_name=achievement["creator"]["name"],
        course_count=len(achievement["resultDescription"]),
        credits_earned=subject["creditsEarned"],
        credit_system_name=achievement["creditSystem"]["name"],
        hours_per_credit=achievement["creditSystem"]["hoursPerCredit"],
        status=tuple(
            SummaryStatusEntry.from_json(e) for e in (status if isinstance(status, list) else [status])
        ),
        related_id=full["id"],
        related_digest=related_resource_digest(full),
    )
    return sign(summary.credential())


def qr_text_for(full: Mapping[str, Any]) -> str:
    """The text of the QR code printed on ``full``'s certificate."""
    return encode_qr_text(summary_for(full), VERIFIER_URL)


def qr_png(text: str, *, scale: int = 4) -> bytes:
    """A clean PNG of a QR code (error correction Q), as a screenshot would be."""
    out = io.BytesIO()
    segno.make(text, error="q").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_photo(text: str) -> bytes:
    """A JPEG "photo" of a printed QR code: on a page, slightly turned, soft and compressed."""
    code = Image.open(io.BytesIO(qr_png(text, scale=6))).convert("L")
    page = Image.new("L", (code.width * 3, code.height * 3), 235)
    page.paste(code, (code.width, code.height))
    page = page.rotate(7, resample=Image.Resampling.BICUBIC, fillcolor=235)
    page = page.filter(ImageFilter.GaussianBlur(1.2))
    out = io.BytesIO()
    page.convert("RGB").save(out, "JPEG", quality=70)
    return out.getvalue()


def plain_png(colour: str = "#1d3557") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(out, "PNG")
    return out.getvalue()


def certificate_pdf(credential: Mapping[str, Any] | None, qr_text: str | None) -> bytes:
    """A PDF/A-3b page (WeasyPrint) with ``credential`` attached as its Source and a QR code."""
    qr = ""
    if qr_text is not None:
        svg = segno.make(qr_text, error="q").svg_inline(border=4)
        qr = f'<div class="qr">{svg}</div>'
    style = "@page { size: A4 } .qr { position: absolute; right: 1cm; bottom: 1cm } .qr svg { width: 6cm; height: 6cm }"
    html = f"<html><head><style>{style}</style></head><body><h1>微专业证书 / Micro-major Certificate</h1>{qr}</body></html>"
    attachments = []
    if credential is not None:
        attachments.append(
            weasyprint.Attachment(
                string=json.dumps(credential, ensure_ascii=False),
                base_url=None,
                name="credential.json",
                relationship="Source",
            )
        )
    with warnings.catch_warnings():
        # WeasyPrint 70 leaves its sRGB ICC profile file for the garbage collector to close.
        warnings.simplefilter("ignore", ResourceWarning)
        pdf: bytes = weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/a-3b", attachments=attachments)
    return pdf


@dataclass(frozen=True)
class Attached:
    """One file to attach with :func:`assembled_pdf`."""

    data: bytes
    name: str = "credential.json"
    media_type: str | None = "application/ld+json"
    relationship: str | None = "Source"
    associated: bool = True  # listed in the catalog's /AF
    embedded: bool = True  # listed in the /EmbeddedFiles name tree
    deflated: bool = False  # ``data`` is already FlateDecode-compressed


def assembled_pdf(
    files: Sequence[Attached], *, qr_text: str | None = None, password: str | None = None
) -> bytes:
    """A one-page PDF with ``files`` attached exactly as described (pypdf, no PDF/A rules)."""
    page = Image.new("L", (1240, 1754), 255)
    if qr_text is not None:
        code = Image.open(io.BytesIO(qr_png(qr_text, scale=3))).convert("L")
        page.paste(code, (page.width - code.width - 100, page.height - code.height - 100))
    image_pdf = io.BytesIO()
    page.save(image_pdf, "PDF", resolution=150)
    writer = PdfWriter(clone_from=PdfReader(image_pdf))
    associated = ArrayObject()
    names = ArrayObject()
    for attached in files:
        stream = DecodedStreamObject()
        stream.set_data(attached.data)
        stream[NameObject("/Type")] = NameObject("/EmbeddedFile")
        if attached.deflated:
            stream[NameObject("/Filter")] = NameObject("/FlateDecode")
        if attached.media_type:
            stream[NameObject("/Subtype")] = NameObject("/" + attached.media_type)
        spec = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Filespec"),
                NameObject("/F"): TextStringObject(attached.name),
                NameObject("/UF"): TextStringObject(attached.name),
                NameObject("/EF"): DictionaryObject({NameObject("/F"): writer._add_object(stream)}),
            }
        )
        if attached.relationship:
            spec[NameObject("/AFRelationship")] = NameObject("/" + attached.relationship)
        reference = writer._add_object(spec)
        if attached.associated:
            associated.append(reference)
        if attached.embedded:
            names.extend([TextStringObject(attached.name), reference])
    if associated:
        writer._root_object[NameObject("/AF")] = associated
    if names:
        tree = DictionaryObject({NameObject("/Names"): names})
        writer._root_object[NameObject("/Names")] = DictionaryObject(
            {NameObject("/EmbeddedFiles"): writer._add_object(tree)}
        )
    if password is not None:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
