"""Service errors: exceptions that carry their HTTP status and an RFC 9457 problem.

One handler (issuer/api/errors.py) renders them as ``application/problem+json``; the CLI
prints their message and exits non-zero. ``type`` URLs are stable identifiers under the
service's own problem namespace; ``errors`` lists row- or field-level details when there are
several (a CSV with three bad rows reports all three).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from verifier.i18n import Text, render

PROBLEM_BASE = "https://w3id.org/microcred/problems#"


@dataclass(frozen=True, slots=True)
class ErrorItem:
    """One detail of an error: where (a row, a field path) and what."""

    message: Text | str
    where: str | None = None

    def to_json(self, language: str) -> dict[str, Any]:
        out: dict[str, Any] = {"message": render(self.message, language)}
        if self.where is not None:
            out["where"] = self.where
        return out


@dataclass
class ServiceError(Exception):
    """A request that cannot be carried out, and why."""

    status: int
    kind: str
    title: Text | str
    detail: Text | str
    errors: Sequence[ErrorItem] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        Exception.__init__(self, str(self.detail))

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.kind

    def render(self, language: str = "en") -> str:
        lines = [render(self.detail, language)]
        lines += [
            f"  {e.where}: {render(e.message, language)}" if e.where else f"  {render(e.message, language)}"
            for e in self.errors
        ]
        return "\n".join(lines)

    def to_problem(self, language: str = "en", instance: str | None = None) -> dict[str, Any]:
        problem: dict[str, Any] = {
            "type": self.type,
            "title": render(self.title, language),
            "status": self.status,
            "detail": render(self.detail, language),
        }
        if instance:
            problem["instance"] = instance
        if self.errors:
            problem["errors"] = [e.to_json(language) for e in self.errors]
        return problem


def not_found(title: Text, detail: Text) -> ServiceError:
    return ServiceError(404, "not-found", title, detail)


def conflict(title: Text, detail: Text, errors: Sequence[ErrorItem] = ()) -> ServiceError:
    return ServiceError(409, "conflict", title, detail, errors)


def invalid(title: Text, detail: Text, errors: Sequence[ErrorItem] = ()) -> ServiceError:
    return ServiceError(422, "invalid-input", title, detail, errors)


def forbidden(detail: Text) -> ServiceError:
    return ServiceError(403, "forbidden", Text("Not allowed"), detail)
