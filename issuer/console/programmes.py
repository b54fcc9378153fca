"""Micro-majors in the console: list, view, create, edit, import from a file, live policy check.

Creating and editing go through the programme-file reader and
:func:`issuer.programmes.import_programmes`, exactly like ``microcred programme import`` and
``POST /api/programmes``: the same strict reading, the same institution policy, the same audit
entries. While the registrar types, the page's script posts the form to
``/console/programmes/+check.json``, which reads it the same way and runs
:func:`issuer.policy.check_programme`, naming each rule that fails.

Action paths use ``+`` (``/console/programmes/+new``), which a programme code cannot contain.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import func
from sqlmodel import col, select
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from ..api.deps import ServiceDep
from ..api.routes import programmes as programmes_api
from ..db import transaction
from ..errors import ServiceError, invalid
from ..i18n import IssuerText, t
from ..models import College, Credential, Enrolment, Programme
from ..policy import PROGRAMME_RULES, PolicyFinding, check_programme
from ..programmes import get_programme, import_programme_file, import_programmes, micro_major
from .forms import (
    ProgrammeForm,
    check_policy,
    describe_input,
    form_from_programme,
    industry_field_choices,
    learning_mode_choices,
    parse_form,
    rule_label,
)
from .rendering import in_both, language_of, page
from .routing import ConsoleRoute, FormDep, ScriptUserDep, UserDep
from .sessions import ConsoleUser, add_flash

router = APIRouter(prefix="/console/programmes", route_class=ConsoleRoute, include_in_schema=False)
MAX_UPLOAD = programmes_api.MAX_UPLOAD


def _counts(service: ServiceDep) -> dict[int, tuple[int, int, int]]:
    """Per programme id: learners enrolled, current certificates, revoked certificates."""
    with transaction(service.engine, write=False) as session:
        enrolled = dict(
            session.exec(
                select(Enrolment.programme_id, func.count()).group_by(col(Enrolment.programme_id))
            ).all()
        )
        issued = dict(
            session.exec(
                select(Credential.programme_id, func.count())
                .where(col(Credential.superseded).is_(False))
                .group_by(col(Credential.programme_id))
            ).all()
        )
        revoked = dict(
            session.exec(
                select(Credential.programme_id, func.count())
                .where(col(Credential.revoked_at).is_not(None), col(Credential.superseded).is_(False))
                .group_by(col(Credential.programme_id))
            ).all()
        )
        ids = session.exec(select(Programme.code, Programme.id)).all()
    return {
        pid: (enrolled.get(pid, 0), issued.get(pid, 0), revoked.get(pid, 0))
        for _code, pid in ids
        if pid is not None
    }


def _ids(service: ServiceDep) -> dict[str, int]:
    with transaction(service.engine, write=False) as session:
        return {code: pid or 0 for code, pid in session.exec(select(Programme.code, Programme.id)).all()}


@router.get("")
def list_page(request: Request, service: ServiceDep, user: UserDep) -> Response:
    user.principal.require("read")
    programmes = programmes_api.list_all(service, user.principal)
    counts = _counts(service)
    ids = _ids(service)
    rows = [(p, counts.get(ids.get(p["code"], 0), (0, 0, 0))) for p in programmes]
    return page(request, service, user, "programmes.html", nav="programmes", rows=rows)


def visible_programme(service: ServiceDep, user: ConsoleUser, code: str) -> dict[str, Any]:
    """The programme as the API shows it to this user (a reviewer: their own college only)."""
    user.principal.require("read")
    return programmes_api.get_one(code, service, user.principal)


def _form_page(
    request: Request,
    service: ServiceDep,
    user: ConsoleUser,
    form: ProgrammeForm,
    *,
    editing: str | None,
    status: int = 200,
    error: ServiceError | None = None,
    locked: bool = False,
) -> Response:
    language = language_of(request, service)
    with transaction(service.engine, write=False) as session:
        colleges = list(session.exec(select(College).order_by(col(College.code))))
    return page(
        request,
        service,
        user,
        "programme_form.html",
        nav="programmes",
        status=status,
        form=form,
        editing=editing,
        error=error,
        locked=locked,
        colleges=colleges,
        industry_fields=industry_field_choices(language),
        learning_modes=learning_mode_choices(),
        rules=[(rule, rule_label(rule)) for rule in PROGRAMME_RULES],
        policy=service.policy,
    )


@router.get("/+new")
def new_form(request: Request, service: ServiceDep, user: UserDep) -> Response:
    user.principal.require("programmes")
    form = ProgrammeForm({"hours_per_credit": "16"})
    return _form_page(request, service, user, form, editing=None)


def _text_fields(form: FormData) -> dict[str, str]:
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


def _save(
    request: Request, service: ServiceDep, user: ConsoleUser, posted: FormData, *, editing: str | None
) -> Response:
    values = _text_fields(posted)
    if editing is not None:
        values["code"] = editing  # the code names the programme; a new code is a new programme
    form, spec = parse_form(values)
    if spec is None:
        error = invalid(
            t("The programme cannot be saved"),
            t("{count} problem(s) in the form; nothing was saved.", count=len(form.problems)),
        )
        return _form_page(request, service, user, form, editing=editing, status=422, error=error)
    try:
        import_programmes(service, [spec], actor=user.principal.username)
    except ServiceError as exc:
        return _form_page(request, service, user, form, editing=editing, status=exc.status, error=exc)
    add_flash(
        service,
        user,
        "success",
        in_both(t("Saved the micro-major {code}.", code=spec.code))
        if editing
        else in_both(t("Created the micro-major {code}.", code=spec.code)),
    )
    return RedirectResponse(f"/console/programmes/{spec.code}", 303)


@router.post("/+new")
def create(request: Request, service: ServiceDep, user: UserDep, posted: FormDep) -> Response:
    user.principal.require("programmes")
    return _save(request, service, user, posted, editing=None)


def _has_certificates(service: ServiceDep, code: str) -> bool:
    with transaction(service.engine, write=False) as session:
        programme = get_programme(session, code)
        count = session.exec(
            select(func.count()).select_from(Credential).where(Credential.programme_id == programme.id)
        ).one()
    return bool(count)


@router.get("/{code}/edit")
def edit_form(code: str, request: Request, service: ServiceDep, user: UserDep) -> Response:
    user.principal.require("programmes")
    with transaction(service.engine, write=False) as session:
        form = form_from_programme(session, get_programme(session, code))
    return _form_page(request, service, user, form, editing=code, locked=_has_certificates(service, code))


@router.post("/{code}/edit")
def update(code: str, request: Request, service: ServiceDep, user: UserDep, posted: FormDep) -> Response:
    user.principal.require("programmes")
    with transaction(service.engine, write=False) as session:
        get_programme(session, code)
    return _save(request, service, user, posted, editing=code)


@router.post("/+check.json")
async def check(request: Request, service: ServiceDep, user: ScriptUserDep) -> Response:
    """The form read and checked against the policy, for the page's script (nothing is saved)."""
    user.principal.require("programmes")
    posted = await request.form(max_files=0, max_fields=2000)
    language = language_of(request, service)
    form, spec = parse_form(_text_fields(posted))
    body: dict[str, Any] = {
        "problems": [
            {
                "field": where,
                "label": _render(describe_input(where), language),
                "message": message.render(language),
            }
            for where, message in form.problems
        ],
        "findings": [],
        "ready": False,
    }
    if spec is not None:
        result = check_policy(service, spec)
        outstanding = {id(f) for f in result.outstanding}
        body["findings"] = [
            {
                "rule": f.rule,
                "ruleLabel": rule_label(f.rule).render(language),
                "severity": f.severity,
                "message": f.message.render(language),
                "course": f.course_code,
                "acknowledged": id(f) not in outstanding,
            }
            for f in result.findings
        ]
        body["ready"] = not result.outstanding
        body["totalCredits"] = float(spec.total_credits)
    return JSONResponse(body)


