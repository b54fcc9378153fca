"""Keys and identity in the console: the did:web document, key rotation, a compromised key.

Both changes ask for confirmation on a page that says what happens to the certificates already
issued, then call :func:`issuer.identity.rotate_key` / :func:`issuer.identity.mark_compromised`
(``keys`` permission: administrators).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import func
from sqlmodel import col, select
from starlette.responses import Response

from ..api.deps import ServiceDep
from ..db import transaction
from ..errors import ServiceError, not_found
from ..i18n import t
from ..identity import ACTIVE, COMPROMISED, did_document, list_keys, mark_compromised, rotate_key
from ..models import Credential, SigningKey
from .rendering import in_both, page
from .routing import ConsoleRoute, FormDep, UserDep, field
from .sessions import add_flash

router = APIRouter(prefix="/console/keys", route_class=ConsoleRoute, include_in_schema=False)


def _signed_counts(service: ServiceDep) -> dict[int, int]:
    with transaction(service.engine, write=False) as session:
        return dict(
            session.exec(select(Credential.key_id, func.count()).group_by(col(Credential.key_id))).all()
        )


@router.get("")
def keys_page(request: Request, service: ServiceDep, user: UserDep) -> Response:
    user.principal.require("read")
    with transaction(service.engine, write=False) as session:
        document = did_document(service, session)
    return page(
        request,
        service,
        user,
        "keys.html",
        nav="keys",
        did=service.did,
        did_url=service.url(service.did_document_path),
        document=document,
        keys=list_keys(service),
        signed=_signed_counts(service),
        active=ACTIVE,
        compromised=COMPROMISED,
    )


@router.get("/rotate")
def rotate_confirm(request: Request, service: ServiceDep, user: UserDep) -> Response:
    user.principal.require("keys")
    keys = list_keys(service)
    current = next((k for k in keys if k.status == ACTIVE), None)
    signed = _signed_counts(service).get(current.id or 0, 0) if current else 0
    return page(request, service, user, "keys_rotate.html", nav="keys", current=current, signed=signed)


@router.post("/rotate")
def rotate(request: Request, service: ServiceDep, user: UserDep, _posted: FormDep) -> Response:
    user.principal.require("keys")
    new, previous = rotate_key(service, actor=user.principal.username)
    message = (
        in_both(
            t(
                "{new} is now the signing key; {old} is retired and stays in the DID document.",
                new=new.fragment,
                old=previous.fragment,
            )
        )
        if previous
        else in_both(t("{new} is now the signing key.", new=new.fragment))
    )
    add_flash(service, user, "success", message)
    return RedirectResponse("/console/keys", 303)


def _key(service: ServiceDep, fragment: str) -> SigningKey:
    key = next((k for k in list_keys(service) if k.fragment == fragment), None)
    if key is None:
        raise not_found(t("Unknown key"), t("There is no key {key}.", key=fragment))
    return key


def _compromised_page(
    request: Request,
    service: ServiceDep,
    user: UserDep,
    key: SigningKey,
    *,
    error: ServiceError | None = None,
    affected: list[str] | None = None,
    status: int = 200,
) -> Response:
    """The "report a compromised key" page: the confirmation form, its error, or the outcome."""
    return page(
        request,
        service,
        user,
        "keys_compromised.html",
        nav="keys",
        key=key,
        signed=len(affected) if affected is not None else _signed_counts(service).get(key.id or 0, 0),
        error=error,
        affected=affected,
        status=status,
    )


@router.get("/{fragment}/compromised")
def compromised_confirm(fragment: str, request: Request, service: ServiceDep, user: UserDep) -> Response:
    user.principal.require("keys")
    return _compromised_page(request, service, user, _key(service, fragment))


@router.post("/{fragment}/compromised")
def compromised(
    fragment: str, request: Request, service: ServiceDep, user: UserDep, posted: FormDep
) -> Response:
    user.principal.require("keys")
    key = _key(service, fragment)
    try:
        if field(posted, "confirm_fragment") != key.fragment:
            raise ServiceError(
                422,
                "confirmation-required",
                t("Please confirm"),
                t("Type the key's name ({key}) to confirm.", key=key.fragment),
            )
        marked, affected = mark_compromised(
            service, key.fragment, note=field(posted, "note")[:500], actor=user.principal.username
        )
    except ServiceError as exc:
        return _compromised_page(request, service, user, key, error=exc, status=exc.status)
    return _compromised_page(request, service, user, marked, affected=affected)
