"""The public verifier on the web: the ``/verify`` page and the verification API.

The one verifier module that imports FastAPI (a test enforces it): everything it shows comes
from framework-free modules — :mod:`verifier.web_input` (what the visitor handed over),
:mod:`verifier.web_view` (what the page shows), :mod:`verifier.vcapi` (the VC-API answer) and
:mod:`verifier.web_config` (settings). Two ways to run it:

* :func:`create_verifier_app` — a standalone public verifier (``microcred-verify serve``);
* :func:`verifier_router` — an ``APIRouter`` the issuer app mounts, so a demo serves the
  issuer and the verifier on one origin.

Routes: ``GET /verify`` (the page), ``POST /verify`` (the page's no-JavaScript form, answered
with the whole page), ``POST /verify/fragment`` (the same form from the page's script, answered
with the result section only), ``GET /verify/static/{name}`` (its CSS/JS), ``POST /api/verify``
(JSON or a file upload → the result the page shows) and ``POST /credentials/verify`` (the
W3C VC-API shape). Nothing is stored; the page loads nothing from another origin and runs
under a strict Content-Security-Policy with no inline script or style.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import jinja2
import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .i18n import LANGUAGES, placeholders
from .result import VerificationResult
from .vcapi import VCAPIRequestError, parse_vcapi_request, vcapi_response
from .web_config import VerifierConfig
from .web_input import (
    InputError,
    Submission,
    bad_input,
    from_json_body,
    from_text,
    from_upload,
    too_large,
    unsupported_media_type,
)
from .web_slots import VerificationSlots
from .web_view import UI, build_view, label
from .web_workers import serve_workers

PROBLEM_JSON = "application/problem+json"
_PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = _PACKAGE_DIR / "static"

#: Content-Security-Policy of every page: own origin only, no inline code, no framing. The
#: camera preview needs ``media-src blob:``; ``img-src data:`` lets the page draw the frame.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


def templates_dir() -> Path:
    """``templates/`` of the checkout, or ``verifier/_data/templates`` in a wheel."""
    for candidate in (_PACKAGE_DIR / "_data" / "templates", _PACKAGE_DIR.parent / "templates"):
        if (candidate / "verify.html.j2").is_file():
            return candidate
    raise FileNotFoundError("templates/verify.html.j2 not found next to the verifier package")


@dataclass(frozen=True, slots=True)
class StaticFile:
    content: bytes
    media_type: str
    etag: str


def _load_static() -> dict[str, StaticFile]:
    """Every static file, read once: a fixed set, so a request can name nothing else."""
    files: dict[str, StaticFile] = {}
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file() and path.suffix in _STATIC_TYPES:
            content = path.read_bytes()
            etag = '"' + hashlib.sha256(content).hexdigest()[:16] + '"'
            files[path.relative_to(STATIC_DIR).as_posix()] = StaticFile(
                content, _STATIC_TYPES[path.suffix], etag
            )
    return files


def request_language(request: Request, default: str) -> str:
    """``?lang=`` first, then the browser's ``Accept-Language`` (by preference), then ``default``."""
    chosen = request.query_params.get("lang")
    if chosen in LANGUAGES:
        return chosen
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(request.headers.get("accept-language", "").split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else default


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise too_large(limit)
    return bytes(body)


@dataclass(frozen=True, slots=True)
class FormData:
    """The fields and the first file of a form, parsed in memory (nothing touches the disk)."""

    fields: dict[str, str]
    file: tuple[str | None, str | None, bytes] | None


def parse_form(content_type: str, body: bytes) -> FormData:
    """Parse ``multipart/form-data`` or ``application/x-www-form-urlencoded``."""
    media_type = content_type.split(";", maxsplit=1)[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
        except (UnicodeDecodeError, ValueError):
            raise bad_input(UI["error"]) from None
        return FormData(dict(pairs), None)
    if media_type != "multipart/form-data":
        raise bad_input(UI["upload_hint"])
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    fields: dict[str, str] = {}
    upload: tuple[str | None, str | None, bytes] | None = None
    if not message.is_multipart():
        raise bad_input(UI["upload_hint"])
    for part in list(message.iter_parts())[:20]:
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            if upload is None and data:
                upload = (part.get_filename(), part.get_content_type(), data)
        elif isinstance(name, str):
            fields[name] = data.decode("utf-8", "replace")
    return FormData(fields, upload)


def _submission_from_form(form: FormData) -> Submission:
    if form.file is not None:
        filename, content_type, data = form.file
        return from_upload(data, filename, content_type)
    for key in ("qr", "text"):
        if form.fields.get(key, "").strip():
            return from_text(form.fields[key])
    raise bad_input(UI["paste_hint"])


class VerifierService:
    """The verify operation and the page renderer, shared by the router's endpoints."""

    def __init__(self, config: VerifierConfig) -> None:
        self.config = config
        self.static = _load_static()
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates_dir())),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def verify(self, submission: Submission) -> VerificationResult:
        now = self.config.now() if self.config.now is not None else None
        return self.config.verifier.verify_credential(submission.credential, now=now)

    def answer(self, submission: Submission, language: str) -> dict[str, Any]:
        """The API's answer: the VerificationResult JSON, the source kind and the page's view."""
        result = self.verify(submission)
        return self._answer(result, submission, language)

    def _answer(self, result: VerificationResult, submission: Submission, language: str) -> dict[str, Any]:
        body = result.to_json(language)
        body["source"] = submission.source
        body["view"] = self.view(result, language, submission.source)
        return body

    def view(self, result: VerificationResult, language: str, source: str | None) -> dict[str, Any]:
        return build_view(
            result, language, source=source, trust_configured=self.config.has_trust_lists
        ).to_json()

    def render(self, template: str, language: str, **context: Any) -> str:
        ui = {key: text.render(language) for key, text in UI.items() if not placeholders(text.template)}
        return self.templates.get_template(template).render(
            lang=language,
            other_lang="en" if language == "zh" else "zh",
            ui=ui,
            label=partial(label, language=language),
            static=self.static_url,
            version=__version__,
            **context,
        )

    def static_url(self, name: str) -> str:
        """``/verify/static/NAME?v=HASH``: cached for a year, refreshed when the file changes."""
        found = self.static[name]
        return f"/verify/static/{name}?v={found.etag.strip(chr(34))}"


