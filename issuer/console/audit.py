"""The audit log in the console: filter by action, actor, subject and dates, page through, verify.

Reading needs the ``audit`` permission (administrators and auditors), as ``GET /api/audit``
does. "Verify the chain" runs :func:`issuer.audit.verify_chain` — the same check as
``microcred audit verify`` — and shows the head hash to copy somewhere safe.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from sqlalchemy import func
from sqlmodel import col, select
from starlette.responses import Response

from ..api.deps import ServiceDep
from ..audit import verify_chain
from ..db import transaction
from ..models import AuditEntry
from .rendering import page
from .routing import ConsoleRoute, UserDep

router = APIRouter(prefix="/console/audit", route_class=ConsoleRoute, include_in_schema=False)
PAGE_SIZE = 50


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


@router.get("")
def audit_page(
    request: Request,
    service: ServiceDep,
    user: UserDep,
    *,
    action: Annotated[str, Query(max_length=64)] = "",
    actor: Annotated[str, Query(max_length=128)] = "",
    subject: Annotated[str, Query(max_length=128)] = "",
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
) -> Response:
    user.principal.require("audit")
    first_day, last_day = _day(start), _day(end)
    statement = select(AuditEntry)
    if action.strip():
        statement = statement.where(AuditEntry.action == action.strip())
    if actor.strip():
        statement = statement.where(AuditEntry.actor == actor.strip())
    if subject.strip():
        statement = statement.where(AuditEntry.subject == subject.strip())
    if first_day is not None:
        statement = statement.where(col(AuditEntry.at) >= datetime.combine(first_day, time(), UTC))
    if last_day is not None:
        statement = statement.where(
            col(AuditEntry.at) < datetime.combine(last_day + timedelta(days=1), time(), UTC)
        )
    with transaction(service.engine, write=False) as session:
        total = session.exec(select(func.count()).select_from(statement.subquery())).one()
        entries = session.exec(
            statement.order_by(col(AuditEntry.seq).desc())
            .offset((page_number - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
        actions = session.exec(select(AuditEntry.action).distinct().order_by(col(AuditEntry.action))).all()
    pages = max(1, -(-int(total) // PAGE_SIZE))
    filters = {
        "action": action.strip(),
        "actor": actor.strip(),
        "subject": subject.strip(),
        "from": start,
        "to": end,
    }
    return page(
        request,
        service,
        user,
        "audit.html",
        nav="audit",
        entries=entries,
        actions=actions,
        filters=filters,
        bad_dates=(bool(start.strip()) and first_day is None) or (bool(end.strip()) and last_day is None),
        total=total,
        page_number=page_number,
        pages=pages,
        query_for=lambda number: _query(filters, number),
    )


def _query(filters: dict[str, str], number: int) -> str:
    return urlencode({**{k: v for k, v in filters.items() if v}, "page": number})


@router.get("/verify")
def verify_page(request: Request, service: ServiceDep, user: UserDep) -> Response:
    user.principal.require("audit")
    report = verify_chain(service.engine)
    return page(request, service, user, "audit_verify.html", nav="audit", report=report)
