"""Verification results: an ordered list of named checks, each with a reason anyone can act on.

``verified`` is computed, never stored: it is true only when every *required* check passed. A
check whose input failed is ``skipped``, and a required check that was skipped counts as failed.
``unknown`` means "could not check" (a status list that cannot be fetched): it is never shown as
a pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .i18n import Text, render
from .problems import Problem

#: Check ids, in the order they run. They are part of the public contract (CLI --json, API).
CHECK_IDS = ("format", "context", "schema", "proof", "issuer", "validity", "status", "trust")


class CheckStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check: its id, status, a plain-language message, and any problem."""

    id: str
    status: CheckStatus
    message: Text | str
    problem: Problem | None = None
    required: bool = True
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status is CheckStatus.PASSED

    def message_in(self, language: str = "en") -> str:
        """The message in ``language`` (``en`` or ``zh``)."""
        return render(self.message, language)

    def to_json(self, language: str = "en") -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status.value,
            "required": self.required,
            "message": self.message_in(language),
        }
        if self.problem is not None:
            out["problem"] = self.problem.to_json(language)
        if self.details:
            out["details"] = dict(self.details)
        return out


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """All checks of one credential, plus what it says (when it could be read)."""

    checks: tuple[CheckResult, ...]
    summary: Mapping[str, Any] | None = None

    @property
    def verified(self) -> bool:
        """True only when every required check passed."""
        return all(check.ok for check in self.checks if check.required)

    @property
    def trusted(self) -> bool:
        """True when a configured trust list names the issuer (independent of ``verified``)."""
        return any(check.id == "trust" and check.ok for check in self.checks)

    @property
    def outcome(self) -> str:
        """One word for the headline: valid, revoked, suspended, invalid or unknown."""
        status = self.check("status")
        if status is not None and status.details.get("revoked"):
            return "revoked"
        if status is not None and status.details.get("suspended"):
            return "suspended"
        if self.verified:
            return "valid"
        if any(c.required and c.status is CheckStatus.FAILED for c in self.checks):
            return "invalid"
        # Nothing failed, but something could not be checked (and what depends on it was skipped).
        return "unknown" if any(c.status is CheckStatus.UNKNOWN for c in self.checks) else "invalid"

    def check(self, check_id: str) -> CheckResult | None:
        return next((c for c in self.checks if c.id == check_id), None)

    @property
    def problems(self) -> list[Problem]:
        return [c.problem for c in self.checks if c.problem is not None]

    def to_json(self, language: str = "en") -> dict[str, Any]:
        return {
            "verified": self.verified,
            "trusted": self.trusted,
            "outcome": self.outcome,
            "checks": [check.to_json(language) for check in self.checks],
            "summary": dict(self.summary) if self.summary is not None else None,
        }
