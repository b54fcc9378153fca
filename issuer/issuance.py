"""Issue a cohort's certificates: build → sign → verify → store, one step each.

A batch issues every eligible learner who has no current certificate yet, so running it again
issues nothing twice. It works in chunks; each chunk is one transaction (certificate numbers,
status-list indexes, credentials and their audit entries together), so a crash leaves whole
certificates or none, and the next run picks up where it stopped. Before a credential is
stored, the verifier library checks it exactly as a stranger would (a signature our own
verifier rejects must never leave the building).

Several workers may issue at once against one PostgreSQL: certificate numbers come from an
atomic counter, status indexes from an insert that skips taken ones, and a unique index allows
one current credential per learner and micro-major; a chunk that loses a race is retried
without the learners another worker just served.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from . import audit, identity, status_lists
from .cohorts import LearnerEligibility, eligibility
from .credential import Bilingual, CertificateDetails, CourseResult, StatusEntry
from .credential import Institution as InstitutionInfo
from .credential import Learner as LearnerInfo
from .db import must, next_values, transaction
from .download_links import assign_links
from .errors import ServiceError
from .i18n import IssuerText, t
from .lookup import find_credential
from .models import CompletionRecord, Credential, Enrolment, IssueBatch, Learner, Programme, SigningKey
from .programmes import get_programme, micro_major
from .revocation import revoke_in_transaction
from .service import Service
from .signing import POOL_THRESHOLD, ChunkContext, Signing, SigningJob, default_workers

Progress = Callable[[int, int], None]
CHUNK = 100
MAX_RACE_RETRIES = 5


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    certificate_number: str
    credential_id: str
    student_number: str
    name: str
    document: dict[str, Any]
    #: The signed summary credential the certificate's QR code carries (docs/qr-format.md).
    summary: dict[str, Any] | None = None


@dataclass
class BatchResult:
    programme: str
    dry_run: bool
    batch_id: int | None = None
    issued: list[IssuedCredential] = field(default_factory=list)
    would_issue: list[LearnerEligibility] = field(default_factory=list)
    not_eligible: list[LearnerEligibility] = field(default_factory=list)
    already_issued: int = 0


def issue_programme(
    service: Service,
    programme_code: str,
    *,
    actor: str,
    dry_run: bool = False,
    progress: Progress | None = None,
    chunk_size: int = CHUNK,
    workers: int | None = None,
) -> BatchResult:
    """Issue every eligible learner of a micro-major who has no certificate yet.

    ``workers`` processes build, sign and check credentials in parallel (default: one per core
    for batches of at least :data:`~issuer.signing.POOL_THRESHOLD`, else none).
    """
    with transaction(service.engine, write=False) as session:
        programme = get_programme(session, programme_code)
        preview = eligibility(service, session, programme)
    result = BatchResult(programme_code, dry_run)
    result.not_eligible = [e for e in preview.learners if not e.eligible and not e.certificate_number]
    result.already_issued = sum(1 for e in preview.learners if e.certificate_number)
    targets = preview.eligible
    if dry_run:
        result.would_issue = targets
        return result
    if not targets:
        return result
    key = identity.ensure_signing_key(service, actor=actor)
    with transaction(service.engine) as session:
        batch = IssueBatch(
            programme_id=programme.id or 0, actor=actor, started_at=service.now(), eligible=len(targets)
        )
        session.add(batch)
        session.flush()
        result.batch_id = batch.id
    if workers is None:
        workers = default_workers() if len(targets) >= POOL_THRESHOLD else 1
    signer = identity.signer_for(service, key)
    seed = service.keys.private_seed(key.fingerprint) if workers > 1 else None
    done = 0
    with Signing(signer, seed, workers=workers) as signing:
        for start in range(0, len(targets), chunk_size):
            chunk = targets[start : start + chunk_size]
            result.issued.extend(
                _issue_chunk(
                    service,
                    signing,
                    programme_code,
                    [e.learner_id for e in chunk],
                    actor=actor,
                    batch_id=result.batch_id,
                )
            )
            done += len(chunk)
            if progress is not None:
                progress(done, len(targets))
    with transaction(service.engine) as session:
        batch_row = must(session.get(IssueBatch, result.batch_id), "issue batch")
        batch_row.issued = len(result.issued)
        batch_row.finished_at = service.now()
        batch_row.status = "finished"
        session.add(batch_row)
    return result


def _issue_chunk(
    service: Service,
    signing: Signing,
    programme_code: str,
    learner_ids: list[int],
    *,
    actor: str,
    batch_id: int | None,
) -> list[IssuedCredential]:
    for _attempt in range(MAX_RACE_RETRIES):
        try:
            with transaction(service.engine) as session:
                return _issue_in_transaction(
                    service, session, signing, programme_code, learner_ids, actor=actor, batch_id=batch_id
                )
        except IntegrityError:
            # Another worker issued some of these learners meanwhile: retry; the re-check
            # inside the transaction leaves them out.
            continue
    raise ServiceError(
        503,
        "busy",
        t("Too much concurrent issuing"),
        t("Another process kept issuing the same learners; try again."),
    )


def _issue_in_transaction(
    service: Service,
    session: Session,
    signing: Signing,
    programme_code: str,
    learner_ids: list[int],
    *,
    actor: str,
    batch_id: int | None,
    replaces: Credential | None = None,
) -> list[IssuedCredential]:
    """Prepare (database reads and reservations) → sign and check (CPU) → store (bulk writes)."""
    programme = get_programme(session, programme_code)
    # Claim the learners: another worker issuing the same programme skips the ones this
    # transaction holds (PostgreSQL SKIP LOCKED; SQLite serializes writers anyway).
    claimed = set(
        session.exec(
            select(Enrolment.learner_id)
            .where(Enrolment.programme_id == programme.id, col(Enrolment.learner_id).in_(learner_ids))
            .with_for_update(skip_locked=True)
        ).all()
    )
    learner_ids = [i for i in learner_ids if i in claimed]
    current = {e.learner_id: e for e in eligibility(service, session, programme, learner_ids).learners}
    ready = [
        current[i]
        for i in learner_ids
        if i in current and current[i].eligible and not current[i].certificate_number
    ]
    if not ready:
        return []
    key = must(identity.active_key(session), "active signing key")
    institution = identity.get_institution(session)
    now = service.now()
    first_number = next_values(session, f"certificate:{programme.code}:{now.year}", len(ready))
    allocations = {
        purpose: status_lists.allocate(service, session, purpose, len(ready))
        for purpose in service.settings.purposes
    }
    learners = {
        learner.id: learner
        for learner in session.exec(select(Learner).where(col(Learner.id).in_([e.learner_id for e in ready])))
    }
    results = _results(session, programme, [e.learner_id for e in ready])
    numbers = [f"{programme.code}-{now.year}-{first_number + position:06d}" for position in range(len(ready))]
    jobs = []
    for position, state in enumerate(ready):
        learner = learners[state.learner_id]
        entries = tuple(
            StatusEntry(
                purpose,
                allocations[purpose][position][1],
                service.status_list_url(purpose, allocations[purpose][position][0].number),
            )
            for purpose in service.settings.purposes
        )
        details = CertificateDetails(
            numbers[position], now, state.study_start, state.study_end, status=entries
        )
        jobs.append(
            SigningJob(
                LearnerInfo(learner.name, learner.name_en, learner.student_number, learner.did),
                tuple(results.get(state.learner_id, ())),
                details,
            )
        )
    lists_used = {sl.id: sl for entries in allocations.values() for sl, _index in entries}.values()
    context = ChunkContext(
        institution=InstitutionInfo(
            service.did,
            Bilingual(institution.name_zh, institution.name_en),
            institution.code,
            institution.url,
        ),
        micro_major=micro_major(service, session, programme),
        now=now,
        did=service.did,
        did_document=identity.did_document(service, session),
        status_lists={
            service.status_list_url(sl.purpose, sl.number): json.loads(sl.document) for sl in lists_used
        },
        verifier_url=service.settings.verifier_url,
    )
    signed_certificates = signing.sign(context, jobs)

    suspension = allocations.get("suspension")
    credentials = [
        Credential(
            credential_id=signed.document["id"],
            certificate_number=numbers[position],
            programme_id=programme.id or 0,
            learner_id=state.learner_id,
            key_id=key.id or 0,
            batch_id=batch_id,
            document=_stored(signed.document),
            summary_document=_stored(signed.summary),
            issued_at=now,
            revocation_list_id=allocations["revocation"][position][0].id or 0,
            revocation_index=allocations["revocation"][position][1],
            suspension_list_id=suspension[position][0].id if suspension else None,
            suspension_index=suspension[position][1] if suspension else None,
            replaces_id=replaces.id if replaces else None,
        )
        for position, (state, signed) in enumerate(zip(ready, signed_certificates, strict=True))
    ]
    assign_links(service, session, credentials)  # the learner's download link (issuer/download_links.py)
    session.add_all(credentials)
    session.flush()
    action = "credential.reissue" if replaces else "credential.issue"
    audit.record_many(
        session,
        [
            (
                actor,
                action,
                credential.certificate_number,
                {
                    "credential": credential.credential_id,
                    "student": learners[credential.learner_id].student_number,
                    "programme": programme.code,
                    "key": key.fragment,
                }
                | ({"replaces": replaces.certificate_number} if replaces else {}),
            )
            for credential in credentials
        ],
        at=now,
    )
    return [
        IssuedCredential(
            c.certificate_number,
            c.credential_id,
            learners[c.learner_id].student_number,
            learners[c.learner_id].name,
            signed.document,
            signed.summary,
        )
        for c, signed in zip(credentials, signed_certificates, strict=True)
    ]


def _stored(document: dict[str, Any]) -> str:
    """A signed document as stored (and served): compact JSON, characters as they are."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _results(session: Session, programme: Programme, learner_ids: list[int]) -> dict[int, list[CourseResult]]:
    records = session.exec(
        select(CompletionRecord).where(
            CompletionRecord.programme_id == programme.id, col(CompletionRecord.learner_id).in_(learner_ids)
        )
    )
    results: dict[int, list[CourseResult]] = {}
    for record in records:
        results.setdefault(record.learner_id, []).append(
            CourseResult(record.course_code, record.grade, record.passed)
        )
    return results