def _problem(error: InputError, language: str, instance: str) -> JSONResponse:
    return JSONResponse(
        error.to_problem(language, instance),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers={"Cache-Control": "no-store"},
    )


def _html(content: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(content, status_code=status, headers=SECURITY_HEADERS)


def verifier_router(config: VerifierConfig) -> APIRouter:
    """The verifier's routes, for :func:`create_verifier_app` or another app to include."""
    service = VerifierService(config)
    # A service serving its own documents from its database: that read would block the loop.
    slots = VerificationSlots(config.concurrency, inline=not config.verifier.has_local_documents)
    router = APIRouter(tags=["verify"])

    @router.get("/verify", response_class=HTMLResponse, summary="The verify page")
    async def page(request: Request) -> HTMLResponse:
        language = request_language(request, config.language)
        return _html(service.render("verify.html.j2", language, result=None, error=None))

    async def _from_form(request: Request, language: str) -> tuple[dict[str, Any] | None, InputError | None]:
        try:
            body = await read_body(request, config.max_upload_bytes)
            form = parse_form(request.headers.get("content-type", ""), body)
            submission = _submission_from_form(form)
        except InputError as error:
            return None, error
        result = await slots.run(service.verify, submission)
        return service.view(result, language, submission.source), None

    @router.post("/verify", response_class=HTMLResponse, summary="The verify page's form (no script)")
    async def page_form(request: Request) -> HTMLResponse:
        language = request_language(request, config.language)
        view, error = await _from_form(request, language)
        problem = error.to_problem(language) if error else None
        html = service.render("verify.html.j2", language, result=view, error=problem)
        return _html(html, error.status if error else 200)

    @router.post("/verify/fragment", response_class=HTMLResponse, summary="The result section only")
    async def page_fragment(request: Request) -> HTMLResponse:
        language = request_language(request, config.language)
        view, error = await _from_form(request, language)
        problem = error.to_problem(language) if error else None
        html = service.render("verify/_answer.html.j2", language, result=view, error=problem)
        return _html(html, error.status if error else 200)

    @router.get("/verify/static/{name:path}", include_in_schema=False)
    async def static(name: str, request: Request) -> Response:
        found = service.static.get(name)
        if found is None:
            return Response(status_code=404)
        headers = {
            "ETag": found.etag,
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        }
        if request.headers.get("if-none-match") == found.etag:
            return Response(status_code=304, headers=headers)
        return Response(found.content, media_type=found.media_type, headers=headers)

    @router.post(
        "/api/verify",
        summary="Verify a credential (JSON, QR text or file upload)",
        description=(
            'Body: the credential as JSON, or `{"credential": ...}`, or `{"qr": "<QR text>"}`, '
            "or `multipart/form-data` with a `file` (PDF, PNG, SVG, JPEG, JSON). Answers 200 with "
            "the verification result (whatever the outcome), the source kind and the page's view; "
            "400/413/415/422 `application/problem+json` when there is nothing to verify."
        ),
    )
    async def api_verify(request: Request) -> JSONResponse:
        language = request_language(request, config.language)
        try:
            body = await read_body(request, config.max_upload_bytes)
            media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
                submission = _submission_from_form(parse_form(request.headers["content-type"], body))
            elif media_type in (
                "",
                "application/json",
                "application/ld+json",
                "application/vc+ld+json",
                "application/vc",
                "text/plain",
            ):
                submission = from_json_body(body)
            else:
                raise unsupported_media_type(media_type)
        except InputError as error:
            return _problem(error, language, request.url.path)
        answer = await slots.run(service.answer, submission, language)
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})

    @router.post(
        "/credentials/verify",
        summary="Verify a credential (W3C VC-API)",
        description=(
            'VC-API `verifyCredential`: body `{"verifiableCredential": ..., "options": {}}`. '
            "200 with `verified: true`; 400 with `verified: false` and the reasons in `errors`."
        ),
    )
    async def vcapi_verify(request: Request) -> JSONResponse:
        language = request_language(request, config.language)
        try:
            body = await read_body(request, config.max_upload_bytes)
            request_body = parse_vcapi_request(body)
        except (InputError, VCAPIRequestError) as error:
            return _problem(
                error if isinstance(error, InputError) else error.error, language, request.url.path
            )
        submission = Submission(request_body.credential, "json")
        result = await slots.run(service.verify, submission)
        status, payload = vcapi_response(result, request_body, language)
        return JSONResponse(payload, status_code=status, headers={"Cache-Control": "no-store"})

    return router


