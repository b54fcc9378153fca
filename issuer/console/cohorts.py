"""A micro-major's cohort in the console: records in, preview, approval, issuing, downloads.

Each step calls the service function the API and the CLI call — :func:`issuer.cohorts.import_records`,
:func:`issuer.cohorts.preview`, :func:`issuer.cohorts.approve`,
:func:`issuer.issuance.issue_programme` (in the background, see :mod:`issuer.console.jobs`) —
with the same permissions: ``records`` to upload, ``read`` to preview (a college reviewer only
for their own college), ``approve`` to approve, ``issue`` to issue and to download the
cohort's certificates.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.responses import Response

from ..api.deps import ServiceDep
from ..api.routes import programmes as programmes_api
from ..cohorts import import_records, preview
from ..errors import ServiceError
from ..i18n import t
from .jobs import FAILED, FINISHED, get_job, is_stale, running_job, start_issuing
from .programmes import read_upload, visible_programme
from .rendering import in_both, language_of, page
from .routing import ConsoleRoute, FormDep, UserDep, field
from .sessions import ConsoleUser, add_flash

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)

#: The reason :func:`issuer.cohorts.eligibility` gives a learner who only lacks the college's approval.
WAITING_FOR_APPROVAL = "waiting for the college's approval"


def _cohort_page(
    request: Request,
    service: ServiceDep,
    user: ConsoleUser,
    code: str,
    *,
    status: int = 200,
    error: ServiceError | None = None,
) -> Response:
    programme = visible_programme(service, user, code)
    result = preview(service, code)
    waiting = [
        e
        for e in result.learners
        if not e.eligible
        and not e.certificate_number
        and e.reasons
        and all(r.template == WAITING_FOR_APPROVAL for r in e.reasons)
    ]
    counts = {
        "learners": len(result.learners),
        "eligible": len(result.eligible),
        "issued": sum(1 for e in result.learners if e.certificate_number),
        "not_eligible": sum(1 for e in result.learners if not e.eligible and not e.certificate_number),
        "waiting": len(waiting),
    }
    return page(
        request,
        service,
        user,
        "cohort.html",
        nav="programmes",
        status=status,
        programme=programme,
        preview=result,
        counts=counts,
        waiting_ids={e.learner_id for e in waiting},
        job=running_job(service, code),
        error=error,
        items=list(error.errors) if error is not None else [],
    )


@router.get("/programmes/{code}/cohort")
def cohort_page(code: str, request: Request, service: ServiceDep, user: UserDep) -> Response:
    return _cohort_page(request, service, user, code)


@router.post("/programmes/{code}/records")
async def upload_records(
    code: str, request: Request, service: ServiceDep, user: UserDep, posted: FormDep
) -> Response:
    user.principal.require("records")
    visible_programme(service, user, code)
    try:
        data, name = await read_upload(posted.get("file"))
        summary = import_records(service, code, data, name, actor=user.principal.username)
    except ServiceError as exc:
        return _cohort_page(request, service, user, code, status=exc.status, error=exc)
    add_flash(
        service,
        user,
        "success",
        in_both(
            t(
                "Imported {rows} rows for {learners} learners from {file}: {created} new results, "
                "{updated} changed, {unchanged} unchanged.",
                rows=summary.rows,
                learners=summary.learners,
                file=name,
                created=summary.created,
                updated=summary.updated,
                unchanged=summary.unchanged,
            )
        ),
    )
    return RedirectResponse(f"/console/programmes/{code}/cohort", 303)


@router.post("/programmes/{code}/approve")
def approve_cohort(
    code: str, request: Request, service: ServiceDep, user: UserDep, posted: FormDep
) -> Response:
    user.principal.require("approve")
    note = field(posted, "note")[:500] or None
    try:
        approval = programmes_api.approve_cohort(
            code, programmes_api.ApproveRequest(note=note), service, user.principal
        )
    except ServiceError as exc:
        return _cohort_page(request, service, user, code, status=exc.status, error=exc)
    add_flash(
        service,
        user,
        "success",
        in_both(t("Approved {count} learner(s) of {code}.", count=approval["approvedLearners"], code=code)),
    )
    return RedirectResponse(f"/console/programmes/{code}/cohort", 303)


@router.post("/programmes/{code}/issue")
def issue(code: str, request: Request, service: ServiceDep, user: UserDep, _posted: FormDep) -> Response:
    user.principal.require("issue")
    visible_programme(service, user, code)
    current = running_job(service, code)
    if current is not None:
        return RedirectResponse(f"/console/jobs/{current.id}", 303)
    eligible = len(preview(service, code).eligible)
    if not eligible:
        add_flash(
            service, user, "info", in_both(t("Nobody is waiting for a certificate of {code}.", code=code))
        )
        return RedirectResponse(f"/console/programmes/{code}/cohort", 303)
    job = start_issuing(service, code, username=user.principal.username, total=eligible)
    return RedirectResponse(f"/console/jobs/{job.id}", 303)


def _job_state(service: ServiceDep, job_id: str, language: str) -> dict[str, object]:
    job = get_job(service, job_id)
    state = "interrupted" if is_stale(service, job) else job.state
    error = job.result.get("error") if job.state == FAILED else None
    return {
        "id": job.id,
        "programme": job.programme_code,
        "state": state,
        "done": job.done,
        "total": job.total,
        "finished": job.state in (FINISHED, FAILED) or state == "interrupted",
        "result": {k: v for k, v in job.result.items() if k != "error"},
        "error": error.get(language) if isinstance(error, dict) else None,
    }


@router.get("/jobs/{job_id}.json")
def job_json(job_id: str, request: Request, service: ServiceDep, user: UserDep) -> Response:
    user.principal.require("issue")
    return JSONResponse(_job_state(service, job_id, language_of(request, service)))


@router.get("/jobs/{job_id}")
def job_page(job_id: str, request: Request, service: ServiceDep, user: UserDep) -> Response:
    user.principal.require("issue")
    state = _job_state(service, job_id, language_of(request, service))
    return page(request, service, user, "job.html", nav="programmes", job=state)
