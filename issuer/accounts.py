"""People and their permissions: accounts, roles, API tokens.

Roles (DOMAIN.md, "The people"):

* ``admin`` — everything, including accounts and keys;
* ``registrar`` (教务处) — programmes, records, issuing, revoking, suspending;
* ``reviewer`` (college staff) — preview and approve, for their own college only;
* ``auditor`` — read everything, verify the audit log, change nothing.

Passwords are hashed with Argon2id (argon2-cffi defaults). API tokens are 256-bit random
strings shown once; only their SHA-256 is stored (a token is not a password: it has full
entropy, so a fast hash is the right one), found by a short public prefix, limited to scopes
the owner's role allows, and optionally expiring.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from . import audit
from .db import transaction
from .errors import ServiceError, invalid
from .i18n import t
from .models import ApiToken, College, User
from .service import Service

ROLES = ("admin", "registrar", "reviewer", "auditor")
#: What each role may do. Token scopes are a subset of these.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {"read", "programmes", "records", "approve", "issue", "revoke", "keys", "audit", "accounts"}
    ),
    "registrar": frozenset({"read", "programmes", "records", "issue", "revoke"}),
    "reviewer": frozenset({"read", "approve"}),
    "auditor": frozenset({"read", "audit"}),
}
ALL_SCOPES = frozenset().union(*ROLE_SCOPES.values())
TOKEN_PREFIX = "mc_"  # noqa: S105 - a public marker, not a secret
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is making a request, and what they may do."""

    username: str
    role: str
    scopes: frozenset[str]
    college_id: int | None

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise ServiceError(
                403,
                "forbidden",
                t("Not allowed"),
                t(
                    "{user} ({role}) may not do this: it needs the '{scope}' permission.",
                    user=self.username,
                    role=self.role,
                    scope=scope,
                ),
            )


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise invalid(t("Password too short"), t("Use at least {n} characters.", n=MIN_PASSWORD_LENGTH))
    return _hasher.hash(password)


def create_user(
    service: Service,
    username: str,
    *,
    password: str,
    role: str,
    display_name: str | None = None,
    college_code: str | None = None,
    actor: str,
) -> User:
    if role not in ROLES:
        raise invalid(t("Unknown role"), t("The role must be one of {roles}.", roles=", ".join(ROLES)))
    if not username.strip() or len(username) > 64:
        raise invalid(t("Bad user name"), t("A user name is 1 to 64 characters."))
    with transaction(service.engine) as session:
        if session.exec(select(User).where(User.username == username)).first() is not None:
            raise ServiceError(
                409, "user-exists", t("User exists"), t("There is already a user {user}.", user=username)
            )
        college_id = None
        if role == "reviewer":
            if not college_code:
                raise invalid(
                    t("College required"), t("A college reviewer belongs to a college: give its code.")
                )
            college = session.exec(select(College).where(College.code == college_code)).first()
            if college is None:
                raise invalid(t("Unknown college"), t("There is no college {code}.", code=college_code))
            college_id = college.id
        user = User(
            username=username,
            display_name=display_name or username,
            password_hash=hash_password(password),
            role=role,
            college_id=college_id,
            created_at=service.now(),
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="user.create",
            subject=username,
            details={"role": role, "college": college_code},
        )
        return user


def set_role(service: Service, username: str, role: str, *, actor: str) -> User:
    if role not in ROLES:
        raise invalid(t("Unknown role"), t("The role must be one of {roles}.", roles=", ".join(ROLES)))
    with transaction(service.engine) as session:
        user = _user(session, username)
        previous = user.role
        user.role = role
        session.add(user)
        audit.record(
            session, actor=actor, action="user.role", subject=username, details={"from": previous, "to": role}
        )
        return user


def _user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise ServiceError(404, "not-found", t("Unknown user"), t("There is no user {user}.", user=username))
    return user


