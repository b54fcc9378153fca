"""Build the issuer's Bitstring Status List credentials (Bitstring Status List v1.0 §2.2).

A list credential is an ordinary credential, signed by the same issuer as the credentials it
covers, whose subject carries the GZIP+base64url ``encodedList``. Verifiers check the
signature and the issuer before they trust a single bit of it.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from verifier.contexts import VC_V2
from verifier.dataintegrity import add_proof
from verifier.datetimes import format_date_time_stamp
from verifier.status import MIN_ENTRIES, Bitstring

from . import identity
from .db import insert_ignoring_duplicates, must, next_values
from .models import StatusAllocation, StatusList

if TYPE_CHECKING:
    from .service import Service


def new_bitstring(entries: int = MIN_ENTRIES) -> Bitstring:
    """An all-zero list with at least the minimum number of entries (herd privacy)."""
    return Bitstring(max(entries, MIN_ENTRIES))


def build_status_list_credential(
    *,
    url: str,
    issuer: str,
    purpose: str,
    bitstring: Bitstring,
    valid_from: datetime,
    valid_until: datetime | None = None,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` published at ``url``."""
    subject: dict[str, Any] = {
        "id": f"{url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": bitstring.encode(),
    }
    if ttl_ms is not None:
        subject["ttl"] = ttl_ms
    credential: dict[str, Any] = {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": format_date_time_stamp(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = format_date_time_stamp(valid_until)
    credential["credentialSubject"] = subject
    return credential


# --- Stored lists (the issuer service) ---------------------------------------------------------

#: A list is closed for new allocations once this share of its entries is used, so that a
#: random free index is always quick to find and every list keeps a large anonymity set.
FILL_LIMIT = 0.8


def _sign(service: Service, session: Session, status_list: StatusList) -> None:
    key = identity.active_key(session)
    if key is None:
        raise ValueError("no active signing key (call identity.ensure_signing_key first)")
    bitstring = Bitstring.from_bytes(status_list.bits)
    unsigned = build_status_list_credential(
        url=service.status_list_url(status_list.purpose, status_list.number),
        issuer=service.did,
        purpose=status_list.purpose,
        bitstring=bitstring,
        valid_from=service.now(),
        ttl_ms=service.settings.status_list_max_age * 1000,
    )
    signed = add_proof(unsigned, identity.signer_for(service, key), created=service.now())
    status_list.document = json.dumps(signed, ensure_ascii=False, separators=(",", ":"))
    status_list.updated_at = service.now()


def _open_list(service: Service, session: Session, purpose: str, needed: int) -> StatusList:
    """The list new indexes go into: the newest one with room, or a new one."""
    newest = session.exec(
        select(StatusList)
        .where(StatusList.purpose == purpose)
        .order_by(col(StatusList.number).desc())
        .with_for_update()
    ).first()
    if newest is not None and newest.allocated + needed <= int(newest.size * FILL_LIMIT):
        return newest
    number = next_values(session, f"status-list:{purpose}")
    status_list = StatusList(
        purpose=purpose,
        number=number,
        size=MIN_ENTRIES,
        bits=bytes(MIN_ENTRIES // 8),
        allocated=0,
        version=1,
        updated_at=service.now(),
        document="",
    )
    _sign(service, session, status_list)
    session.add(status_list)
    session.flush()
    return status_list


def allocate(service: Service, session: Session, purpose: str, count: int) -> list[tuple[StatusList, int]]:
    """``count`` fresh random indexes in ``purpose`` lists; never one handed out before."""
    if count > int(MIN_ENTRIES * FILL_LIMIT):
        raise ValueError("allocate at most one list's worth of indexes at a time")
    status_list = _open_list(service, session, purpose, count)
    chosen: list[int] = []
    generator = secrets.SystemRandom()
    while len(chosen) < count:
        # Distinct random candidates; those another worker (or an earlier credential) already
        # holds are skipped by the database, and the loop draws again for the shortfall.
        candidates = generator.sample(range(status_list.size), count - len(chosen))
        rows = [{"list_id": must(status_list.id, "status list id"), "index": i} for i in candidates]
        statement = insert_ignoring_duplicates(session, StatusAllocation, rows, returning="index")
        chosen.extend(row[0] for row in session.execute(statement))
    session.execute(
        update(StatusList)
        .where(col(StatusList.id) == status_list.id)
        .values(allocated=StatusList.allocated + count)
    )
    return [(status_list, index) for index in chosen]


def set_status(
    service: Service, session: Session, list_id: int, indexes: list[int], value: int
) -> StatusList:
    """Set ``indexes`` of one list to ``value``, bump its version and re-sign it (row locked)."""
    status_list = session.exec(select(StatusList).where(StatusList.id == list_id).with_for_update()).one()
    bitstring = Bitstring.from_bytes(status_list.bits)
    for index in indexes:
        bitstring.set(index, value)
    status_list.bits = bitstring.to_bytes()
    status_list.version += 1
    _sign(service, session, status_list)
    session.add(status_list)
    session.flush()
    return status_list


def find_list(session: Session, purpose: str, number: int) -> StatusList | None:
    return session.exec(
        select(StatusList).where(StatusList.purpose == purpose, StatusList.number == number)
    ).first()