def reissue(service: Service, reference: str, *, reason: str, actor: str) -> IssuedCredential:
    """Issue a corrected certificate: revoke the old one and link the two (one transaction)."""
    if not reason.strip():
        raise ServiceError(
            422, "reason-required", t("Reason required"), t("Say why the certificate is reissued.")
        )
    identity.ensure_signing_key(service, actor=actor)
    with transaction(service.engine) as session:
        old = find_credential(session, reference, for_update=True)
        if old.superseded:
            raise ServiceError(
                409,
                "already-replaced",
                t("Already replaced"),
                t("{number} was already replaced.", number=old.certificate_number),
            )
        programme = must(session.get(Programme, old.programme_id), "programme")
        if old.revoked_at is None:
            revoke_in_transaction(service, session, [old], reason=f"reissued: {reason.strip()}", actor=actor)
        old.superseded = True
        session.add(old)
        session.flush()
        key = must(identity.active_key(session), "active signing key")
        with Signing(identity.signer_for(service, key), None, workers=1) as signing:
            new = _issue_in_transaction(
                service,
                session,
                signing,
                programme.code,
                [old.learner_id],
                actor=actor,
                batch_id=None,
                replaces=old,
            )
        if not new:
            state = eligibility(service, session, programme, [old.learner_id])
            reasons: Sequence[IssuerText] = next(
                (e.reasons for e in state.learners if e.learner_id == old.learner_id), ()
            )
            raise ServiceError(
                409,
                "not-eligible",
                t("Cannot reissue"),
                t(
                    "The learner is no longer eligible: {reasons}",
                    reasons="; ".join(str(r) for r in reasons) or "—",
                ),
            )
        replacement = session.exec(
            select(Credential).where(Credential.certificate_number == new[0].certificate_number)
        ).one()
        old.replaced_by_id = replacement.id
        session.add(old)
        return new[0]


def signing_key_of(session: Session, credential: Credential) -> SigningKey:
    return must(session.get(SigningKey, credential.key_id), "signing key")
