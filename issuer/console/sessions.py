"""Server-side console sessions, their cookie, and CSRF tokens.

Design (OWASP Session Management and CSRF Prevention cheat sheets):

* The cookie carries 256 random bits; the database keeps only their SHA-256, with the user,
  the session's CSRF token and two expiry times: an *idle* one (no request for
  :data:`IDLE_TIMEOUT` ends the session) and an *absolute* one (:data:`ABSOLUTE_TIMEOUT` after
  sign-in, whatever the activity).
* Signing in always creates a new session (and ends the one the browser presented, if any),
  so a session id planted before sign-in is worthless (session fixation).
* The cookie is ``HttpOnly``, ``SameSite=Strict``, scoped to ``/console``, and ``Secure``
  whenever the service's base URL is https.
* Every state-changing request must carry the session's CSRF token (a hidden form field, or
  the ``X-CSRF-Token`` header for the console's own scripts); compared in constant time.
  Requests whose ``Origin`` names another site are refused as well.
* The sign-in form, which has no session yet, is protected by a double-submit token: a random
  value in a short-lived ``SameSite=Strict`` cookie that the form must echo.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete
from sqlmodel import col, or_, select
from starlette.requests import Request
from starlette.responses import Response

from ..accounts import ROLE_SCOPES, Principal
from ..db import transaction
from ..models import User
from ..service import Service
from .models import ConsoleSession

SESSION_COOKIE = "mc_console"
SIGNIN_COOKIE = "mc_console_signin"
COOKIE_PATH = "/console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
#: A session unused for this long ends.
IDLE_TIMEOUT = timedelta(minutes=30)
#: A session ends this long after sign-in, however active.
ABSOLUTE_TIMEOUT = timedelta(hours=12)
#: ``last_seen_at`` is written at most this often (one write per minute, not per request).
TOUCH_INTERVAL = timedelta(seconds=60)
SIGNIN_FORM_LIFETIME = timedelta(hours=1)
#: Longer cookie values are not ours (tokens are 43 characters).
MAX_TOKEN_LENGTH = 128


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """The signed-in person: their permissions (as for the API) and their session."""

    principal: Principal
    display_name: str
    session_id: str
    csrf_token: str
    flash: tuple[dict[str, Any], ...]

    def can(self, scope: str) -> bool:
        return scope in self.principal.scopes


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def secure_cookies(service: Service) -> bool:
    return service.settings.base_url.startswith("https://")


def start_session(service: Service, username: str, *, replaces: str | None = None) -> str:
    """A new session for ``username`` (already authenticated); returns the cookie token.

    ``replaces`` is the token the browser presented, if any: that session ends here.
    Expired sessions of everyone are cleared at the same time.
    """
    token = secrets.token_urlsafe(32)
    now = service.now()
    with transaction(service.engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        stale = or_(
            col(ConsoleSession.expires_at) < now, col(ConsoleSession.last_seen_at) < now - IDLE_TIMEOUT
        )
        if replaces:
            stale = or_(stale, col(ConsoleSession.id) == _hash(replaces))
        session.execute(delete(ConsoleSession).where(stale))
        session.add(
            ConsoleSession(
                id=_hash(token),
                user_id=user.id or 0,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                last_seen_at=now,
                expires_at=now + ABSOLUTE_TIMEOUT,
            )
        )
    return token


def load_session(service: Service, token: str | None) -> ConsoleUser | None:
    """The signed-in user for a cookie token, or ``None`` (unknown, expired, or account disabled).

    Reading is a read-only transaction, so pages load while a batch is being issued; a write
    follows only when the session ends, its last use must be recorded (at most once a
    minute), or flash messages are handed out (once: reading them clears them).
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    now = service.now()
    session_id = _hash(token)
    with transaction(service.engine, write=False) as session:
        row = session.get(ConsoleSession, session_id)
        user = session.get(User, row.user_id) if row is not None else None
    if row is None:
        return None
    expired = _aware(row.expires_at) <= now or _aware(row.last_seen_at) + IDLE_TIMEOUT <= now
    if expired or user is None or not user.active:
        end_session(service, token)
        return None
    flash: tuple[dict[str, Any], ...] = ()
    if row.flash or now - _aware(row.last_seen_at) >= TOUCH_INTERVAL:
        with transaction(service.engine) as session:
            current = session.get(ConsoleSession, session_id)
            if current is None:  # signed out in another tab meanwhile
                return None
            flash = tuple(current.flash or ())
            current.last_seen_at = now
            current.flash = []
            session.add(current)
    principal = Principal(user.username, user.role, ROLE_SCOPES[user.role], user.college_id)
    return ConsoleUser(principal, user.display_name, row.id, row.csrf_token, flash)


def add_flash(service: Service, user: ConsoleUser, kind: str, message: dict[str, str]) -> None:
    """Queue a message (``{"en": …, "zh": …}``) for the next page this session shows."""
    with transaction(service.engine) as session:
        row = session.get(ConsoleSession, user.session_id)
        if row is not None:
            row.flash = [*(row.flash or []), {"kind": kind, "message": message}]
            session.add(row)


def end_session(service: Service, token: str | None) -> None:
    if not token:
        return
    with transaction(service.engine) as session:
        session.execute(delete(ConsoleSession).where(col(ConsoleSession.id) == _hash(token)))


def set_session_cookie(response: Response, service: Service, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(ABSOLUTE_TIMEOUT.total_seconds()),
        path=COOKIE_PATH,
        secure=secure_cookies(service),
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, service: Service) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=COOKIE_PATH, secure=secure_cookies(service), httponly=True, samesite="strict"
    )


def new_signin_token() -> str:
    """A fresh double-submit token for the sign-in form."""
    return secrets.token_urlsafe(32)


def set_signin_cookie(response: Response, service: Service, token: str) -> None:
    """The cookie half of the sign-in form's double-submit token."""
    response.set_cookie(
        SIGNIN_COOKIE,
        token,
        max_age=int(SIGNIN_FORM_LIFETIME.total_seconds()),
        path=COOKIE_PATH,
        secure=secure_cookies(service),
        httponly=True,
        samesite="strict",
    )


def signin_token_matches(request: Request, submitted: str | None) -> bool:
    expected = request.cookies.get(SIGNIN_COOKIE)
    return bool(expected and submitted) and hmac.compare_digest(
        str(expected).encode(), str(submitted).encode()
    )


def same_origin(request: Request, service: Service) -> bool:
    """False when the browser says the request comes from another site (Origin / Sec-Fetch-Site).

    The origin is compared by host and port with the request's ``Host`` and with the base URL
    (behind a TLS-terminating proxy the scheme the app sees may differ from the browser's).
    """
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    netloc = urlsplit(origin).netloc
    return bool(netloc) and netloc in (request.url.netloc, urlsplit(service.settings.base_url).netloc)


def csrf_token_matches(user: ConsoleUser, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(user.csrf_token.encode(), str(submitted).encode())
