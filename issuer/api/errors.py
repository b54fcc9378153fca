"""One error shape for the whole API: RFC 9457 ``application/problem+json``.

Service errors carry their own status and problem; request validation errors become 422 with
every field named; anything unexpected becomes a 500 whose body says nothing about the
internals (the details go to the server log, never to the client).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..download_links import redact_link
from ..errors import PROBLEM_BASE, ServiceError
from ..i18n import t

log = logging.getLogger("microcred.api")
PROBLEM_JSON = "application/problem+json"


def request_language(request: Request, default: str = "zh") -> str:
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return default


def problem_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install(app: FastAPI, default_language: str) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": 'Bearer realm="microcred"'} if exc.status == 401 else None
        return problem_response(
            exc.status, exc.to_problem(request_language(request, default_language), request.url.path), headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        language = request_language(request, default_language)
        errors = [
            {"where": ".".join(str(p) for p in error.get("loc", ())), "message": str(error.get("msg", ""))}
            for error in exc.errors()
        ]
        return problem_response(
            422,
            {
                "type": PROBLEM_BASE + "invalid-request",
                "title": t("Invalid request").render(language),
                "status": 422,
                "detail": t("The request does not have the expected form.").render(language),
                "instance": request.url.path,
                "errors": errors,
            },
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        language = request_language(request, default_language)
        titles = {404: t("Not found"), 405: t("Method not allowed"), 413: t("Too large")}
        title = titles.get(exc.status_code, t("Request failed"))
        detail = (
            str(exc.detail)
            if isinstance(exc.detail, str) and exc.status_code not in titles
            else title.render(language)
        )
        return problem_response(
            exc.status_code,
            {
                "type": PROBLEM_BASE + f"http-{exc.status_code}",
                "title": title.render(language),
                "status": exc.status_code,
                "detail": detail,
                "instance": request.url.path,
            },
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Never a learner's download token in the log (issuer/download_links.py).
        log.exception("unexpected error on %s %s", request.method, redact_link(request.url.path))
        language = request_language(request, default_language)
        return problem_response(
            500,
            {
                "type": PROBLEM_BASE + "internal-error",
                "title": t("Internal error").render(language),
                "status": 500,
                "detail": t(
                    "Something went wrong on the server; nothing was changed. The error has been logged."
                ).render(language),
                "instance": request.url.path,
            },
        )
