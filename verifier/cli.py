"""``microcred verify``: check a credential from a file, stdin or a pipe.

Exit status: 0 verified, 1 not verified, 2 usage error or unreadable input (a missing file,
bytes that are not JSON). This module is the verifier's own command line: it runs without any
issuer code, and the ``microcred`` command of the issuer service includes it unchanged.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from .datetimes import parse_date_time_stamp
from .fetch import HttpFetcher
from .i18n import render, t
from .jsonsafe import parse_json
from .presentation import PresentationResult, is_presentation, verify_presentation
from .problems import ProblemError
from .result import CheckStatus, VerificationResult
from .verify import verify_credential

EXIT_VERIFIED = 0
EXIT_NOT_VERIFIED = 1
EXIT_USAGE = 2

_SYMBOLS = {
    CheckStatus.PASSED: "✔",
    CheckStatus.FAILED: "✘",
    CheckStatus.SKIPPED: "–",
    CheckStatus.UNKNOWN: "?",
}
_OUTCOMES = {
    "valid": t("VALID"),
    "revoked": t("REVOKED"),
    "suspended": t("SUSPENDED"),
    "invalid": t("INVALID"),
    "unknown": t("COULD NOT CHECK"),
}


def default_language() -> str:
    """``zh`` when the environment's locale is Chinese, else ``en``."""
    for name in ("MICROCRED_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise click.UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def _load_json_files(paths: tuple[str, ...], what: str) -> dict[str, Any]:
    documents: dict[str, Any] = {}
    for path in paths:
        try:
            document = parse_json(_read_input(path))
        except ProblemError as exc:
            raise click.UsageError(f"{what} {path} is not valid JSON: {exc.problem.detail}") from None
        if not isinstance(document, dict) or not isinstance(document.get("id"), str):
            raise click.UsageError(f"{what} {path} has no id")
        documents[document["id"]] = document
    return documents


def _print_result(result: VerificationResult, language: str, index: int | None = None) -> None:
    outcome = _OUTCOMES[result.outcome].render(language)
    heading = f"{_SYMBOLS[CheckStatus.PASSED] if result.verified else _SYMBOLS[CheckStatus.FAILED]} {outcome}"
    if index is not None:
        heading = f"[{index + 1}] {heading}"
    click.echo(heading)
    summary: Mapping[str, Any] = result.summary or {}
    issuer = summary.get("issuer") or {}
    learner = summary.get("learner") or {}
    major = summary.get("microMajor") or {}
    credits = summary.get("credits") or {}
    rows = (
        (
            t("Issuer"),
            " ".join(
                filter(None, [issuer.get("name"), f"({issuer.get('id')})" if issuer.get("id") else None])
            ),
        ),
        (t("Learner"), learner.get("name")),
        (
            t("Micro-major"),
            " ".join(
                filter(None, [major.get("name"), f"({major.get('code')})" if major.get("code") else None])
            ),
        ),
        (t("Credits"), credits.get("earned")),
        (t("Certificate No."), summary.get("certificateNumber")),
    )
    for label, value in rows:
        if value not in (None, ""):
            click.echo(f"  {label.render(language)}: {value}")
    for check in result.checks:
        click.echo(f"  {_SYMBOLS[check.status]} {check.id:<9} {check.message_in(language)}")


@click.command("verify")
@click.argument("file", type=str)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--offline", is_flag=True, help="Never touch the network (did:web and status lists must be given)."
)
@click.option(
    "--did-document",
    "did_documents",
    multiple=True,
    metavar="FILE",
    help="A DID document to use instead of fetching it (repeatable).",
)
@click.option(
    "--status-list",
    "status_lists",
    multiple=True,
    metavar="FILE",
    help="A status list credential to use instead of fetching it (repeatable).",
)
@click.option("--at", "at", metavar="DATETIME", help="Verify as of this date-time (ISO 8601 with time zone).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help="Language of the messages.")
def verify_command(
    file: str,
    as_json: bool,
    offline: bool,
    did_documents: tuple[str, ...],
    status_lists: tuple[str, ...],
    at: str | None,
    lang: str | None,
) -> None:
    """Verify a credential or presentation in FILE (use - for standard input).

    Exit status: 0 verified, 1 not verified, 2 usage error or unreadable input.
    """
    language = lang or default_language()
    now: datetime | None = None
    if at is not None:
        now = parse_date_time_stamp(at)
        if now is None:
            raise click.BadParameter(
                "use an ISO 8601 date-time with a time zone, e.g. 2025-07-01T00:00:00Z", param_hint="--at"
            )
    raw = _read_input(file)
    try:
        document = parse_json(raw)
    except ProblemError as exc:
        if as_json:
            click.echo(json.dumps(verify_credential(raw).to_json(language), ensure_ascii=False, indent=2))
        else:
            click.echo(f"{file}: {render(exc.problem.detail, language)}", err=True)
        sys.exit(EXIT_USAGE)
    fetcher = None
    local_http = os.environ.get("MICROCRED_ALLOW_LOCAL_HTTP") == "1"
    if not offline:
        fetcher = HttpFetcher(allow_loopback_http=local_http)
    options: dict[str, Any] = {
        "now": now,
        "fetch": fetcher,
        "allow_loopback_http": local_http,
        "did_documents": _load_json_files(did_documents, "DID document"),
        "status_lists": _load_json_files(status_lists, "status list"),
    }
    try:
        outcome: VerificationResult | PresentationResult
        if is_presentation(document):
            outcome = verify_presentation(document, **options)
        else:
            outcome = verify_credential(document, **options)
    finally:
        if fetcher is not None:
            fetcher.close()
    if as_json:
        click.echo(json.dumps(outcome.to_json(language), ensure_ascii=False, indent=2))
    elif isinstance(outcome, PresentationResult):
        for index, result in enumerate(outcome.credentials):
            _print_result(result, language, index)
    else:
        _print_result(outcome, language)
    sys.exit(EXIT_VERIFIED if outcome.verified else EXIT_NOT_VERIFIED)


def main() -> None:
    """Entry point of the standalone ``microcred-verify`` command."""
    verify_command(prog_name="microcred-verify")
