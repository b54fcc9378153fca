"""Revoke, suspend and unsuspend certificates — one or many, always in one transaction.

Revocation is permanent (Bitstring Status List §2.1) and needs a reason; the reason is stored
and audited but never published (the status list says only "revoked"). Suspension can be
lifted. Each change flips bits in the signed status list, which is re-signed in the same
transaction, so what the list says and what the database says never disagree.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable

from sqlmodel import Session

from . import audit, identity, status_lists
from .db import must, transaction
from .errors import ErrorItem, ServiceError, invalid
from .i18n import IssuerText, t
from .lookup import find_credential
from .models import Credential
from .service import Service

REVOKE, SUSPEND, UNSUSPEND = "revoke", "suspend", "unsuspend"
ACTIONS = (REVOKE, SUSPEND, UNSUSPEND)


def _require_reason(reason: str | None, action: str) -> str:
    if action == UNSUSPEND:
        return (reason or "").strip()
    if not reason or not reason.strip():
        raise ServiceError(
            422,
            "reason-required",
            t("Reason required"),
            t("Give the reason for this {action}.", action=action),
        )
    return reason.strip()


def revoke_in_transaction(
    service: Service, session: Session, credentials: list[Credential], *, reason: str, actor: str
) -> None:
    by_list: dict[int, list[int]] = defaultdict(list)
    for credential in credentials:
        credential.revoked_at = service.now()
        credential.revocation_reason = reason
        session.add(credential)
        by_list[credential.revocation_list_id].append(credential.revocation_index)
        audit.record(
            session,
            actor=actor,
            action="credential.revoke",
            subject=credential.certificate_number,
            details={"reason": reason},
        )
    for list_id, indexes in by_list.items():
        status_lists.set_status(service, session, list_id, indexes, 1)


def change_status(
    service: Service, references: Iterable[str], action: str, *, reason: str | None, actor: str
) -> list[Credential]:
    """Apply ``action`` (revoke | suspend | unsuspend) to every referenced certificate, or to none."""
    if action not in ACTIONS:
        raise invalid(
            t("Unknown action"), t("The action must be one of {actions}.", actions=", ".join(ACTIONS))
        )
    reason_text = _require_reason(reason, action)
    wanted = list(dict.fromkeys(r.strip() for r in references if r and r.strip()))
    if not wanted:
        raise invalid(t("No certificates"), t("Name at least one certificate number."))
    if action != REVOKE and "suspension" not in service.settings.purposes:
        raise ServiceError(
            409,
            "suspension-disabled",
            t("Suspension is not enabled"),
            t(
                "Credentials of this issuer carry no suspension entry (status_purposes is 'revocation'); revoke instead."
            ),
        )
    identity.ensure_signing_key(service, actor=actor)
    with transaction(service.engine) as session:
        credentials: list[Credential] = []
        problems: list[ErrorItem] = []
        missing = False
        for reference in wanted:
            try:
                credential = find_credential(session, reference, for_update=True)
            except ServiceError:
                problems.append(ErrorItem(t("no such certificate"), reference))
                missing = True
                continue
            problem = _why_not(credential, action)
            if problem is not None:
                problems.append(ErrorItem(problem, reference))
            credentials.append(credential)
        if problems:
            raise ServiceError(
                404 if missing else 409,
                "status-change-refused",
                t("Nothing was changed"),
                t(
                    "{count} of {total} certificate(s) cannot be changed; nothing was changed.",
                    count=len(problems),
                    total=len(wanted),
                ),
                problems,
            )
        if action == REVOKE:
            revoke_in_transaction(service, session, credentials, reason=reason_text, actor=actor)
        else:
            _suspension(
                service, session, credentials, suspend=action == SUSPEND, reason=reason_text, actor=actor
            )
        return credentials


def _why_not(credential: Credential, action: str) -> IssuerText | None:
    if credential.revoked_at is not None:
        return t("already revoked on {date}", date=credential.revoked_at.date().isoformat())
    if action == SUSPEND and credential.suspended_at is not None:
        return t("already suspended")
    if action == UNSUSPEND and credential.suspended_at is None:
        return t("not suspended")
    if action != REVOKE and credential.suspension_list_id is None:
        return t("issued without a suspension entry")
    return None


def _suspension(
    service: Service,
    session: Session,
    credentials: list[Credential],
    *,
    suspend: bool,
    reason: str,
    actor: str,
) -> None:
    by_list: dict[int, list[int]] = defaultdict(list)
    for credential in credentials:
        credential.suspended_at = service.now() if suspend else None
        credential.suspension_reason = reason if suspend else None
        session.add(credential)
        by_list[must(credential.suspension_list_id, "suspension list")].append(
            must(credential.suspension_index, "suspension index")
        )
        audit.record(
            session,
            actor=actor,
            action="credential.suspend" if suspend else "credential.unsuspend",
            subject=credential.certificate_number,
            details={"reason": reason} if reason else {},
        )
    for list_id, indexes in by_list.items():
        status_lists.set_status(service, session, list_id, indexes, 1 if suspend else 0)


def read_certificate_numbers(data: bytes) -> list[str]:
    """Certificate numbers from a bulk CSV: one per line, or a column named 证书编号 / certificate_number."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise invalid(t("Unreadable file"), t("The file is neither UTF-8 nor GB18030 text."))
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise invalid(t("Empty file"), t("The file lists no certificate numbers."))
    header = [cell.strip().lower() for cell in rows[0]]
    for name in ("证书编号", "certificate_number", "certificate number", "编号"):
        if name in header:
            column = header.index(name)
            return [row[column].strip() for row in rows[1:] if len(row) > column and row[column].strip()]
    return [row[0].strip() for row in rows if row[0].strip()]
