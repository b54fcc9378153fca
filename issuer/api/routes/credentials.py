"""Issued certificates: search, read, revoke, suspend, unsuspend, reissue — one or in bulk."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from pydantic import BaseModel, Field
from sqlmodel import col, or_, select

from ...accounts import Principal
from ...db import transaction
from ...errors import ServiceError
from ...i18n import t
from ...issuance import reissue
from ...lookup import find_credential
from ...models import Credential, Learner, Programme
from ...revocation import REVOKE, SUSPEND, UNSUSPEND, change_status, read_certificate_numbers
from ..deps import ServiceDep, scope
from .programmes import read_upload

router = APIRouter(prefix="/api/credentials", tags=["credentials"])


def _state(credential: Credential) -> str:
    if credential.revoked_at:
        return "revoked"
    if credential.suspended_at:
        return "suspended"
    return "valid"


def _summary(credential: Credential, learner: Learner | None, programme: Programme | None) -> dict[str, Any]:
    return {
        "certificateNumber": credential.certificate_number,
        "credentialId": credential.credential_id,
        "state": _state(credential),
        "issuedAt": credential.issued_at.isoformat(),
        "revokedAt": credential.revoked_at.isoformat() if credential.revoked_at else None,
        "suspendedAt": credential.suspended_at.isoformat() if credential.suspended_at else None,
        "superseded": credential.superseded,
        "learner": {"name": learner.name, "studentNumber": learner.student_number} if learner else None,
        "programme": programme.code if programme else None,
    }


@router.get("", summary="Search certificates by name, student number or certificate number")
def search(
    service: ServiceDep,
    principal: Annotated[Principal, Depends(scope("read"))],
    q: Annotated[str | None, Query(max_length=100)] = None,
    programme: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    with transaction(service.engine, write=False) as session:
        statement = select(Credential, Learner, Programme).where(
            Credential.learner_id == Learner.id, Credential.programme_id == Programme.id
        )
        if q:
            like = f"%{q.strip()}%"
            statement = statement.where(
                or_(
                    col(Learner.name).like(like),
                    col(Learner.student_number).like(like),
                    col(Credential.certificate_number).like(like),
                    col(Credential.credential_id) == q.strip(),
                )
            )
        if programme:
            statement = statement.where(Programme.code == programme)
        if principal.role == "reviewer":
            statement = statement.where(Programme.college_id == principal.college_id)
        rows = session.exec(statement.order_by(col(Credential.certificate_number)).limit(limit)).all()
        return [_summary(c, learner, p) for c, learner, p in rows]


@router.get("/{reference}", summary="One certificate: its state and the signed credential")
def get_one(
    reference: str, service: ServiceDep, principal: Annotated[Principal, Depends(scope("read"))]
) -> dict[str, Any]:
    with transaction(service.engine, write=False) as session:
        credential = find_credential(session, reference)
        programme = session.get(Programme, credential.programme_id)
        if (
            principal.role == "reviewer"
            and programme is not None
            and programme.college_id != principal.college_id
        ):
            raise ServiceError(
                403, "forbidden", t("Not allowed"), t("This certificate belongs to another college.")
            )
        out = _summary(credential, session.get(Learner, credential.learner_id), programme)
        out["credential"] = json.loads(credential.document)
        return out


class StatusChange(BaseModel):
    reason: str | None = Field(None, max_length=500)


def _apply(
    service: ServiceDep, references: list[str], action: str, reason: str | None, actor: str
) -> dict[str, Any]:
    changed = change_status(service, references, action, reason=reason, actor=actor)
    return {"action": action, "changed": [c.certificate_number for c in changed]}


# The bulk routes come before /{reference}/…, which would otherwise match /bulk/revoke.
class BulkChange(BaseModel):
    action: str = Field(pattern="^(revoke|suspend|unsuspend)$")
    certificate_numbers: list[str] = Field(min_length=1, max_length=10_000)
    reason: str | None = Field(None, max_length=500)


@router.post("/bulk", summary="Revoke, suspend or unsuspend many certificates at once (all or nothing)")
def bulk(
    body: BulkChange, service: ServiceDep, principal: Annotated[Principal, Depends(scope("revoke"))]
) -> dict[str, Any]:
    return _apply(service, body.certificate_numbers, body.action, body.reason, principal.username)


@router.post("/bulk/{action}", summary="Bulk change from a CSV of certificate numbers")
async def bulk_csv(
    action: str,
    request: Request,
    service: ServiceDep,
    principal: Annotated[Principal, Depends(scope("revoke"))],
    reason: Annotated[str | None, Query(max_length=500)] = None,
    file: UploadFile | None = None,
) -> dict[str, Any]:
    data, _name = await read_upload(request, file)
    return _apply(service, read_certificate_numbers(data), action, reason, principal.username)


@router.post("/{reference}/revoke", summary="Revoke (permanent; reason required, not published)")
def revoke_one(
    reference: str,
    body: StatusChange,
    service: ServiceDep,
    principal: Annotated[Principal, Depends(scope("revoke"))],
) -> dict[str, Any]:
    return _apply(service, [reference], REVOKE, body.reason, principal.username)


@router.post("/{reference}/suspend", summary="Suspend (reversible; reason required)")
def suspend_one(
    reference: str,
    body: StatusChange,
    service: ServiceDep,
    principal: Annotated[Principal, Depends(scope("revoke"))],
) -> dict[str, Any]:
    return _apply(service, [reference], SUSPEND, body.reason, principal.username)


@router.post("/{reference}/unsuspend", summary="Lift a suspension")
def unsuspend_one(
    reference: str,
    body: StatusChange,
    service: ServiceDep,
    principal: Annotated[Principal, Depends(scope("revoke"))],
) -> dict[str, Any]:
    return _apply(service, [reference], UNSUSPEND, body.reason, principal.username)


@router.post(
    "/{reference}/reissue", summary="Issue a corrected certificate; the old one is revoked and linked"
)
def reissue_one(
    reference: str,
    body: StatusChange,
    service: ServiceDep,
    principal: Annotated[Principal, Depends(scope("issue"))],
) -> dict[str, Any]:
    new = reissue(service, reference, reason=body.reason or "", actor=principal.username)
    return {
        "replaced": reference,
        "certificateNumber": new.certificate_number,
        "credentialId": new.credential_id,
    }