def create_verifier_app(config: VerifierConfig | None = None) -> FastAPI:
    """A standalone public verifier: the page at ``/verify`` (``/`` redirects there) and the API."""
    settings = config or VerifierConfig.from_env()
    app = FastAPI(
        title="microcred verifier",
        version=__version__,
        description="Verify micro-major certificates (W3C VC 2.0 / Open Badges 3.0) — nothing is stored.",
    )
    app.include_router(verifier_router(settings))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        problem = {
            "type": "about:blank",
            "title": HTTPStatus(exc.status_code).phrase,
            "status": exc.status_code,
            "instance": request.url.path,
        }
        return JSONResponse(problem, status_code=exc.status_code, media_type=PROBLEM_JSON)

    @app.get("/", include_in_schema=False)
    async def home(request: Request) -> RedirectResponse:
        target = "/verify" + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(target, status_code=307)

    @app.get("/healthz", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def run_server(host: str = "127.0.0.1", port: int = 8080, workers: int = 1) -> None:
    """Serve :func:`create_verifier_app` (settings from the environment) until interrupted.

    No access log: a public verifier keeps no record of who checked what.
    """
    config: dict[str, Any] = {
        "app": "verifier.web:create_verifier_app",
        "factory": True,
        "host": host,
        "port": port,
        "proxy_headers": False,
        "server_header": False,
        "access_log": False,
    }
    if workers == 1:
        uvicorn.Server(uvicorn.Config(**config)).run()
        return
    serve_workers(config, host, port, workers)  # one listening socket per worker (SO_REUSEPORT)
