"""The learner's download page: ``{base_url}/c/{token}``, reached only by its unguessable link.

The registrar hands each learner their link (:mod:`issuer.download_links`: 132-bit tokens,
only their SHA-256 stored). The page shows whose certificate it is, for which micro-major, its
status as any verifier would see it right now (:func:`issuer.public_verifier.verify_own_credential`
with this service's own DID document and status lists), and offers the certificate as

* ``certificate.pdf`` — the printed certificate, PDF/A-3b with the credential embedded
  (:func:`issuer.printing.certificate_pdf`, the institution's print options, cached);
* ``credential.json`` — the signed credential exactly as stored, ``application/vc+ld+json``
  (VC Data Model 2.0 §6.3 media type), for a VC 2.0 wallet or a verifier;
* ``badge.png`` / ``badge.svg`` — the Open Badges 3.0 baked badge (OB 3.0 §5.3);
* ``qr.png`` — the certificate's QR code (the signed summary, docs/qr-format.md);

plus an "Add to LinkedIn" link (LinkedIn's add-to-profile URL with the certification's name,
the university, the month of issue, the certificate number and the public verify link) and a
short explanation of wallets.

A revoked certificate's page says so plainly and offers nothing to download or share; a
suspended one offers its files but not LinkedIn. An unknown or malformed token gets the same
404 page, which says nothing about why.

Every answer: no scripts at all, a strict Content-Security-Policy (styles and images from
this origin only), ``Referrer-Policy: no-referrer`` (the token never leaves in a Referer
header, not even to LinkedIn), ``X-Robots-Tag: noindex`` and ``Cache-Control: private,
no-store``. Chinese or English: ``?lang=``, else the browser's ``Accept-Language``, else the
service default; the page has a switch.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

import verifier
from verifier.qr import QRPayloadError
from verifier.web import request_language

from .badge_image import BadgeFace, baked_badge_png, baked_badge_svg
from .certificate import (
    Bilingual,
    CertificateDataError,
    CertificateRenderError,
    CertificateView,
    certificate_view,
    format_date_en,
    format_date_zh,
    format_number,
)
from .credential import Bilingual as BadgeText
from .db import transaction
from .download_links import LINK_PREFIX, find_by_token
from .i18n import t
from .models import Credential
from .printing import certificate_pdf, qr_text_for
from .public_verifier import verify_own_credential
from .qr import qr_png
from .service import Service

#: ``templates/download/`` of the checkout, or where a wheel packs ``templates/`` (pyproject).
TEMPLATES = next(
    (
        folder
        for folder in (
            Path(__file__).resolve().parents[1] / "templates" / "download",
            Path(verifier.__file__).resolve().parent / "_data" / "templates" / "download",
        )
        if (folder / "page.html").is_file()
    ),
    Path(__file__).resolve().parents[1] / "templates" / "download",
)
log = logging.getLogger("microcred.learner_page")
STATIC = Path(__file__).resolve().parent / "static"
STATIC_PATH = f"{LINK_PREFIX}/static"
LINKEDIN_ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
#: On every answer of the page, its files and its 404.
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

router = APIRouter(prefix=LINK_PREFIX, include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Holding:
    """A credential found by its link, with what the page shows about it."""

    credential: Credential
    view: CertificateView
    outcome: str | None  # what a verifier says now; only the page itself asks (not its files)

    @property
    def revoked(self) -> bool:
        return self.outcome == "revoked" or self.credential.revoked_at is not None


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _language(request: Request, service: Service) -> str:
    return request_language(request, service.settings.lang)


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


#: The page's style sheets: the only names ``/c/static/`` answers (anything else is a 404
#: before any lookup, so random names cost nothing and are remembered nowhere).
STATIC_NAMES = frozenset(path.name for path in STATIC.glob("*.css") if path.is_file())


def _static_file(name: str) -> tuple[bytes, str] | None:
    """A style sheet's bytes and content hash, if ``name`` is one of :data:`STATIC_NAMES`."""
    return _read_static(name) if name in STATIC_NAMES else None


@cache
def _read_static(name: str) -> tuple[bytes, str]:
    data = (STATIC / name).read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:12]


def static_url(name: str) -> str:
    found = _static_file(name)
    version = found[1] if found else "0"
    return f"{STATIC_PATH}/{name}?v={version}"


def _render(request: Request, service: Service, template: str, status: int, **context: Any) -> HTMLResponse:
    language = _language(request, service)

    def _(text: str, **params: Any) -> str:
        return t(text, **params).render(language)

    def pick(value: Bilingual | None) -> str:
        """The text in the page's language (a Chinese name stays Chinese when there is no English)."""
        if value is None:
            return ""
        return value.zh if language == "zh" else value.en_or_zh

    page = (
        _environment()
        .get_template(template)
        .render(
            lang=language,
            _=_,
            pick=pick,
            date=format_date_zh if language == "zh" else format_date_en,
            number=format_number,
            static_url=static_url,
            **context,
        )
    )
    return HTMLResponse(page, status_code=status, headers=HEADERS)


