"""Public, read-only, unauthenticated: the DID document, status lists, the contexts we publish.

These are all a verifier ever needs from the issuer; they carry caching headers and can be
exported as static files (``microcred status export``) for any web server or CDN.
"""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request, Response
from sqlmodel import select

from ...db import transaction
from ...errors import ServiceError
from ...i18n import t
from ...publication import (
    CONTEXT_PATH,
    DID_JSON,
    LD_JSON,
    VC_JSON,
    context_body,
    did_document_body,
    status_list_body,
)
from ...status_lists import find_list
from ..deps import ServiceDep

router = APIRouter(tags=["public"])


def _cached(request: Request, body: bytes, media_type: str, max_age: int) -> Response:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={max_age}",
        "Access-Control-Allow-Origin": "*",
    }
    if etag in [v.strip() for v in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


@router.get("/.well-known/did.json", summary="The issuer's did:web DID document")
@router.get("/did.json", include_in_schema=False)
def get_did_document(request: Request, service: ServiceDep) -> Response:
    with transaction(service.engine, write=False) as session:
        body = did_document_body(service, session)
    return _cached(request, body, DID_JSON, 300)


@router.get("/status/{purpose}/{number}", summary="A signed BitstringStatusListCredential")
def get_status_list(purpose: str, number: int, request: Request, service: ServiceDep) -> Response:
    with transaction(service.engine, write=False) as session:
        status_list = find_list(session, purpose, number)
        if status_list is None:
            raise ServiceError(
                404,
                "not-found",
                t("Unknown status list"),
                t("There is no status list {purpose}/{number}.", purpose=purpose, number=number),
            )
        body = status_list_body(status_list)
    return _cached(request, body, VC_JSON, service.settings.status_list_max_age)


@router.get(CONTEXT_PATH, summary="The microcred JSON-LD context (pin it; verifiers never fetch it)")
def get_context(request: Request) -> Response:
    return _cached(request, context_body(), LD_JSON, 86400)


@router.get("/healthz", summary="Liveness and database check")
def health(service: ServiceDep) -> dict[str, str]:
    with transaction(service.engine, write=False) as session:
        session.exec(select(1)).one()
    return {"status": "ok", "did": service.did}
