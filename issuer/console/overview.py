"""The console's first page: the state of things at a glance, and where to go next."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import func
from sqlmodel import col, select
from starlette.responses import Response

from ..api.deps import ServiceDep
from ..api.routes import programmes as programmes_api
from ..db import transaction
from ..errors import not_found
from ..i18n import t
from ..models import Credential, IssueBatch, Programme
from .rendering import page
from .routing import ConsoleRoute, UserDep

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
RECENT_BATCHES = 5


@router.get("")
def overview(request: Request, service: ServiceDep, user: UserDep) -> Response:
    user.principal.require("read")
    programmes = programmes_api.list_all(service, user.principal)
    codes = [p["code"] for p in programmes]
    with transaction(service.engine, write=False) as session:
        visible = select(Programme.id).where(col(Programme.code).in_(codes))
        current = (
            select(func.count())
            .select_from(Credential)
            .where(col(Credential.superseded).is_(False), col(Credential.programme_id).in_(visible))
        )
        counts = {
            "programmes": len(programmes),
            "issued": session.exec(current).one(),
            "revoked": session.exec(current.where(col(Credential.revoked_at).is_not(None))).one(),
            "suspended": session.exec(current.where(col(Credential.suspended_at).is_not(None))).one(),
        }
        batches = session.exec(
            select(IssueBatch, Programme)
            .where(IssueBatch.programme_id == Programme.id, col(Programme.code).in_(codes))
            .order_by(col(IssueBatch.started_at).desc())
            .limit(RECENT_BATCHES)
        ).all()
    return page(request, service, user, "overview.html", nav="overview", counts=counts, batches=batches)


@router.get("/{rest:path}")
def unknown_page(rest: str, user: UserDep) -> Response:
    """Any other console address: a 404 page (signed in) rather than the API's JSON."""
    if not rest:
        return RedirectResponse("/console", 303)
    raise not_found(t("Not found"), t("There is no console page {path}.", path="/console/" + rest))
