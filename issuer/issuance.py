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
from sqlmodel import Session, select

from verifier import verify_credential
from verifier.dataintegrity import add_proof

from . import audit, identity, status_lists
from .cohorts import LearnerEligibility, eligibility
from .credential import Bilingual, CertificateDetails, CourseResult, StatusEntry, build_credential
from .credential import Institution as InstitutionInfo
from .credential import Learner as LearnerInfo
from .db import must, next_values, transaction
from .errors import ServiceError
from .fields import DEFAULT_INDUSTRY_FIELDS
from .i18n import IssuerText, t
from .lookup import find_credential
from .models import CompletionRecord, Credential, IssueBatch, Learner, Programme, SigningKey
from .programmes import get_programme, micro_major
from .revocation import revoke_in_transaction
from .service import Service

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
) -> BatchResult:
    """Issue every eligible learner of a micro-major who has no certificate yet."""
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
    identity.ensure_signing_key(service, actor=actor)
    with transaction(service.engine) as session:
        batch = IssueBatch(
            programme_id=programme.id or 0, actor=actor, started_at=service.now(), eligible=len(targets)
        )
        session.add(batch)
        session.flush()
        result.batch_id = batch.id
    done = 0
    for start in range(0, len(targets), chunk_size):
        chunk = targets[start : start + chunk_size]
        result.issued.extend(
            _issue_chunk(
                service, programme_code, [e.learner_id for e in chunk], actor=actor, batch_id=result.batch_id
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
    service: Service, programme_code: str, learner_ids: list[int], *, actor: str, batch_id: int | None
) -> list[IssuedCredential]:
    for _attempt in range(MAX_RACE_RETRIES):
        try:
            with transaction(service.engine) as session:
                return _issue_in_transaction(
                    service, session, programme_code, learner_ids, actor=actor, batch_id=batch_id
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
    programme_code: str,
    learner_ids: list[int],
    *,
    actor: str,
    batch_id: int | None,
    replaces: Credential | None = None,
) -> list[IssuedCredential]:
    programme = get_programme(session, programme_code)
    current = {e.learner_id: e for e in eligibility(service, session, programme).learners}
    ready = [
        current[i]
        for i in learner_ids
        if i in current and current[i].eligible and not current[i].certificate_number
    ]
    if not ready:
        return []
    key = must(identity.active_key(session), "active signing key")
    signer = identity.signer_for(service, key)
    spec = micro_major(service, session, programme)
    institution = identity.get_institution(session)
    institution_info = InstitutionInfo(
        service.did, Bilingual(institution.name_zh, institution.name_en), institution.code, institution.url
    )
    now = service.now()
    year = now.year
    first_number = next_values(session, f"certificate:{programme.code}:{year}", len(ready))
    allocations = {
        purpose: status_lists.allocate(service, session, purpose, len(ready))
        for purpose in service.settings.purposes
    }
    did_document = identity.did_document(service, session)
    lists_by_url = {
        service.status_list_url(sl.purpose, sl.number): json.loads(sl.document)
        for entries in allocations.values()
        for sl, _index in entries[:1]
    }
    issued: list[IssuedCredential] = []
    for position, learner_state in enumerate(ready):
        learner = must(session.get(Learner, learner_state.learner_id), "learner")
        number = f"{programme.code}-{year}-{first_number + position:06d}"
        entries = tuple(
            StatusEntry(
                purpose,
                allocations[purpose][position][1],
                service.status_list_url(purpose, allocations[purpose][position][0].number),
            )
            for purpose in service.settings.purposes
        )
        details = CertificateDetails(
            certificate_number=number,
            valid_from=now,
            study_start=learner_state.study_start,
            study_end=learner_state.study_end,
            status=entries,
        )
        document = build_credential(
            institution_info,
            spec,
            LearnerInfo(learner.name, learner.name_en, learner.student_number, learner.did),
            _results(session, programme, learner),
            details,
            industry_fields=DEFAULT_INDUSTRY_FIELDS,
        )
        signed = add_proof(document, signer, created=now)
        _check_before_storing(signed, now, did_document, lists_by_url, service)
        revocation_list, revocation_index = allocations["revocation"][position]
        suspension = allocations.get("suspension")
        credential = Credential(
            credential_id=signed["id"],
            certificate_number=number,
            programme_id=programme.id or 0,
            learner_id=learner.id or 0,
            key_id=key.id or 0,
            batch_id=batch_id,
            document=json.dumps(signed, ensure_ascii=False, separators=(",", ":")),
            issued_at=now,
            revocation_list_id=revocation_list.id or 0,
            revocation_index=revocation_index,
            suspension_list_id=suspension[position][0].id if suspension else None,
            suspension_index=suspension[position][1] if suspension else None,
            replaces_id=replaces.id if replaces else None,
        )
        session.add(credential)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="credential.reissue" if replaces else "credential.issue",
            subject=number,
            details={
                "credential": signed["id"],
                "student": learner.student_number,
                "programme": programme.code,
                "key": key.fragment,
            }
            | ({"replaces": replaces.certificate_number} if replaces else {}),
            at=now,
        )
        issued.append(IssuedCredential(number, signed["id"], learner.student_number, learner.name, signed))
    return issued


def _results(session: Session, programme: Programme, learner: Learner) -> list[CourseResult]:
    records = session.exec(
        select(CompletionRecord).where(
            CompletionRecord.programme_id == programme.id, CompletionRecord.learner_id == learner.id
        )
    )
    return [CourseResult(r.course_code, r.grade, r.passed) for r in records]


def _check_before_storing(
    signed: dict[str, Any], now: Any, did_document: dict[str, Any], lists: dict[str, Any], service: Service
) -> None:
    result = verify_credential(signed, now=now, did_documents={service.did: did_document}, status_lists=lists)
    if not result.verified:
        failures = [f"{c.id}: {c.message_in('en')}" for c in result.checks if c.required and not c.ok]
        raise ServiceError(
            500,
            "self-check-failed",
            t("Issued credential failed verification"),
            t(
                "microcred's own verifier rejected a credential it just signed; nothing was stored. {failures}",
                failures="; ".join(failures),
            ),
        )


# --- Reissue ----------------------------------------------------------------------------------


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
        new = _issue_in_transaction(
            service, session, programme.code, [old.learner_id], actor=actor, batch_id=None, replaces=old
        )
        if not new:
            state = eligibility(service, session, programme)
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
