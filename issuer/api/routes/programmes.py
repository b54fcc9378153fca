"""Micro-majors and their cohorts: define, import records, preview, approve, issue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from pydantic import BaseModel

from ...accounts import Principal
from ...cohorts import approve, import_records, preview
from ...db import transaction
from ...errors import ServiceError, invalid
from ...i18n import t
from ...issuance import issue_programme
from ...models import College, Programme
from ...programmes import courses_of, get_programme, import_programme_file, list_programmes
from ..deps import LanguageDep, ServiceDep, scope

router = APIRouter(prefix="/api/programmes", tags=["programmes"])
MAX_UPLOAD = 10 * 1024 * 1024


async def read_upload(request: Request, file: UploadFile | None) -> tuple[bytes, str]:
    """The uploaded file (multipart) or the raw body, capped in size."""
    if file is not None:
        data = await file.read(MAX_UPLOAD + 1)
        name = file.filename or "upload"
    else:
        data = await request.body()
        name = request.headers.get("x-filename") or _name_for(request.headers.get("content-type", ""))
    if len(data) > MAX_UPLOAD:
        raise ServiceError(
            413,
            "too-large",
            t("File too large"),
            t("Uploads are limited to {limit:,} bytes.", limit=MAX_UPLOAD),
        )
    if not data:
        raise invalid(t("Empty upload"), t("The request carried no file."))
    return data, name


def _name_for(content_type: str) -> str:
    if "yaml" in content_type:
        return "upload.yaml"
    if "spreadsheetml" in content_type:
        return "upload.xlsx"
    if "csv" in content_type or "text/plain" in content_type:
        return "upload.csv"
    return "upload.json"


def _programme_json(
    programme: Programme, college: College | None, courses: list[Any] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": programme.code,
        "name": {"zh": programme.name_zh, "en": programme.name_en},
        "college": {"code": college.code, "name": {"zh": college.name_zh, "en": college.name_en}}
        if college
        else None,
        "industryField": programme.industry_field,
        "fieldOfStudy": programme.field_of_study,
        "totalCredits": float(programme.total_credits),
        "maxStudyMonths": programme.max_study_months,
        "acknowledged": programme.acknowledged,
    }
    if courses is not None:
        out["courses"] = [
            {
                "code": c.code,
                "name": {"zh": c.name_zh, "en": c.name_en},
                "credits": float(c.credits),
                "classHours": float(c.class_hours),
            }
            for c in courses
        ]
    return out


@router.get("", summary="List micro-majors")
def list_all(
    service: ServiceDep, principal: Annotated[Principal, Depends(scope("read"))]
) -> list[dict[str, Any]]:
    with transaction(service.engine, write=False) as session:
        programmes = list_programmes(service)
        out = []
        for programme in programmes:
            if principal.role == "reviewer" and programme.college_id != principal.college_id:
                continue
            out.append(_programme_json(programme, session.get(College, programme.college_id)))
        return out


@router.get("/{code}", summary="One micro-major with its courses")
def get_one(
    code: str, service: ServiceDep, principal: Annotated[Principal, Depends(scope("read"))]
) -> dict[str, Any]:
    with transaction(service.engine, write=False) as session:
        programme = get_programme(session, code)
        _own_college(principal, programme)
        return _programme_json(
            programme, session.get(College, programme.college_id), courses_of(session, programme)
        )


def _own_college(principal: Principal, programme: Programme) -> None:
    if principal.role == "reviewer" and programme.college_id != principal.college_id:
        raise ServiceError(
            403, "forbidden", t("Not allowed"), t("This micro-major belongs to another college.")
        )


@router.post("", status_code=201, summary="Import programme definitions (YAML or JSON file, or raw body)")
async def import_definitions(
    request: Request,
    service: ServiceDep,
    principal: Annotated[Principal, Depends(scope("programmes"))],
    file: UploadFile | None = None,
) -> list[dict[str, Any]]:
    data, name = await read_upload(request, file)
    saved = import_programme_file(service, data, name, actor=principal.username)
    return [{"code": p.code} for p in saved]


@router.post("/{code}/records", summary="Import completion records (CSV or Excel as exported)")
async def upload_records(
    code: str,
    request: Request,
    service: ServiceDep,
    principal: Annotated[Principal, Depends(scope("records"))],
    file: UploadFile | None = None,
) -> dict[str, Any]:
    data, name = await read_upload(request, file)
    summary = import_records(service, code, data, name, actor=principal.username)
    return {
        "programme": summary.programme,
        "rows": summary.rows,
        "learners": summary.learners,
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
    }


@router.get("/{code}/eligibility", summary="Preview: every learner, eligible or not, and why")
def eligibility_preview(
    code: str,
    service: ServiceDep,
    language: LanguageDep,
    principal: Annotated[Principal, Depends(scope("read"))],
) -> dict[str, Any]:
    with transaction(service.engine, write=False) as session:
        _own_college(principal, get_programme(session, code))
    result = preview(service, code)
    return {
        "programme": result.programme,
        "approvalRequired": result.approval_required,
        "learners": [
            {
                "studentNumber": e.student_number,
                "name": e.name,
                "status": e.status,
                "eligible": e.eligible,
                "reasons": [r.render(language) for r in e.reasons],
                "certificateNumber": e.certificate_number,
                "courses": [{"code": c.code, "grade": c.grade, "passed": c.passed} for c in e.courses],
            }
            for e in result.learners
        ],
    }


class ApproveRequest(BaseModel):
    note: str | None = None


@router.post("/{code}/approve", summary="College review: approve the learners now eligible")
def approve_cohort(
    code: str,
    body: ApproveRequest,
    service: ServiceDep,
    principal: Annotated[Principal, Depends(scope("approve"))],
) -> dict[str, Any]:
    college_id = principal.college_id if principal.role == "reviewer" else None
    approval = approve(service, code, actor=principal.username, college_id=college_id, note=body.note)
    return {
        "programme": code,
        "approvedLearners": len(approval.learner_ids),
        "approvedAt": approval.approved_at.isoformat(),
    }


@router.post("/{code}/issue", summary="Issue certificates for every eligible learner (idempotent)")
def issue(
    code: str,
    service: ServiceDep,
    language: LanguageDep,
    principal: Annotated[Principal, Depends(scope("issue"))],
    dry_run: Annotated[bool, Query(alias="dry_run")] = False,
) -> dict[str, Any]:
    result = issue_programme(service, code, actor=principal.username, dry_run=dry_run)
    return {
        "programme": code,
        "dryRun": dry_run,
        "batch": result.batch_id,
        "issued": [
            {
                "certificateNumber": c.certificate_number,
                "credentialId": c.credential_id,
                "studentNumber": c.student_number,
                "name": c.name,
            }
            for c in result.issued
        ],
        "wouldIssue": [{"studentNumber": e.student_number, "name": e.name} for e in result.would_issue],
        "notEligible": [
            {
                "studentNumber": e.student_number,
                "name": e.name,
                "reasons": [r.render(language) for r in e.reasons],
            }
            for e in result.not_eligible
        ],
        "alreadyIssued": result.already_issued,
    }
