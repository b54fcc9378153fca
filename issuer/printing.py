"""Printing a stored certificate: the one way every part of the service makes a PDF.

The learner's download page, the console (one PDF, or a cohort's ZIP), ``microcred render``
(in worker processes) and ``microcred demo`` all call :func:`certificate_pdf` (or, in a worker
without a service, :func:`render_pdf` with a :class:`PrintSetup`), so every certificate is
printed

* with the institution's print configuration from the settings
  (``MICROCRED_CERTIFICATE_LANGUAGE``, ``…_LOGO``, ``…_SEAL``, ``…_SIGNATURE``, ``…_ACCENT``),
  read once per process by :func:`certificate_options`;
* with the QR code text of :func:`qr_text_for` (the signed summary credential, docs/qr-format.md);
* through the on-disk cache of :mod:`issuer.pdf_cache` (``MICROCRED_PDF_CACHE_DIR``, at most
  ``MICROCRED_PDF_CACHE_MAX_MB``), keyed by the stored credential text, the QR text, the
  options' fingerprint and the renderer's fingerprint, so the same certificate is rendered
  once however often it is downloaded.

WeasyPrint (about 1.5 s to import) is imported only when something is actually rendered.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from verifier import __version__
from verifier.qr import encode_qr_text

from .models import Credential
from .pdf_cache import PDFCache, cache_key
from .service import Service
from .settings import Settings, image_media_type

if TYPE_CHECKING:
    from .pdf import CertificateOptions, CertificateRenderer, Image


def qr_text_for(credential: Credential, settings: Settings) -> str:
    """The text the QR code on ``credential``'s printed certificate carries.

    The certificate's signed summary credential in the QR format of :mod:`verifier.qr`
    (``{verifier_url}#MC1:…``: a phone opens the public verifier, which checks the signature
    without calling the university). A credential issued before summaries existed has none:
    its QR opens the public verifier with the credential's id, where the PDF can be checked.
    Raises :class:`~verifier.qr.QRPayloadError` (or ``ValueError``) for a damaged summary.
    """
    if credential.summary_document:
        return encode_qr_text(json.loads(credential.summary_document), settings.verifier_url)
    return f"{settings.verifier_url}?credential={quote(credential.credential_id, safe=':')}"


@dataclass(frozen=True, slots=True)
class PrintSetup:
    """How this service prints: the options and the cache (picklable, for worker processes)."""

    options: CertificateOptions
    cache: PDFCache | None


def _image(path: Path | None) -> Image | None:
    from .pdf import Image  # noqa: PLC0415 - WeasyPrint only when printing

    if path is None:
        return None
    data = path.read_bytes()
    media_type = image_media_type(data)
    return Image(data, media_type or "application/octet-stream")  # type: ignore[arg-type]  # Image refuses it


@lru_cache(maxsize=8)
def _options(
    language: str, logo: Path | None, seal: Path | None, signature: Path | None, accent: str
) -> CertificateOptions:
    from .pdf import CertificateOptions  # noqa: PLC0415 - WeasyPrint only when printing

    return CertificateOptions(
        language=language,  # type: ignore[arg-type]  # the settings allow only bilingual and zh
        logo=_image(logo),
        seal=_image(seal),
        signature=_image(signature),
        accent=accent,
    )


def certificate_options(settings: Settings) -> CertificateOptions:
    """The institution's :class:`~issuer.pdf.CertificateOptions`, built from the settings.

    The images are read once per process (restart the service after replacing one). Raises
    :class:`~issuer.pdf.CertificateRenderError` for an image the renderer refuses (the settings
    already refused a missing, oversized or non-image file at start-up).
    """
    return _options(
        settings.certificate_language,
        settings.certificate_logo,
        settings.certificate_seal,
        settings.certificate_signature,
        settings.certificate_accent,
    )


def print_setup(settings: Settings) -> PrintSetup:
    """Options and cache from ``settings`` (``MICROCRED_PDF_CACHE_MAX_MB=0``: no cache)."""
    cache = (
        PDFCache(settings.pdf_cache_dir, settings.pdf_cache_max_mb * 1024 * 1024)
        if settings.pdf_cache_max_mb > 0
        else None
    )
    return PrintSetup(certificate_options(settings), cache)


@lru_cache(maxsize=8)
def options_fingerprint(options: CertificateOptions) -> str:
    """A hex SHA-256 of everything in ``options`` that changes the printed page."""
    digest = hashlib.sha256(b"microcred-print-options/1\x00")
    digest.update(f"{options.language}\x00{options.accent}\x00".encode())
    for image in (options.logo, options.seal, options.signature):
        if image is None:
            digest.update(b"-\x00")
        else:
            digest.update(f"{image.media_type}\x00{hashlib.sha256(image.data).hexdigest()}\x00".encode())
    return digest.hexdigest()


@lru_cache(maxsize=8)
def renderer_fingerprint(font_dir: Path | None, template_dir: Path) -> str:
    """A hex SHA-256 of what makes a renderer's output: its code, templates, fonts and WeasyPrint.

    Cached PDFs made by an older template or font are never served after an upgrade.
    """
    import weasyprint  # type: ignore[import-untyped]  # noqa: PLC0415

    from . import certificate, fonts, pdf, pdf_art, pdf_layers, qr  # noqa: PLC0415

    digest = hashlib.sha256(f"weasyprint {weasyprint.__version__}\x00microcred {__version__}\x00".encode())
    for module in (pdf, pdf_art, pdf_layers, certificate, qr, fonts):
        try:
            digest.update(inspect.getsource(module).encode("utf-8"))
        except (OSError, TypeError):  # installed without sources: the version above stands in
            digest.update(module.__name__.encode())
    for path in sorted(template_dir.glob("certificate*")):
        digest.update(path.name.encode() + b"\x00" + path.read_bytes())
    if font_dir is not None and font_dir.is_dir():
        for path in sorted(font_dir.iterdir()):
            if path.is_file():
                info = path.stat()
                digest.update(f"{path.name}\x00{info.st_size}\x00{info.st_mtime_ns}\x00".encode())
    return digest.hexdigest()


def render_pdf(
    document: str, qr_text: str, setup: PrintSetup, *, renderer: CertificateRenderer | None = None
) -> bytes:
    """The PDF certificate of the stored credential text ``document``: cached, or rendered and cached.

    ``renderer`` defaults to this process's shared renderer (:func:`issuer.pdf.shared_renderer`).
    Raises :class:`~issuer.pdf.CertificateRenderError` or
    :class:`~issuer.certificate.CertificateDataError` when the certificate cannot be printed.
    """
    from . import fonts, pdf  # noqa: PLC0415 - WeasyPrint only when printing

    key = None
    if setup.cache is not None:
        font_dir = renderer.font_dir if renderer is not None else fonts.DEFAULT_FONT_DIR
        template_dir = renderer.template_dir if renderer is not None else pdf.TEMPLATE_DIR
        key = cache_key(
            document,
            qr_text,
            options_fingerprint(setup.options),
            renderer_fingerprint(font_dir, template_dir),
        )
        cached = setup.cache.get(key)
        if cached is not None:
            return cached
    if renderer is not None:
        rendered = renderer.render(document, qr_text, setup.options)
    else:
        rendered = pdf.render_certificate_pdf(document, qr_text, setup.options)
    if setup.cache is not None and key is not None:
        setup.cache.put(key, rendered)
    return rendered


def certificate_pdf(service: Service, credential: Credential) -> bytes:
    """The printed certificate of a stored credential, as this institution prints it (cached)."""
    return render_pdf(
        credential.document, qr_text_for(credential, service.settings), print_setup(service.settings)
    )
