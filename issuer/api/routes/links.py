"""Learners' download links (:mod:`issuer.download_links`): export a cohort's, read or replace one.

A download link lets whoever holds it download the certificate, so every route needs the
``issue`` permission (registrars and admins: the office that hands certificates out), not just
``read``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.responses import Response

from ...accounts import Principal
from ...download_links import cohort_links, link_for, links_csv, regenerate_link
from ..deps import ServiceDep, scope

router = APIRouter(prefix="/api", tags=["links"])


@router.get(
    "/programmes/{code}/links.csv",
    summary="A cohort's verification and download links, as CSV (UTF-8 with BOM)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def programme_links(
    code: str, service: ServiceDep, _principal: Annotated[Principal, Depends(scope("issue"))]
) -> Response:
    return Response(
        links_csv(cohort_links(service, code)),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{code}-links.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/credentials/{reference}/download-link", summary="The learner's download link of one certificate"
)
def download_link(
    reference: str,
    service: ServiceDep,
    response: Response,
    _principal: Annotated[Principal, Depends(scope("issue"))],
) -> dict[str, Any]:
    response.headers["Cache-Control"] = "no-store"  # a download link is the learner's key
    return {"reference": reference, "downloadUrl": link_for(service, reference)}


class LinkChange(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


@router.post(
    "/credentials/{reference}/download-link",
    summary="Replace the learner's download link (the old one stops working; audited)",
)
def new_download_link(
    reference: str,
    body: LinkChange,
    service: ServiceDep,
    response: Response,
    principal: Annotated[Principal, Depends(scope("issue"))],
) -> dict[str, Any]:
    response.headers["Cache-Control"] = "no-store"
    url = regenerate_link(service, reference, actor=principal.username, reason=body.reason)
    return {"reference": reference, "downloadUrl": url}
