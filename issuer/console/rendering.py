"""Pages: the Jinja environment, the reader's language, and the security headers of every answer.

Templates live in ``templates/console/`` and are autoescaped. Every word a template shows goes
through ``_("English text", **values)``, which renders the issuer's catalogue
(:mod:`issuer.i18n_zh_console` for the console's own words) in the reader's language; the i18n
test finds every ``_("…")`` in the templates and checks its translation.

Language: the ``mc_lang`` cookie (set by the switch in the page header), else the browser's
``Accept-Language`` (Chinese unless it asks for English first), else the service default.

Every console answer carries a strict Content-Security-Policy (scripts, styles and images from
this origin only, no inline script or style, no framing), ``X-Frame-Options: DENY``,
``nosniff``, ``Referrer-Policy: same-origin`` (no address leaks to other sites; the console's own forms keep their Origin header) and ``Cache-Control: no-store`` (pages show personal data).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlmodel import select
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from verifier.i18n import Text

from ..api.errors import request_language
from ..db import transaction
from ..i18n import ISSUER_ZH, t
from ..models import Institution
from ..service import Service
from .sessions import ConsoleUser

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates" / "console"
STATIC = Path(__file__).resolve().parent / "static"
STATIC_PATH = "/console/static"
LANGUAGE_COOKIE = "mc_lang"
LANGUAGES = ("zh", "en")

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def language_of(request: Request, service: Service) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return str(chosen)
    return request_language(request, service.settings.lang)


def translate(language: str, template: str, **params: Any) -> str:
    """``_()`` in templates: an English template with ``{name}`` values, in ``language``."""
    return t(template, **params).render(language)


def in_both(text: Text) -> dict[str, str]:
    """A message in both languages (stored for a page shown later, whose language may differ)."""
    return {language: text.render(language) for language in LANGUAGES}


def _render_text(value: Text | str, language: str) -> str:
    return value.render(language) if isinstance(value, Text) else str(value)


def _datetime(value: datetime | date | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") + " UTC"
    return value.isoformat()


def _number(value: Any) -> str:
    if value is None:
        return "—"
    number = float(value)
    return str(int(number)) if number == int(number) else f"{number:g}"


@cache
def _asset_version(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """A static file's URL with a content hash, so browsers may cache it and never go stale."""
    return f"{STATIC_PATH}/{name}?v={_asset_version(name)}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _datetime
    env.filters["number"] = _number
    env.filters["pretty_json"] = lambda value: json.dumps(value, ensure_ascii=False, indent=2)
    env.filters["compact_json"] = lambda value: json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    env.globals["static_url"] = static_url
    return env


def render_page(
    request: Request,
    service: Service,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    language = language_of(request, service)

    def _(template_text: str, **params: Any) -> str:
        return translate(language, template_text, **params)

    def _raw(template_text: str) -> str:
        """The translated template with its ``{placeholders}`` unfilled (the page's script fills them)."""
        return ISSUER_ZH.get(template_text, template_text) if language == "zh" else template_text

    page = (
        environment()
        .get_template(template)
        .render(
            {
                "request": request,
                "lang": language,
                "_": _,
                "_raw": _raw,
                "text": lambda value: _render_text(value, language),
                "path": request.url.path,
                "query": request.url.query,
                "institution": None,
                "user": None,
                "nav": "",
                "flash": [],
                "csrf_token": "",
                **context,
            }
        )
    )
    return HTMLResponse(page, status_code=status, headers=dict(headers or {}))


def institution_name(service: Service, language: str) -> str | None:
    with transaction(service.engine, write=False) as session:
        institution = session.exec(select(Institution)).first()
    if institution is None:
        return None
    return institution.name_zh if language == "zh" else institution.name_en or institution.name_zh


def page(
    request: Request,
    service: Service,
    user: ConsoleUser,
    template: str,
    *,
    nav: str,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page of the signed-in console (sidebar, header, flash messages, CSRF token)."""
    language = language_of(request, service)
    return render_page(
        request,
        service,
        template,
        {
            "user": user,
            "nav": nav,
            "institution": institution_name(service, language),
            "csrf_token": user.csrf_token,
            "flash": [
                {"kind": item.get("kind", "info"), "message": item.get("message", {}).get(language, "")}
                for item in user.flash
                if isinstance(item, dict)
            ],
            **context,
        },
        status=status,
    )


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
