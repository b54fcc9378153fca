"""Micro-majors: import definitions, check them against the institution policy, read them back.

A definition that breaks a hard limit is refused. One that breaks a soft rule ("原则上") is
refused too, unless the file acknowledges that rule with a reason; the acknowledgement is kept
with the programme and written to the audit log. Once certificates have been issued for a
micro-major, its courses and credits cannot change (the certificates state them): a changed
programme needs a new code.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, col, func, select

from . import audit
from .credential import Bilingual, MicroMajor
from .credential import College as CollegeInfo
from .credential import Course as CourseInfo
from .db import must, transaction
from .errors import ErrorItem, ServiceError, invalid, not_found
from .fields import DEFAULT_INDUSTRY_FIELDS
from .i18n import t
from .identity import get_institution, get_or_create_college
from .models import College, Course, Credential, Programme
from .policy import check_programme
from .programme_file import ProgrammeFileError, ProgrammeSpec, parse_programme_file
from .service import Service


def _micro_major_from_spec(service: Service, spec: ProgrammeSpec, college: College) -> MicroMajor:
    field = DEFAULT_INDUSTRY_FIELDS.get(spec.industry_field)
    if field is None:
        raise invalid(
            t("Unknown industry field"),
            t(
                "Unknown industry field {code}; known fields: {known}.",
                code=spec.industry_field,
                known=", ".join(DEFAULT_INDUSTRY_FIELDS),
            ),
        )
    return spec.to_micro_major(
        college=CollegeInfo(service.college_id(college.code), Bilingual(college.name_zh, college.name_en)),
        industry_field=field,
        achievement_id=service.achievement_id(spec.code),
    )


def import_programme_file(service: Service, data: bytes, name: str, *, actor: str) -> list[Programme]:
    """Import an uploaded definition file (API and console); every problem of the file is one
    422 problem listing them all, and then nothing is imported."""
    try:
        specs = parse_programme_file(data, name)
    except ProgrammeFileError as exc:
        raise invalid(
            t("The programme file cannot be imported"),
            t("{file}: {count} problem(s); nothing was imported.", file=name, count=len(exc.problems)),
            [ErrorItem(message, path) for path, message in exc.problems],
        ) from None
    return import_programmes(service, specs, actor=actor)


def import_programmes(service: Service, specs: list[ProgrammeSpec], *, actor: str) -> list[Programme]:
    """Create or update programmes from a definition file, all or nothing."""
    saved: list[Programme] = []
    with transaction(service.engine) as session:
        institution = get_institution(session)
        for spec in specs:
            college = get_or_create_college(
                session,
                institution,
                spec.college_code,
                spec.college_name.zh if spec.college_name else None,
                spec.college_name.en if spec.college_name else None,
            )
            micro_major = _micro_major_from_spec(service, spec, college)
            _check_policy(service, spec, micro_major)
            saved.append(_upsert(service, session, spec, college, actor=actor))
    return saved


def _check_policy(service: Service, spec: ProgrammeSpec, micro_major: MicroMajor) -> None:
    findings = check_programme(micro_major, service.policy)
    acknowledged = {rule for rule, _reason in spec.acknowledged}
    errors = [f for f in findings if f.severity == "error"]
    unacknowledged = [f for f in findings if f.severity == "warning" and f.rule not in acknowledged]
    if errors:
        raise invalid(
            t("Programme breaks the institution policy"),
            t(
                "{code} breaks {count} hard limit(s) of the policy {policy}.",
                code=spec.code,
                count=len(errors),
                policy=service.policy.id,
            ),
            [ErrorItem(f.message, f.rule) for f in errors],
        )
    if unacknowledged:
        raise invalid(
            t("Policy warnings need acknowledging"),
            t(
                '{code} departs from {count} rule(s) the policy {policy} states "in principle". If this is intended, '
                "list each rule under 'acknowledged' in the programme file with the reason.",
                code=spec.code,
                count=len(unacknowledged),
                policy=service.policy.id,
            ),
            [ErrorItem(f.message, f.rule) for f in unacknowledged],
        )


def _upsert(
    service: Service, session: Session, spec: ProgrammeSpec, college: College, *, actor: str
) -> Programme:
    now = service.now()
    programme = session.exec(select(Programme).where(Programme.code == spec.code)).first()
    created = programme is None
    if programme is None:
        programme = Programme(
            code=spec.code,
            name_zh=spec.name.zh,
            description_zh=spec.description.zh,
            college_id=college.id or 0,
            industry_field=spec.industry_field,
            field_of_study=spec.field_of_study,
            total_credits=spec.total_credits,
            hours_per_credit=spec.hours_per_credit,
            criteria_zh=spec.criteria.zh,
            created_at=now,
            updated_at=now,
        )
    else:
        issued = session.exec(
            select(func.count()).select_from(Credential).where(Credential.programme_id == programme.id)
        ).one()
        if issued and _course_table_changes(session, programme, spec):
            raise ServiceError(
                409,
                "programme-has-certificates",
                t("Programme already has certificates"),
                t(
                    "{count} certificate(s) state the courses and credits of {code}; they cannot change now. "
                    "Define the changed micro-major under a new code.",
                    count=issued,
                    code=spec.code,
                ),
            )
    programme.name_zh, programme.name_en = spec.name.zh, spec.name.en
    programme.description_zh, programme.description_en = spec.description.zh, spec.description.en
    programme.college_id = college.id or 0
    programme.industry_field = spec.industry_field
    programme.field_of_study = spec.field_of_study
    programme.total_credits = spec.total_credits
    programme.hours_per_credit = spec.hours_per_credit
    programme.max_study_months = spec.max_study_months
    programme.learning_mode = spec.learning_mode
    programme.registration_number = spec.registration_number
    programme.criteria_zh, programme.criteria_en = spec.criteria.zh, spec.criteria.en
    programme.acknowledged = [{"rule": rule, "reason": reason} for rule, reason in spec.acknowledged]
    programme.updated_at = now
    session.add(programme)
    session.flush()
    for course in session.exec(select(Course).where(Course.programme_id == programme.id)):
        session.delete(course)
    session.flush()
    for position, course_spec in enumerate(spec.courses):
        session.add(
            Course(
                programme_id=programme.id or 0,
                position=position,
                code=course_spec.code,
                name_zh=course_spec.name.zh,
                name_en=course_spec.name.en,
                credits=course_spec.credits,
                class_hours=course_spec.class_hours,
                assessment=course_spec.assessment,
            )
        )
    audit.record(
        session,
        actor=actor,
        action="programme.create" if created else "programme.update",
        subject=spec.code,
        details={
            "courses": [c.code for c in spec.courses],
            "total_credits": str(spec.total_credits),
            "policy": service.policy.id,
            "acknowledged": programme.acknowledged,
        },
    )
    session.flush()
    return programme


def _course_table_changes(session: Session, programme: Programme, spec: ProgrammeSpec) -> bool:
    current = {
        (c.code, Decimal(c.credits), Decimal(c.class_hours))
        for c in session.exec(select(Course).where(Course.programme_id == programme.id))
    }
    wanted = {(c.code, Decimal(c.credits), Decimal(c.class_hours)) for c in spec.courses}
    return current != wanted or Decimal(programme.total_credits) != spec.total_credits


def get_programme(session: Session, code: str) -> Programme:
    programme = session.exec(select(Programme).where(Programme.code == code)).first()
    if programme is None:
        raise not_found(t("Unknown programme"), t("There is no micro-major with the code {code}.", code=code))
    return programme


def courses_of(session: Session, programme: Programme) -> list[Course]:
    return list(
        session.exec(select(Course).where(Course.programme_id == programme.id).order_by(col(Course.position)))
    )


def micro_major(service: Service, session: Session, programme: Programme) -> MicroMajor:
    """The builder's view of a stored programme."""
    college = must(session.get(College, programme.college_id), "college")
    field = DEFAULT_INDUSTRY_FIELDS[programme.industry_field]
    return MicroMajor(
        code=programme.code,
        name=Bilingual(programme.name_zh, programme.name_en),
        description=Bilingual(programme.description_zh, programme.description_en),
        college=CollegeInfo(service.college_id(college.code), Bilingual(college.name_zh, college.name_en)),
        industry_field=field,
        field_of_study=programme.field_of_study,
        courses=tuple(
            CourseInfo(
                c.code,
                Bilingual(c.name_zh, c.name_en),
                Decimal(c.credits),
                Decimal(c.class_hours),
                c.assessment,
            )
            for c in courses_of(session, programme)
        ),
        total_credits=Decimal(programme.total_credits),
        criteria=Bilingual(programme.criteria_zh, programme.criteria_en),
        achievement_id=service.achievement_id(programme.code),
        hours_per_credit=Decimal(programme.hours_per_credit),
        learning_mode=programme.learning_mode,
        registration_number=programme.registration_number,
        max_study_months=programme.max_study_months,
    )


def list_programmes(service: Service) -> list[Programme]:
    with transaction(service.engine, write=False) as session:
        return list(session.exec(select(Programme).order_by(col(Programme.code))))
