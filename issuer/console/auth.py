"""Signing in and out, and the language switch.

Passwords are checked by :func:`issuer.accounts.authenticate_password` (Argon2id, and the
account is locked for a while after repeated failures); a successful sign-in starts a new
server-side session (see :mod:`issuer.console.sessions`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ..accounts import LOCKOUT, MAX_FAILED_LOGINS, authenticate_password
from ..api.deps import ServiceDep
from ..errors import ServiceError
from .rendering import LANGUAGE_COOKIE, LANGUAGES, render_page
from .routing import ConsoleRoute, FormDep, UserDep, csrf_refused
from .sessions import (
    SESSION_COOKIE,
    clear_session_cookie,
    end_session,
    load_session,
    new_signin_token,
    same_origin,
    secure_cookies,
    set_session_cookie,
    set_signin_cookie,
    signin_token_matches,
    start_session,
)

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
HOME = "/console"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a console path of this site (no open redirect)."""
    if not target or not target.startswith(HOME) or target.startswith("//") or "\\" in target:
        return HOME
    if any(ord(c) < 0x20 for c in target):
        return HOME
    return target


def _signin_page(
    request: Request,
    service: ServiceDep,
    *,
    next_url: str,
    username: str = "",
    error: ServiceError | None = None,
    signed_out: bool = False,
) -> Response:
    token = new_signin_token()
    response = render_page(
        request,
        service,
        "signin.html",
        {
            "next_url": next_url,
            "username": username,
            "error": error,
            "signed_out": signed_out,
            "signin_token": token,
            "max_failed": MAX_FAILED_LOGINS,
            "lockout_minutes": int(LOCKOUT.total_seconds() // 60),
        },
        status=error.status if error is not None else 200,
    )
    set_signin_cookie(response, service, token)
    return response


@router.get("/signin")
def signin_form(
    request: Request,
    service: ServiceDep,
    next_url: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
    signed_out: Annotated[bool, Query(alias="signed_out")] = False,
) -> Response:
    if load_session(service, request.cookies.get(SESSION_COOKIE)) is not None:
        return RedirectResponse(safe_next(next_url), 303)
    return _signin_page(request, service, next_url=safe_next(next_url), signed_out=signed_out)


@router.post("/signin")
def signin(
    request: Request,
    service: ServiceDep,
    *,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    signin_token: Annotated[str, Form(max_length=128)] = "",
    next_url: Annotated[str, Form(alias="next", max_length=2000)] = HOME,
) -> Response:
    if not same_origin(request, service) or not signin_token_matches(request, signin_token):
        raise csrf_refused()
    try:
        authenticate_password(service, username.strip(), password)
    except ServiceError as exc:
        return _signin_page(request, service, next_url=safe_next(next_url), username=username, error=exc)
    token = start_session(service, username.strip(), replaces=request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(safe_next(next_url), 303)
    set_session_cookie(response, service, token)
    return response


@router.post("/signout")
def signout(request: Request, service: ServiceDep, _user: UserDep, _form: FormDep) -> Response:
    end_session(service, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/console/signin?signed_out=true", 303)
    clear_session_cookie(response, service)
    return response


@router.get("/language/{language}")
def switch_language(
    language: str,
    service: ServiceDep,
    next_url: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> Response:
    """Remember the reader's language (a preference cookie; nothing on the server changes)."""
    response = RedirectResponse(safe_next(next_url), 303)
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=365 * 24 * 3600,
            path="/",
            secure=secure_cookies(service),
            samesite="lax",
        )
    return response
