"""Keys, audit log, accounts and tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlmodel import col, select

from ...accounts import Principal, create_token, create_user, set_role
from ...audit import verify_chain
from ...db import transaction
from ...identity import list_keys, mark_compromised, rotate_key
from ...models import AuditEntry
from ..deps import LanguageDep, ServiceDep, scope

router = APIRouter(prefix="/api", tags=["administration"])


@router.get("/keys", summary="Signing keys and their state")
def keys(service: ServiceDep, _: Annotated[Principal, Depends(scope("read"))]) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{service.did}#{k.fragment}",
            "publicKeyMultibase": k.fingerprint,
            "status": k.status,
            "createdAt": k.created_at.isoformat(),
            "retiredAt": k.retired_at.isoformat() if k.retired_at else None,
            "compromisedAt": k.compromised_at.isoformat() if k.compromised_at else None,
        }
        for k in list_keys(service)
    ]


@router.post("/keys/rotate", summary="Make a new key the signing key; the old one stays in the DID document")
def rotate(service: ServiceDep, principal: Annotated[Principal, Depends(scope("keys"))]) -> dict[str, Any]:
    new, previous = rotate_key(service, actor=principal.username)
    return {
        "active": f"{service.did}#{new.fragment}",
        "retired": f"{service.did}#{previous.fragment}" if previous else None,
    }


class Compromise(BaseModel):
    note: str = Field(min_length=1, max_length=500)


@router.post(
    "/keys/{reference}/compromised", summary="Mark a key compromised; lists the certificates it signed"
)
def compromised(
    reference: str,
    body: Compromise,
    service: ServiceDep,
    principal: Annotated[Principal, Depends(scope("keys"))],
) -> dict[str, Any]:
    key, affected = mark_compromised(service, reference, note=body.note, actor=principal.username)
    return {"key": f"{service.did}#{key.fragment}", "affectedCertificates": affected}


@router.get("/audit", summary="The audit log, newest first")
def audit_log(
    service: ServiceDep,
    _: Annotated[Principal, Depends(scope("audit"))],
    action: Annotated[str | None, Query(max_length=64)] = None,
    subject: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    with transaction(service.engine, write=False) as session:
        statement = select(AuditEntry)
        if action:
            statement = statement.where(AuditEntry.action == action)
        if subject:
            statement = statement.where(AuditEntry.subject == subject)
        entries = session.exec(statement.order_by(col(AuditEntry.seq).desc()).limit(limit)).all()
        return [
            {
                "seq": e.seq,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "details": e.details,
                "hash": e.hash,
            }
            for e in entries
        ]


@router.get("/audit/verify", summary="Recompute the audit chain")
def audit_verify(
    service: ServiceDep, language: LanguageDep, _: Annotated[Principal, Depends(scope("audit"))]
) -> dict[str, Any]:
    report = verify_chain(service.engine)
    return {
        "intact": report.intact,
        "entries": report.entries,
        "head": report.head,
        "problems": [p.render(language) for p in report.problems],
    }


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=12, max_length=256)
    role: str
    display_name: str | None = None
    college: str | None = None


@router.post("/users", status_code=201, summary="Create an account")
def new_user(
    body: NewUser, service: ServiceDep, principal: Annotated[Principal, Depends(scope("accounts"))]
) -> dict[str, Any]:
    user = create_user(
        service,
        body.username,
        password=body.password,
        role=body.role,
        display_name=body.display_name,
        college_code=body.college,
        actor=principal.username,
    )
    return {"username": user.username, "role": user.role}


class RoleChange(BaseModel):
    role: str


@router.put("/users/{username}/role", summary="Change an account's role")
def change_role(
    username: str,
    body: RoleChange,
    service: ServiceDep,
    principal: Annotated[Principal, Depends(scope("accounts"))],
) -> dict[str, Any]:
    user = set_role(service, username, body.role, actor=principal.username)
    return {"username": user.username, "role": user.role}


class NewToken(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    scopes: list[str] | None = None
    days: int | None = Field(None, ge=1, le=3650)


@router.post("/users/{username}/tokens", status_code=201, summary="Create an API token (shown once)")
def new_token(
    username: str,
    body: NewToken,
    service: ServiceDep,
    principal: Annotated[Principal, Depends(scope("accounts"))],
) -> dict[str, Any]:
    secret = create_token(
        service, username, name=body.name, scopes=body.scopes, days=body.days, actor=principal.username
    )
    return {"token": secret}
