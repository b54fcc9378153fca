"""Public, read-only, unauthenticated: the DID document, status lists, the contexts we publish.

These are all a verifier ever needs from the issuer; they carry caching headers and can be
exported as static files (``microcred status export``) for any web server or CDN.
"""

from __future__ import annotations

import hashlib
import json

from fastapi import APIRouter, Request, Response
from sqlmodel import select

from verifier.contexts import default_store

from ...db import transaction
from ...errors import ServiceError
from ...i18n import t
from ...identity import did_document
from ...status_lists import find_list
from ..deps import ServiceDep

router = APIRouter(tags=["public"])
DID_JSON = "application/did+json"
VC_JSON = "application/vc+ld+json"


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


def did_document_bytes(service: ServiceDep) -> bytes:
    with transaction(service.engine, write=False) as session:
        return json.dumps(did_document(service, session), ensure_ascii=False, indent=2).encode()


@router.get("/.well-known/did.json", summary="The issuer's did:web DID document")
@router.get("/did.json", include_in_schema=False)
def get_did_document(request: Request, service: ServiceDep) -> Response:
    return _cached(request, did_document_bytes(service), DID_JSON, 300)


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
        body = status_list.document.encode()
    return _cached(request, body, VC_JSON, service.settings.status_list_max_age)


@router.get(
    "/contexts/microcred/v1", summary="The microcred JSON-LD context (pin it; verifiers never fetch it)"
)
def get_context(request: Request) -> Response:
    body = json.dumps(default_store().get("https://w3id.org/microcred/v1"), indent=2).encode()
    return _cached(request, body, "application/ld+json", 86400)


@router.get("/healthz", summary="Liveness and database check")
def health(service: ServiceDep) -> dict[str, str]:
    with transaction(service.engine, write=False) as session:
        session.exec(select(1)).one()
    return {"status": "ok", "did": service.did}
