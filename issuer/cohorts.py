"""A micro-major's cohort: completion records in, eligibility out, college approval.

Records arrive as the academic system exports them (:mod:`issuer.records` reads the file).
Importing is all or nothing: a file with one bad row changes nothing and reports every bad row.
A re-import updates grades (a make-up exam) and keeps the previous grade in the audit log.

Eligibility is computed, never stored: every course of the micro-major passed, completed
within the maximum study period, and — when the policy requires it — the cohort approved by the
college. The preview lists every learner with the exact reasons.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from . import audit
from .db import transaction
from .errors import ErrorItem, ServiceError, forbidden, invalid
from .i18n import IssuerText, t
from .models import (
    Approval,
    College,
    CompletionRecord,
    Credential,
    Enrolment,
    Learner,
    Programme,
    RecordImport,
)
from .programmes import courses_of, get_programme
from .records import CompletionRow, GradingRule, RecordsError, read_records
from .service import Service


@dataclass(frozen=True, slots=True)
class ImportSummary:
    programme: str
    rows: int
    learners: int
    created: int
    updated: int
    unchanged: int


def import_records(
    service: Service, programme_code: str, data: bytes, filename: str, *, actor: str
) -> ImportSummary:
    """Import a completion-records file for one micro-major (one transaction)."""
    try:
        rows = read_records(data, filename, grading=GradingRule(pass_mark=service.policy.pass_mark))
    except RecordsError as exc:
        raise invalid(
            t("The records file cannot be imported"),
            t("{file}: {count} problem(s); nothing was imported.", file=filename, count=len(exc.problems)),
            [ErrorItem(p.message, _where(p.line, p.column)) for p in exc.problems],
        ) from None
    with transaction(service.engine) as session:
        programme = get_programme(session, programme_code)
        courses = {c.code for c in courses_of(session, programme)}
        unknown = [r for r in rows if r.course_code not in courses]
        if unknown:
            raise invalid(
                t("Unknown courses"),
                t(
                    "{count} row(s) name courses that are not part of {code} ({courses}); nothing was imported.",
                    count=len(unknown),
                    code=programme_code,
                    courses=", ".join(sorted(courses)),
                ),
                [
                    ErrorItem(
                        t("course {course} is not part of this micro-major", course=r.course_code),
                        _where(r.line, None),
                    )
                    for r in unknown[:100]
                ],
            )
        learners = _learners(session, rows)
        batch = RecordImport(
            programme_id=programme.id or 0,
            filename=filename[:255],
            sha256=hashlib.sha256(data).hexdigest(),
            rows=len(rows),
            actor=actor,
            created_at=service.now(),
        )
        session.add(batch)
        session.flush()
        created = updated = unchanged = 0
        changes: list[dict[str, str]] = []
        _enrol_all(session, programme, learners, rows)
        existing_records = {
            (r.learner_id, r.course_code): r
            for r in session.exec(
                select(CompletionRecord).where(CompletionRecord.programme_id == programme.id)
            )
        }
        new_records = []
        for row in rows:
            learner_id = learners[row.student_number].id or 0
            existing = existing_records.get((learner_id, row.course_code))
            if existing is None:
                new_records.append(
                    CompletionRecord(
                        programme_id=programme.id or 0,
                        learner_id=learner_id,
                        course_code=row.course_code,
                        grade=row.grade,
                        passed=row.passed,
                        completed_on=row.completed_on,
                        import_id=batch.id or 0,
                    )
                )
                created += 1
            elif (existing.grade, existing.passed, existing.completed_on) == (
                row.grade,
                row.passed,
                row.completed_on,
            ):
                unchanged += 1
            else:
                changes.append(
                    {
                        "student": row.student_number,
                        "course": row.course_code,
                        "from": existing.grade,
                        "to": row.grade,
                    }
                )
                existing.grade, existing.passed, existing.completed_on = (
                    row.grade,
                    row.passed,
                    row.completed_on,
                )
                existing.import_id = batch.id or 0
                session.add(existing)
                updated += 1
        session.add_all(new_records)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="records.import",
            subject=programme_code,
            details={
                "file": filename[:255],
                "sha256": batch.sha256,
                "rows": len(rows),
                "created": created,
                "updated": updated,
                "changes": changes[:500],
            },
        )
        return ImportSummary(programme_code, len(rows), len(learners), created, updated, unchanged)


def _where(line: int | None, column: str | None) -> str | None:
    if line is None and column is None:
        return None
    return f"line {line}" + (f", {column}" if column else "") if line is not None else column


def _learners(session: Session, rows: list[CompletionRow]) -> dict[str, Learner]:
    """The learners of ``rows``, created where new; a known number with another name is refused."""
    first_rows: dict[str, CompletionRow] = {}
    for row in rows:
        first_rows.setdefault(row.student_number, row)
    numbers = list(first_rows)
    learners: dict[str, Learner] = {}
    for start in range(0, len(numbers), 1000):  # bounded IN lists
        part = numbers[start : start + 1000]
        learners.update(
            {
                x.student_number: x
                for x in session.exec(select(Learner).where(col(Learner.student_number).in_(part)))
            }
        )
    conflicts: list[ErrorItem] = []
    created = []
    for number, row in first_rows.items():
        learner = learners.get(number)
        if learner is None:
            learner = Learner(student_number=number, name=row.name, name_en=row.name_en)
            learners[number] = learner
            created.append(learner)
        elif learner.name != row.name:
            conflicts.append(
                ErrorItem(
                    t(
                        "student {number} is {known} in earlier records but {given} in this file",
                        number=number,
                        known=learner.name,
                        given=row.name,
                    ),
                    f"line {row.line}",
                )
            )
        elif row.name_en and not learner.name_en:
            learner.name_en = row.name_en
            session.add(learner)
    if conflicts:
        raise invalid(
            t("Names do not match"),
            t(
                "Some student numbers carry a different name than before; correct the file or the learner first."
            ),
            conflicts,
        )
    session.add_all(created)
    session.flush()
    return learners


def _enrol_all(
    session: Session, programme: Programme, learners: dict[str, Learner], rows: list[CompletionRow]
) -> None:
    """Enrol every learner of the file (once), keeping the latest enrolment date given."""
    enrolled_on: dict[int, date | None] = {}
    for row in rows:
        learner_id = learners[row.student_number].id or 0
        if row.enrolled_on or learner_id not in enrolled_on:
            enrolled_on[learner_id] = row.enrolled_on or enrolled_on.get(learner_id)
    existing = {
        e.learner_id: e for e in session.exec(select(Enrolment).where(Enrolment.programme_id == programme.id))
    }
    new = []
    for learner_id, day in enrolled_on.items():
        enrolment = existing.get(learner_id)
        if enrolment is None:
            new.append(Enrolment(programme_id=programme.id or 0, learner_id=learner_id, enrolled_on=day))
        elif day and enrolment.enrolled_on != day:
            enrolment.enrolled_on = day
            session.add(enrolment)
    session.add_all(new)
    session.flush()


# --- Eligibility -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CourseOutcome:
    code: str
    grade: str | None
    passed: bool


@dataclass(frozen=True, slots=True)
class LearnerEligibility:
    learner_id: int
    student_number: str
    name: str
    eligible: bool
    reasons: tuple[IssuerText, ...]
    courses: tuple[CourseOutcome, ...]
    study_start: date | None
    study_end: date | None
    certificate_number: str | None = None

    @property
    def status(self) -> str:
        if self.certificate_number:
            return "issued"
        return "eligible" if self.eligible else "not-eligible"


@dataclass(frozen=True, slots=True)
class Preview:
    programme: str
    learners: tuple[LearnerEligibility, ...]
    approval_required: bool
    approved_learner_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def eligible(self) -> list[LearnerEligibility]:
        return [e for e in self.learners if e.eligible and not e.certificate_number]


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + (end.month - start.month) - (1 if end.day < start.day else 0)


def preview(service: Service, programme_code: str) -> Preview:
    with transaction(service.engine, write=False) as session:
        return eligibility(service, session, get_programme(session, programme_code))


def eligibility(
    service: Service, session: Session, programme: Programme, learner_ids: Collection[int] | None = None
) -> Preview:
    """Every enrolled learner (or just ``learner_ids``), eligible or not, with the exact reasons."""
    courses = courses_of(session, programme)
    approved = _approved_learners(session, programme)
    wanted = list(learner_ids) if learner_ids is not None else None
    issued_query = select(Credential).where(
        Credential.programme_id == programme.id, col(Credential.superseded).is_(False)
    )
    records_query = select(CompletionRecord).where(CompletionRecord.programme_id == programme.id)
    rows_query = (
        select(Enrolment, Learner)
        .where(Enrolment.programme_id == programme.id, Enrolment.learner_id == Learner.id)
        .order_by(col(Learner.student_number))
    )
    if wanted is not None:
        issued_query = issued_query.where(col(Credential.learner_id).in_(wanted))
        records_query = records_query.where(col(CompletionRecord.learner_id).in_(wanted))
        rows_query = rows_query.where(col(Learner.id).in_(wanted))
    issued = {c.learner_id: c.certificate_number for c in session.exec(issued_query)}
    records: dict[int, dict[str, CompletionRecord]] = {}
    for row in session.exec(records_query):
        records.setdefault(row.learner_id, {})[row.course_code] = row
    rows = session.exec(rows_query).all()
    results = []
    for enrolment, learner in rows:
        own = records.get(learner.id or 0, {})
        reasons: list[IssuerText] = []
        outcomes = []
        for course in courses:
            found = own.get(course.code)
            if found is None:
                reasons.append(t("{course} ({name}): no result yet", course=course.code, name=course.name_zh))
                outcomes.append(CourseOutcome(course.code, None, False))
            else:
                record = found
                if not record.passed:
                    reasons.append(
                        t(
                            "{course} ({name}): not passed ({grade})",
                            course=course.code,
                            name=course.name_zh,
                            grade=record.grade,
                        )
                    )
                outcomes.append(CourseOutcome(course.code, record.grade, record.passed))
        completed = [r.completed_on for r in own.values() if r.completed_on]
        study_end = max(completed) if completed else None
        study_start = enrolment.enrolled_on
        if programme.max_study_months and study_start and study_end:
            months = _months_between(study_start, study_end)
            if months > programme.max_study_months:
                reasons.append(
                    t(
                        "completed after {months} months; the micro-major allows at most {limit}",
                        months=months,
                        limit=programme.max_study_months,
                    )
                )
        if service.policy.requires_college_approval and not reasons and learner.id not in approved:
            reasons.append(t("waiting for the college's approval"))
        results.append(
            LearnerEligibility(
                learner_id=learner.id or 0,
                student_number=learner.student_number,
                name=learner.name,
                eligible=not reasons,
                reasons=tuple(reasons),
                courses=tuple(outcomes),
                study_start=study_start,
                study_end=study_end,
                certificate_number=issued.get(learner.id or 0),
            )
        )
    return Preview(programme.code, tuple(results), service.policy.requires_college_approval, approved)


def _approved_learners(session: Session, programme: Programme) -> frozenset[int]:
    """Everyone any approval of this micro-major's cohort covered."""
    approved: set[int] = set()
    for approval in session.exec(select(Approval).where(Approval.programme_id == programme.id)):
        approved.update(int(i) for i in approval.learner_ids)
    return frozenset(approved)


