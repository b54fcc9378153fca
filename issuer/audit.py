"""The append-only, hash-chained audit log.

Every issue, revoke, suspend, key and role change appends one entry in the same transaction as
the change itself, so the log and the data cannot disagree. Each entry's hash covers its
content and the previous entry's hash (SHA-256 over RFC 8785 JSON); the sequence number comes
from an atomic counter that also serializes concurrent writers. Database triggers refuse
UPDATE and DELETE on the table (migration 0001).

:func:`verify_chain` recomputes every hash and checks that the sequence has no gaps and ends
where the counter says it ends: an altered, removed or re-ordered entry is reported by number.
Someone with full database access could rewrite the whole chain consistently; to detect that,
copy the head hash (``microcred audit verify`` prints it) somewhere they cannot reach.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from verifier.canonical import canonize_jcs

from .db import next_values, transaction
from .i18n import IssuerText, t
from .models import AuditEntry, Counter

GENESIS = "0" * 64
AUDIT_COUNTER = "audit"


def _entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over the RFC 8785 JSON of the entry's content and the previous hash."""
    at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
    body = {
        "seq": entry.seq,
        "at": at.astimezone(UTC).isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "details": entry.details,
        "prev": entry.prev_hash,
    }
    return hashlib.sha256(canonize_jcs(body)).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction."""
    seq = next_values(session, AUDIT_COUNTER)
    previous = session.get(AuditEntry, seq - 1) if seq > 1 else None
    prev_hash = previous.hash if previous is not None else GENESIS
    moment = (at or datetime.now(UTC)).replace(microsecond=0)
    payload = dict(details or {})
    entry = AuditEntry(
        seq=seq,
        at=moment,
        actor=actor,
        action=action,
        subject=subject,
        details=payload,
        prev_hash=prev_hash,
        hash="",
    )
    entry.hash = _entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


def record_many(
    session: Session,
    entries: list[tuple[str, str, str, dict[str, Any]]],
    *,
    at: datetime | None = None,
) -> None:
    """Append ``(actor, action, subject, details)`` entries in one go (a batch's issues).

    The sequence numbers are reserved with one counter update, so the chain is the same as if
    each entry had been recorded alone.
    """
    if not entries:
        return
    first = next_values(session, AUDIT_COUNTER, len(entries))
    previous = session.get(AuditEntry, first - 1) if first > 1 else None
    prev_hash = previous.hash if previous is not None else GENESIS
    moment = (at or datetime.now(UTC)).replace(microsecond=0)
    rows = []
    for offset, (actor, action, subject, details) in enumerate(entries):
        entry = AuditEntry(
            seq=first + offset,
            at=moment,
            actor=actor,
            action=action,
            subject=subject,
            details=dict(details),
            prev_hash=prev_hash,
            hash="",
        )
        entry.hash = _entry_hash(entry)
        prev_hash = entry.hash
        rows.append(entry)
    session.add_all(rows)
    session.flush()


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of :func:`verify_chain`."""

    entries: int
    head: str
    problems: tuple[IssuerText, ...]

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_chain(engine: Engine) -> ChainReport:
    """Recompute the whole chain; report every entry that does not fit."""
    problems: list[IssuerText] = []
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    with transaction(engine, write=False) as session:
        counter = session.get(Counter, AUDIT_COUNTER)
        for entry in session.exec(select(AuditEntry).order_by(col(AuditEntry.seq))):
            count += 1
            if entry.seq != expected_seq:
                problems.append(
                    t("Entries {first} to {last} are missing.", first=expected_seq, last=entry.seq - 1)
                )
            if entry.prev_hash != expected_prev:
                problems.append(t("Entry {seq} does not link to the entry before it.", seq=entry.seq))
            if _entry_hash(entry) != entry.hash:
                problems.append(
                    t(
                        "Entry {seq} ({action} {subject}) was altered.",
                        seq=entry.seq,
                        action=entry.action,
                        subject=entry.subject,
                    )
                )
            expected_prev = entry.hash
            expected_seq = entry.seq + 1
        last = counter.value if counter is not None else 0
        if last != expected_seq - 1:
            problems.append(
                t(
                    "The log should end at entry {expected} but ends at entry {actual}.",
                    expected=last,
                    actual=expected_seq - 1,
                )
            )
    return ChainReport(count, expected_prev, tuple(problems))
