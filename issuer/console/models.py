"""Tables of the registrar console (migration ``0003_console_sessions``).

* :class:`ConsoleSession` — a signed-in browser. The cookie carries a random token; only its
  SHA-256 is stored, so a copy of the database does not hand out live sessions. The row also
  holds the session's CSRF token (OWASP "synchronizer token" pattern) and one-shot messages
  shown on the next page ("flash").
* :class:`ConsoleJob` — a long-running action started from the console (issuing a cohort):
  its progress lives in the database, so any worker process can answer the page that polls it.

Both reference ``users`` with ``ON DELETE CASCADE``: removing an account ends its sessions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel


class ConsoleSession(SQLModel, table=True):
    """One signed-in console session (server-side; the cookie holds only a random token)."""

    __tablename__ = "console_sessions"
    id: str = Field(primary_key=True, max_length=64, description="SHA-256 (hex) of the cookie token")
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    csrf_token: str = Field(max_length=64)
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime = Field(index=True, description="Absolute end, whatever the activity")
    flash: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ConsoleJob(SQLModel, table=True):
    """A background action and its progress (``queued`` → ``running`` → ``finished``/``failed``)."""

    __tablename__ = "console_jobs"
    id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(max_length=32)
    programme_code: str = Field(index=True, max_length=64)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    state: str = Field(default="queued", max_length=16)
    total: int = 0
    done: int = 0
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
