"""Database tables of the issuer service (SQLModel; migrations in ``issuer/migrations``).

Uniqueness that matters under concurrency is enforced by the database, not by code that reads
first and writes later: certificate numbers, status-list indexes (one allocation row per index,
never deleted, so never reused), and one current credential per learner and micro-major.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Numeric, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

CREDIT = Numeric(8, 2)


class Institution(SQLModel, table=True):
    """The university this deployment issues for (one row)."""

    __tablename__ = "institutions"
    id: int | None = Field(default=None, primary_key=True)
    name_zh: str
    name_en: str | None = None
    code: str = Field(unique=True, description="National institution code (学校标识码)")
    domain: str
    url: str | None = None


class College(SQLModel, table=True):
    __tablename__ = "colleges"
    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(foreign_key="institutions.id")
    code: str = Field(unique=True)
    name_zh: str
    name_en: str | None = None


class SigningKey(SQLModel, table=True):
    """An issuer key listed in the DID document. The secret lives encrypted in the key store."""

    __tablename__ = "signing_keys"
    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(unique=True, description="publicKeyMultibase")
    fragment: str = Field(unique=True, description="Verification method fragment, e.g. key-1")
    status: str = Field(default="active", description="active | retired | compromised")
    created_at: datetime
    retired_at: datetime | None = None
    compromised_at: datetime | None = None
    compromise_note: str | None = None


class Programme(SQLModel, table=True):
    """A micro-major (微专业)."""

    __tablename__ = "programmes"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    name_zh: str
    name_en: str | None = None
    description_zh: str
    description_en: str | None = None
    college_id: int = Field(foreign_key="colleges.id")
    industry_field: str
    field_of_study: str
    total_credits: Decimal = Field(sa_column=Column(CREDIT, nullable=False))
    hours_per_credit: Decimal = Field(sa_column=Column(CREDIT, nullable=False))
    max_study_months: int | None = None
    learning_mode: str | None = None
    registration_number: str | None = None
    criteria_zh: str
    criteria_en: str | None = None
    acknowledged: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime
    updated_at: datetime


class Course(SQLModel, table=True):
    __tablename__ = "courses"
    __table_args__ = (UniqueConstraint("programme_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programmes.id", index=True)
    position: int
    code: str
    name_zh: str
    name_en: str | None = None
    credits: Decimal = Field(sa_column=Column(CREDIT, nullable=False))
    class_hours: Decimal = Field(sa_column=Column(CREDIT, nullable=False))
    assessment: str | None = None


class Learner(SQLModel, table=True):
    __tablename__ = "learners"
    id: int | None = Field(default=None, primary_key=True)
    student_number: str = Field(unique=True)
    name: str
    name_en: str | None = None
    did: str | None = None


class Enrolment(SQLModel, table=True):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("programme_id", "learner_id"),)
    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programmes.id", index=True)
    learner_id: int = Field(foreign_key="learners.id")
    enrolled_on: date | None = None


class RecordImport(SQLModel, table=True):
    __tablename__ = "record_imports"
    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programmes.id")
    filename: str
    sha256: str
    rows: int
    actor: str
    created_at: datetime


class CompletionRecord(SQLModel, table=True):
    __tablename__ = "completion_records"
    __table_args__ = (UniqueConstraint("programme_id", "learner_id", "course_code"),)
    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programmes.id", index=True)
    learner_id: int = Field(foreign_key="learners.id")
    course_code: str
    grade: str
    passed: bool
    completed_on: date | None = None
    import_id: int = Field(foreign_key="record_imports.id")


class Approval(SQLModel, table=True):
    """A college reviewer's approval of a cohort's eligibility preview."""

    __tablename__ = "approvals"
    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programmes.id", index=True)
    learner_ids: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    actor: str
    approved_at: datetime
    note: str | None = None


class StatusList(SQLModel, table=True):
    """One Bitstring Status List; ``version`` grows with every change (it is the ETag)."""

    __tablename__ = "status_lists"
    __table_args__ = (UniqueConstraint("purpose", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    purpose: str
    number: int
    size: int
    bits: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    allocated: int = 0
    version: int = 1
    updated_at: datetime
    document: str = Field(
        sa_column=Column(Text, nullable=False), description="The signed list credential, as served"
    )


class StatusAllocation(SQLModel, table=True):
    """An index handed out in a status list. Rows are never deleted: indexes are never reused."""

    __tablename__ = "status_allocations"
    list_id: int = Field(foreign_key="status_lists.id", primary_key=True)
    index: int = Field(primary_key=True)


class IssueBatch(SQLModel, table=True):
    __tablename__ = "issue_batches"
    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programmes.id")
    actor: str
    started_at: datetime
    finished_at: datetime | None = None
    eligible: int = 0
    issued: int = 0
    status: str = "running"


class Credential(SQLModel, table=True):
    """A signed certificate. The document is stored exactly as signed."""

    __tablename__ = "credentials"
    __table_args__ = (
        UniqueConstraint("revocation_list_id", "revocation_index"),
        Index(
            "one_current_credential_per_learner",
            "programme_id",
            "learner_id",
            unique=True,
            sqlite_where=text("superseded = 0"),
            postgresql_where=text("superseded = false"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    credential_id: str = Field(unique=True, description="urn:uuid:… (the credential's id)")
    certificate_number: str = Field(unique=True)
    programme_id: int = Field(foreign_key="programmes.id", index=True)
    learner_id: int = Field(foreign_key="learners.id", index=True)
    key_id: int = Field(foreign_key="signing_keys.id", index=True)
    batch_id: int | None = Field(default=None, foreign_key="issue_batches.id")
    document: str = Field(sa_column=Column(Text, nullable=False))
    summary_document: str | None = Field(
        default=None,
        sa_column=Column(Text, nullable=True),
        description="The signed summary credential its QR code carries (docs/qr-format.md); "
        "null for credentials issued before QR summaries existed",
    )
    issued_at: datetime
    revocation_list_id: int = Field(foreign_key="status_lists.id")
    revocation_index: int
    suspension_list_id: int | None = Field(default=None, foreign_key="status_lists.id")
    suspension_index: int | None = None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    suspended_at: datetime | None = None
    suspension_reason: str | None = None
    superseded: bool = False
    replaces_id: int | None = Field(default=None, foreign_key="credentials.id")
    replaced_by_id: int | None = Field(default=None, foreign_key="credentials.id")
    download_token_hash: str | None = Field(
        default=None,
        unique=True,
        description="SHA-256 (hex) of the learner's download-page token (issuer/download_links.py)",
    )
    download_link_version: int = Field(
        default=0, description="How often the download link was regenerated (part of the token's input)"
    )


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True)
    display_name: str
    password_hash: str
    role: str = Field(description="admin | registrar | reviewer | auditor")
    college_id: int | None = Field(default=None, foreign_key="colleges.id")
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = None
    created_at: datetime


class ApiToken(SQLModel, table=True):
    """An API token: only its SHA-256 is stored; ``prefix`` finds the row."""

    __tablename__ = "api_tokens"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str
    prefix: str = Field(unique=True)
    token_hash: str
    scopes: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked: bool = False


class AuditEntry(SQLModel, table=True):
    """One line of the append-only, hash-chained audit log. Never updated, never deleted."""

    __tablename__ = "audit_log"
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime
    actor: str
    action: str = Field(index=True)
    subject: str = Field(index=True)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str
    hash: str


class Counter(SQLModel, table=True):
    """Named counters, incremented atomically (certificate numbers, the audit sequence)."""

    __tablename__ = "counters"
    name: str = Field(primary_key=True)
    value: int = 0