def approve(
    service: Service, programme_code: str, *, actor: str, college_id: int | None, note: str | None = None
) -> Approval:
    """A college reviewer approves the learners eligible on the records as they are now."""
    with transaction(service.engine) as session:
        programme = get_programme(session, programme_code)
        if college_id is not None and programme.college_id != college_id:
            college = session.get(College, programme.college_id)
            raise forbidden(
                t(
                    "{code} belongs to another college ({college}).",
                    code=programme_code,
                    college=college.code if college else "?",
                )
            )
        current = eligibility(service, session, programme)
        approved = _approved_learners(session, programme)
        ready = [
            e.learner_id
            for e in current.learners
            if not e.certificate_number
            and e.learner_id not in approved
            and all(r.template == "waiting for the college's approval" for r in e.reasons)
        ]
        if not ready:
            raise ServiceError(
                409,
                "nothing-to-approve",
                t("Nothing to approve"),
                t("No learner of {code} is waiting for approval.", code=programme_code),
            )
        approval = Approval(
            programme_id=programme.id or 0,
            learner_ids=sorted(ready),
            actor=actor,
            approved_at=service.now(),
            note=note,
        )
        session.add(approval)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="cohort.approve",
            subject=programme_code,
            details={"learners": len(ready), "note": note},
        )
        return approval