def _not_found(request: Request, service: Service) -> HTMLResponse:
    return _render(request, service, "notice.html", 404, state="not-found")


def _holding(service: Service, token: str, *, verify: bool = True) -> Holding | None:
    """The credential behind ``token``; ``verify`` also asks the verifier for its status (the
    page shows it). A file download only needs the stored revocation, not a whole verification."""
    with transaction(service.engine, write=False) as session:
        credential = find_by_token(session, token)
    if credential is None:
        return None
    document: Mapping[str, Any] = json.loads(credential.document)
    view = certificate_view(document)
    outcome = verify_own_credential(service, credential.document).outcome if verify else None
    return Holding(credential, view, outcome)


def linkedin_url(view: CertificateView, language: str, verify_url: str) -> str:
    """LinkedIn's "add to profile" link for a certification, filled in for this certificate."""
    if language == "zh":
        name = f"{view.micro_major.zh} 微专业证书"
        organization = view.university.zh
    else:
        name = f"Micro-major Certificate: {view.micro_major.en_or_zh}"
        organization = view.university.en_or_zh
    return f"{LINKEDIN_ADD_TO_PROFILE}?" + urlencode(
        {
            "startTask": "CERTIFICATION_NAME",
            "name": name,
            "organizationName": organization,
            "issueYear": view.issued_on.year,
            "issueMonth": view.issued_on.month,
            "certUrl": verify_url,
            "certId": view.certificate_number,
        }
    )


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    found = _static_file(name)
    if found is None:
        return Response(status_code=404, headers={"X-Content-Type-Options": "nosniff"})
    return Response(
        found[0],
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/{token}")
def download_page(token: str, request: Request) -> Response:
    """The learner's page (the link the registrar handed out)."""
    service = _service(request)
    holding = _holding(service, token)
    if holding is None:
        return _not_found(request, service)
    language = _language(request, service)
    verify_url = qr_text_for(holding.credential, service.settings)
    return _render(
        request,
        service,
        "page.html",
        200,
        v=holding.view,
        outcome=holding.outcome,
        revoked=holding.revoked,
        replaced=holding.credential.superseded,
        base=f"{LINK_PREFIX}/{token}",
        verify_url=verify_url,
        linkedin=linkedin_url(holding.view, language, verify_url)
        if holding.outcome == "valid" and not holding.revoked
        else None,
    )


def _download(name: str, suffix: str, media_type: str, make: Callable[[Service, Holding], bytes]) -> None:
    """Add the route ``/c/{token}/{name}``: the file ``make`` builds, saved as ``NUMBER{suffix}``."""

    def route(token: str, request: Request) -> Response:
        service = _service(request)
        holding = _holding(service, token, verify=False)
        if holding is None:
            return _not_found(request, service)
        if holding.revoked:
            return _render(request, service, "notice.html", 410, state="revoked")
        number = "".join(
            c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in holding.view.certificate_number
        )
        try:
            content = make(service, holding)
        except (CertificateRenderError, CertificateDataError, QRPayloadError, ValueError, OSError):
            # Logged by certificate number, never by link (the token is the learner's key).
            log.exception(
                "the learner's %s of %s could not be produced", name, holding.view.certificate_number
            )
            return _render(request, service, "notice.html", 503, state="unavailable")
        return Response(
            content,
            media_type=media_type,
            headers={**HEADERS, "Content-Disposition": f'attachment; filename="{number}{suffix}"'},
        )

    route.__name__ = f"download_{name.replace('.', '_')}"
    router.add_api_route(f"/{{token}}/{name}", route, methods=["GET"])


def _face(view: CertificateView) -> BadgeFace:
    return BadgeFace(
        BadgeText(view.university.zh, view.university.en),
        BadgeText(view.micro_major.zh, view.micro_major.en),
        view.micro_major_code,
    )


_download(
    "certificate.pdf", ".pdf", "application/pdf", lambda service, h: certificate_pdf(service, h.credential)
)
_download(
    "credential.json", ".json", "application/vc+ld+json", lambda _service, h: h.credential.document.encode()
)
_download(
    "badge.png",
    "-badge.png",
    "image/png",
    lambda _service, h: baked_badge_png(_face(h.view), h.credential.document),
)
_download(
    "badge.svg",
    "-badge.svg",
    "image/svg+xml",
    lambda _service, h: baked_badge_svg(_face(h.view), h.credential.document),
)
_download(
    "qr.png", "-qr.png", "image/png", lambda service, h: qr_png(qr_text_for(h.credential, service.settings))
)