@router.get("/+import")
def import_form(request: Request, service: ServiceDep, user: UserDep) -> Response:
    user.principal.require("programmes")
    return page(request, service, user, "programme_import.html", nav="programmes", error=None, items=[])


@router.post("/+import")
async def import_file(request: Request, service: ServiceDep, user: UserDep, posted: FormDep) -> Response:
    user.principal.require("programmes")
    upload = posted.get("file")
    try:
        data, name = await read_upload(upload)
        saved = import_programme_file(service, data, name, actor=user.principal.username)
    except ServiceError as exc:
        return page(
            request,
            service,
            user,
            "programme_import.html",
            nav="programmes",
            status=exc.status,
            error=exc,
            items=list(exc.errors),
        )
    codes = ", ".join(p.code for p in saved)
    add_flash(
        service,
        user,
        "success",
        in_both(t("Imported {count} micro-major(s): {codes}.", count=len(saved), codes=codes)),
    )
    target = f"/console/programmes/{saved[0].code}" if len(saved) == 1 else "/console/programmes"
    return RedirectResponse(target, 303)


def _render(value: IssuerText | str, language: str) -> str:
    return value.render(language) if isinstance(value, IssuerText) else value


async def read_upload(upload: object) -> tuple[bytes, str]:
    """The bytes and name of an uploaded file, with the API's size limit."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise invalid(t("No file"), t("Choose a file to upload."))
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ServiceError(
            413,
            "too-large",
            t("File too large"),
            t("Uploads are limited to {limit:,} bytes.", limit=MAX_UPLOAD),
        )
    if not data:
        raise invalid(t("Empty upload"), t("The file {file} is empty.", file=upload.filename))
    return data, upload.filename


def _grouped(findings: list[PolicyFinding], acknowledged: dict[Any, Any]) -> list[dict[str, Any]]:
    """Findings by rule (one rule may fail for every course), with the acknowledgement if any."""
    groups: dict[str, dict[str, Any]] = {}
    for finding in findings:
        group = groups.setdefault(
            finding.rule,
            {
                "rule": finding.rule,
                "label": rule_label(finding.rule),
                "severity": finding.severity,
                "messages": [],
                "reason": acknowledged.get(finding.rule) if finding.severity == "warning" else None,
            },
        )
        if finding.severity == "error":
            group["severity"], group["reason"] = "error", None
        group["messages"].append(finding.message)
    return list(groups.values())


# Registered last: the action paths above (/+new…) must match before /{code}.
@router.get("/{code}")
def programme_page(code: str, request: Request, service: ServiceDep, user: UserDep) -> Response:
    programme = visible_programme(service, user, code)
    with transaction(service.engine, write=False) as session:
        stored = get_programme(session, code)
        findings = check_programme(micro_major(service, session, stored), service.policy)
        acknowledged = {
            e.get("rule"): e.get("reason") for e in stored.acknowledged or [] if isinstance(e, dict)
        }
        details = {
            "description": stored.description_zh
            if language_of(request, service) == "zh"
            else stored.description_en or stored.description_zh,
            "criteria": stored.criteria_zh
            if language_of(request, service) == "zh"
            else stored.criteria_en or stored.criteria_zh,
            "learning_mode": stored.learning_mode,
            "registration_number": stored.registration_number,
            "hours_per_credit": Decimal(stored.hours_per_credit),
        }
    counts = _counts(service).get(stored.id or 0, (0, 0, 0))
    return page(
        request,
        service,
        user,
        "programme.html",
        nav="programmes",
        programme=programme,
        details=details,
        findings=_grouped(findings, acknowledged),
        counts=counts,
        policy=service.policy,
        rule_label=rule_label,
        field_names=dict(industry_field_choices(language_of(request, service))),
    )
