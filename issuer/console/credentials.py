"""Certificates in the console: search, view one as a verifier sees it, revoke, suspend, reissue.

Search and reading go through the API's own handlers (:mod:`issuer.api.routes.credentials`),
so a college reviewer sees exactly what the API shows them. A certificate is shown as a
verifier shows it: :func:`verifier.verify_credential` runs on the stored document with the
service's own DID document and status lists, as an employer's verifier would after fetching
them. Changes call :func:`issuer.revocation.change_status` and
:func:`issuer.issuance.reissue`, one certificate or many (all or nothing), with a reason.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlmodel import col, select
from starlette.datastructures import UploadFile
from starlette.responses import Response

from ..api.deps import ServiceDep
from ..api.routes import credentials as credentials_api
from ..certificate import CertificateDataError, CertificateRenderError
from ..db import transaction
from ..download_links import link_for, regenerate_link
from ..errors import ServiceError, invalid
from ..i18n import t
from ..issuance import reissue
from ..lookup import find_credential
from ..models import Credential, Learner, Programme
from ..printing import certificate_pdf as print_certificate
from ..public_verifier import verify_own_credential
from ..revocation import ACTIONS, REVOKE, SUSPEND, UNSUSPEND, change_status, read_certificate_numbers
from .programmes import read_upload
from .rendering import in_both, language_of, page
from .routing import ConsoleRoute, FormDep, UserDep, field
from .sessions import ConsoleUser, add_flash

router = APIRouter(prefix="/console/credentials", route_class=ConsoleRoute, include_in_schema=False)
SEARCH_LIMIT = 200
#: Most certificate numbers one bulk change takes (the API's limit).
BULK_LIMIT = 10_000


@router.get("")
def search_page(
    request: Request, service: ServiceDep, user: UserDep, q: str = "", programme: str = ""
) -> Response:
    user.principal.require("read")
    query, code = q.strip()[:100], programme.strip()[:64]
    results = (
        credentials_api.search(
            service, user.principal, q=query or None, programme=code or None, limit=SEARCH_LIMIT
        )
        if query or code
        else []
    )
    return page(
        request,
        service,
        user,
        "credentials.html",
        nav="credentials",
        q=query,
        programme=code,
        results=results,
        searched=bool(query or code),
        limit=SEARCH_LIMIT,
    )


def _related(service: ServiceDep, number: str) -> dict[str, Any]:
    """Reasons and replacement links (staff only; the reasons are never published)."""
    with transaction(service.engine, write=False) as session:
        credential = find_credential(session, number)
        replaces = session.get(Credential, credential.replaces_id) if credential.replaces_id else None
        replaced_by = (
            session.get(Credential, credential.replaced_by_id) if credential.replaced_by_id else None
        )
        programme = session.get(Programme, credential.programme_id)
        learner = session.get(Learner, credential.learner_id)
        return {
            "revocation_reason": credential.revocation_reason,
            "suspension_reason": credential.suspension_reason,
            "replaces": replaces.certificate_number if replaces else None,
            "replaced_by": replaced_by.certificate_number if replaced_by else None,
            "programme_name": (programme.name_zh, programme.name_en) if programme else None,
            "learner_name_en": learner.name_en if learner else None,
            "has_suspension": credential.suspension_list_id is not None,
        }


def _credential_page(
    request: Request,
    service: ServiceDep,
    user: ConsoleUser,
    reference: str,
    *,
    status: int = 200,
    error: ServiceError | None = None,
) -> Response:
    user.principal.require("read")
    item = credentials_api.get_one(reference, service, user.principal)
    result = verify_own_credential(service, item["credential"])
    language = language_of(request, service)
    return page(
        request,
        service,
        user,
        "credential.html",
        nav="credentials",
        status=status,
        item=item,
        result=result,
        verification=result.to_json(language),
        related=_related(service, item["certificateNumber"]),
        download_link=link_for(service, item["certificateNumber"])
        if user.can("issue") and not item["superseded"]
        else None,
        show_reasons=user.can("revoke") or user.can("audit"),
        suspension_enabled="suspension" in service.settings.purposes,
        error=error,
        items=list(error.errors) if error is not None else [],
    )


@router.get("/bulk")
def bulk_form(request: Request, service: ServiceDep, user: UserDep) -> Response:
    user.principal.require("revoke")
    return page(request, service, user, "bulk.html", nav="bulk", error=None, items=[], values={})


def _bulk_numbers(text: str) -> list[str]:
    numbers = [part.strip() for line in text.splitlines() for part in line.replace("，", ",").split(",")]
    return list(dict.fromkeys(n for n in numbers if n))


@router.post("/bulk")
async def bulk_change(request: Request, service: ServiceDep, user: UserDep, posted: FormDep) -> Response:
    """Step 1 (review): list what would change. Step 2 (``confirm``): change all or nothing."""
    user.principal.require("revoke")
    action = field(posted, "action")
    reason = field(posted, "reason")[:500]
    values = {"action": action, "reason": reason, "numbers": field(posted, "numbers")}
    try:
        if action not in ACTIONS:
            raise invalid(
                t("Unknown action"), t("The action must be one of {actions}.", actions=", ".join(ACTIONS))
            )
        numbers = _bulk_numbers(values["numbers"])
        upload = posted.get("file")
        if isinstance(upload, UploadFile) and upload.filename:
            data, _name = await read_upload(upload)
            numbers = list(dict.fromkeys([*numbers, *read_certificate_numbers(data)]))
        if not numbers:
            raise invalid(t("No certificates"), t("Name at least one certificate number."))
        if len(numbers) > BULK_LIMIT:
            raise invalid(
                t("Too many certificates"),
                t("One change takes at most {limit:,} certificates.", limit=BULK_LIMIT),
            )
        if action != UNSUSPEND and not reason:
            raise ServiceError(
                422,
                "reason-required",
                t("Reason required"),
                t("Give the reason for this {action}.", action=action),
            )
        if field(posted, "confirm") == "yes":
            changed = change_status(service, numbers, action, reason=reason, actor=user.principal.username)
            add_flash(service, user, "success", _changed_message(action, len(changed)))
            return RedirectResponse("/console/credentials/bulk", 303)
    except ServiceError as exc:
        return page(
            request,
            service,
            user,
            "bulk.html",
            nav="bulk",
            status=exc.status,
            error=exc,
            items=list(exc.errors),
            values=values,
        )
    return page(
        request,
        service,
        user,
        "bulk_confirm.html",
        nav="bulk",
        action=action,
        reason=reason,
        rows=_review(service, numbers),
        numbers="\n".join(numbers),
    )


def _review(service: ServiceDep, numbers: list[str]) -> list[dict[str, Any]]:
    """Each named certificate with its learner and state, or marked unknown (read only)."""
    with transaction(service.engine, write=False) as session:
        found = {
            c.certificate_number: (c, learner)
            for start in range(0, len(numbers), 1000)
            for c, learner in session.exec(
                select(Credential, Learner).where(
                    Credential.learner_id == Learner.id,
                    col(Credential.certificate_number).in_(numbers[start : start + 1000]),
                )
            ).all()
        }
    rows = []
    for number in numbers:
        pair = found.get(number)
        if pair is None:
            rows.append({"number": number, "known": False})
            continue
        credential, learner = pair
        rows.append(
            {
                "number": number,
                "known": True,
                "name": learner.name,
                "student": learner.student_number,
                "state": "revoked"
                if credential.revoked_at
                else "suspended"
                if credential.suspended_at
                else "valid",
            }
        )
    return rows


def _changed_message(action: str, count: int) -> dict[str, str]:
    if action == REVOKE:
        return in_both(t("Revoked {count} certificate(s).", count=count))
    if action == SUSPEND:
        return in_both(t("Suspended {count} certificate(s).", count=count))
    return in_both(t("Lifted the suspension of {count} certificate(s).", count=count))


@router.get("/{reference}")
def credential_page(reference: str, request: Request, service: ServiceDep, user: UserDep) -> Response:
    return _credential_page(request, service, user, reference)


@router.get("/{reference}/credential.json")
def credential_file(reference: str, service: ServiceDep, user: UserDep) -> Response:
    """The signed credential exactly as stored, as a file."""
    user.principal.require("read")
    item = credentials_api.get_one(reference, service, user.principal)
    with transaction(service.engine, write=False) as session:
        document = find_credential(session, reference).document
    return Response(
        document.encode(),
        media_type="application/vc+ld+json",
        headers={"Content-Disposition": f'attachment; filename="{item["certificateNumber"]}.json"'},
    )


@router.get("/{reference}/certificate.pdf")
def certificate_pdf(reference: str, service: ServiceDep, user: UserDep) -> Response:
    """The printed certificate (PDF/A-3b with the signed credential embedded), as a file."""
    user.principal.require("read")
    item = credentials_api.get_one(reference, service, user.principal)
    with transaction(service.engine, write=False) as session:
        credential = find_credential(session, reference)
    try:
        pdf = print_certificate(service, credential)
    except (CertificateRenderError, CertificateDataError) as exc:
        raise invalid(t("The certificate cannot be printed"), exc.message) from None
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{item["certificateNumber"]}.pdf"'},
    )


@router.post("/{reference}/status")
def change(reference: str, request: Request, service: ServiceDep, user: UserDep, posted: FormDep) -> Response:
    user.principal.require("revoke")
    credentials_api.get_one(reference, service, user.principal)  # the same visibility as reading it
    action = field(posted, "action")
    try:
        if action not in ACTIONS:
            raise invalid(
                t("Unknown action"), t("The action must be one of {actions}.", actions=", ".join(ACTIONS))
            )
        if action == REVOKE and field(posted, "understood") != "yes":
            raise invalid(
                t("Please confirm"),
                t("Tick the box to confirm that revoking is permanent."),
            )
        changed = change_status(
            service, [reference], action, reason=field(posted, "reason")[:500], actor=user.principal.username
        )
    except ServiceError as exc:
        return _credential_page(request, service, user, reference, status=exc.status, error=exc)
    add_flash(service, user, "success", _changed_message(action, len(changed)))
    return RedirectResponse(f"/console/credentials/{reference}", 303)


@router.post("/{reference}/download-link")
def new_download_link(
    reference: str, request: Request, service: ServiceDep, user: UserDep, posted: FormDep
) -> Response:
    """Replace the learner's download link (the old one stops working; audited with the reason)."""
    user.principal.require("issue")
    credentials_api.get_one(reference, service, user.principal)
    try:
        regenerate_link(
            service, reference, actor=user.principal.username, reason=field(posted, "reason")[:500]
        )
    except ServiceError as exc:
        return _credential_page(request, service, user, reference, status=exc.status, error=exc)
    add_flash(
        service,
        user,
        "success",
        in_both(
            t("The download link of {number} was replaced; the old link no longer works.", number=reference)
        ),
    )
    return RedirectResponse(f"/console/credentials/{reference}", 303)


@router.post("/{reference}/reissue")
def reissue_one(
    reference: str, request: Request, service: ServiceDep, user: UserDep, posted: FormDep
) -> Response:
    user.principal.require("issue")
    credentials_api.get_one(reference, service, user.principal)
    try:
        new = reissue(service, reference, reason=field(posted, "reason")[:500], actor=user.principal.username)
    except ServiceError as exc:
        return _credential_page(request, service, user, reference, status=exc.status, error=exc)
    add_flash(
        service,
        user,
        "success",
        in_both(
            t("Issued {new} to replace {old}; {old} is revoked.", new=new.certificate_number, old=reference)
        ),
    )
    return RedirectResponse(f"/console/credentials/{new.certificate_number}", 303)
