"""How a console request is answered: who is signed in, CSRF checks, and errors as pages.

The API answers errors as ``application/problem+json``; a person in a browser needs a page.
:class:`ConsoleRoute` wraps every console route so that

* a request without a valid session is sent to the sign-in page (``/console/…json``
  endpoints get a 401 JSON answer instead, for the console's scripts);
* a :class:`~issuer.errors.ServiceError` (a refused permission, an unknown certificate…)
  becomes an error page with the same title and detail, in the reader's language;
* anything unexpected is logged and shown as a plain "something went wrong" page;
* every answer carries the console's security headers.

Dependencies: :data:`UserDep` (the signed-in :class:`~issuer.console.sessions.ConsoleUser`)
and :data:`FormDep` (the posted form, after its CSRF token was checked against the session).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ..api.deps import ServiceDep
from ..errors import ErrorItem, ServiceError
from ..i18n import t
from ..service import Service
from .rendering import add_security_headers, language_of, page, render_page
from .sessions import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    ConsoleUser,
    csrf_token_matches,
    load_session,
    same_origin,
)

log = logging.getLogger("microcred.console")
MAX_FORM_FIELDS = 2000
MAX_FORM_FILES = 4


class SignInRequired(Exception):
    """No valid session: go to the sign-in page."""


def csrf_refused() -> ServiceError:
    return ServiceError(
        403,
        "csrf",
        t("Form expired"),
        t(
            "This form is out of date or did not come from this console, so nothing was changed. "
            "Go back, reload the page and try again."
        ),
    )


def is_json_endpoint(request: Request) -> bool:
    return request.url.path.endswith(".json")


def error_response(
    request: Request, service: Service, exc: ServiceError, user: ConsoleUser | None
) -> Response:
    language = language_of(request, service)
    if is_json_endpoint(request):
        return JSONResponse(exc.to_problem(language, request.url.path), status_code=exc.status)
    if user is not None:
        return page(
            request, service, user, "error.html", nav="", status=exc.status, error=exc, items=list(exc.errors)
        )
    return render_page(
        request, service, "error.html", {"error": exc, "items": list(exc.errors)}, status=exc.status
    )


def _to_sign_in(request: Request, service: Service) -> Response:
    if is_json_endpoint(request):
        title = t("Not signed in").render(language_of(request, service))
        return JSONResponse({"status": 401, "title": title}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/console/signin?next={quote(target, safe='')}", 303)


def _as_service_error(request: Request, exc: Exception) -> ServiceError:
    """The failure as the service would state it; an unexpected one is logged and stated vaguely."""
    if isinstance(exc, ServiceError):
        return exc
    if isinstance(exc, RequestValidationError):
        return ServiceError(
            422,
            "invalid-request",
            t("Invalid request"),
            t("The request does not have the expected form."),
            [
                ErrorItem(str(e.get("msg", "")), ".".join(str(p) for p in e.get("loc", ())))
                for e in exc.errors()
            ],
        )
    if isinstance(exc, StarletteHTTPException):
        return ServiceError(exc.status_code, f"http-{exc.status_code}", t("Request failed"), str(exc.detail))
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return ServiceError(
        500,
        "internal-error",
        t("Internal error"),
        t("Something went wrong on the server; nothing was changed. The error has been logged."),
    )


class ConsoleRoute(APIRoute):
    """An API route whose failures are pages, and whose answers carry the security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            service: Service = request.app.state.service
            try:
                response = await handler(request)
            except SignInRequired:
                response = _to_sign_in(request, service)
            except Exception as exc:  # every failure becomes a page (or JSON for scripts)
                user = getattr(request.state, "console_user", None)
                response = error_response(request, service, _as_service_error(request, exc), user)
            return add_security_headers(response)

        return answer


def current_user(request: Request, service: ServiceDep) -> ConsoleUser:
    """The signed-in user, or :class:`SignInRequired`."""
    user = load_session(service, request.cookies.get(SESSION_COOKIE))
    if user is None:
        raise SignInRequired
    request.state.console_user = user
    return user


UserDep = Annotated[ConsoleUser, Depends(current_user)]


async def checked_form(request: Request, service: ServiceDep, user: UserDep) -> AsyncIterator[FormData]:
    """The posted form, refused (403) unless it carries this session's CSRF token.

    Uploaded files are spooled to temporary files; they are closed once the request is answered.
    """
    form = await request.form(max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS)
    try:
        submitted = form.get(CSRF_FIELD)
        token = submitted if isinstance(submitted, str) else request.headers.get(CSRF_HEADER)
        if not same_origin(request, service) or not csrf_token_matches(user, token):
            raise csrf_refused()
        yield form
    finally:
        await form.close()


FormDep = Annotated[FormData, Depends(checked_form)]


def checked_header(request: Request, service: ServiceDep, user: UserDep) -> ConsoleUser:
    """For the console's JSON calls: the CSRF token must come in the ``X-CSRF-Token`` header."""
    if not same_origin(request, service) or not csrf_token_matches(user, request.headers.get(CSRF_HEADER)):
        raise csrf_refused()
    return user


ScriptUserDep = Annotated[ConsoleUser, Depends(checked_header)]


def field(form: FormData, name: str, default: str = "") -> str:
    """A text field of ``form`` (stripped); an uploaded file where text was expected counts as empty."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else default