def authenticate_password(service: Service, username: str, password: str) -> Principal:
    """Check a password; lock the account for a while after repeated failures.

    A failed attempt is counted (and committed) before the error is raised, so the lock-out
    holds across requests and processes.
    """
    failure = ServiceError(401, "unauthorized", t("Sign-in failed"), t("Wrong user name or password."))
    with transaction(service.engine) as session:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None or not user.active:
            _hasher.hash(password)  # same work either way: no user-name oracle through timing
            raise failure
        now = service.now()
        if user.locked_until and _aware(user.locked_until) > now:
            raise ServiceError(
                429,
                "locked",
                t("Account locked"),
                t(
                    "Too many failed sign-ins; try again after {time}.",
                    time=_aware(user.locked_until).strftime("%H:%M UTC"),
                ),
            )
        try:
            _hasher.verify(user.password_hash, password)
            accepted = True
        except (VerificationError, InvalidHashError):
            accepted = False
        if not accepted:
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
                audit.record(session, actor=username, action="user.locked", subject=username)
            session.add(user)
        else:
            user.failed_logins = 0
            user.locked_until = None
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            session.add(user)
            principal = _principal(user, ROLE_SCOPES[user.role])
    if not accepted:
        raise failure
    return principal


def _principal(user: User, scopes: Iterable[str]) -> Principal:
    return Principal(user.username, user.role, frozenset(scopes) & ROLE_SCOPES[user.role], user.college_id)


def create_token(
    service: Service,
    username: str,
    *,
    name: str,
    scopes: Iterable[str] | None = None,
    days: int | None = None,
    actor: str,
) -> str:
    """Create an API token; the secret is returned once and never stored."""
    with transaction(service.engine) as session:
        user = _user(session, username)
        allowed = ROLE_SCOPES[user.role]
        wanted = frozenset(scopes) if scopes is not None else allowed
        if not wanted <= allowed:
            raise invalid(
                t("Scopes not allowed"),
                t(
                    "A {role} may not hold the scopes {scopes}.",
                    role=user.role,
                    scopes=", ".join(sorted(wanted - allowed)),
                ),
            )
        prefix = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        token = ApiToken(
            user_id=user.id or 0,
            name=name,
            prefix=prefix,
            token_hash=hashlib.sha256(secret.encode()).hexdigest(),
            scopes=sorted(wanted),
            created_at=service.now(),
            expires_at=service.now() + timedelta(days=days) if days else None,
        )
        session.add(token)
        audit.record(
            session,
            actor=actor,
            action="token.create",
            subject=username,
            details={"name": name, "scopes": sorted(wanted), "prefix": prefix},
        )
        return f"{TOKEN_PREFIX}{prefix}_{secret}"


def authenticate_token(service: Service, presented: str) -> Principal:
    failure = ServiceError(
        401, "unauthorized", t("Not signed in"), t("The API token is missing, wrong, expired or revoked.")
    )
    if not presented.startswith(TOKEN_PREFIX) or presented.count("_") < 2:
        raise failure
    prefix, _, secret = presented[len(TOKEN_PREFIX) :].partition("_")
    with transaction(service.engine, write=False) as session:
        token = session.exec(select(ApiToken).where(ApiToken.prefix == prefix)).first()
        if token is None or token.revoked:
            raise failure
        if not hmac.compare_digest(token.token_hash, hashlib.sha256(secret.encode()).hexdigest()):
            raise failure
        expires = token.expires_at
        if expires is not None and _aware(expires) < service.now():
            raise failure
        user = session.get(User, token.user_id)
        if user is None or not user.active:
            raise failure
        return _principal(user, token.scopes)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def revoke_token(service: Service, prefix: str, *, actor: str) -> None:
    with transaction(service.engine) as session:
        token = session.exec(select(ApiToken).where(ApiToken.prefix == prefix)).first()
        if token is None:
            raise ServiceError(
                404, "not-found", t("Unknown token"), t("There is no token {prefix}.", prefix=prefix)
            )
        token.revoked = True
        session.add(token)
        audit.record(session, actor=actor, action="token.revoke", subject=prefix)
