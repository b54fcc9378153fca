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

from .bundle import BundleError
from .cli_inputs import (
    check_binding,
    echo_notes_and_binding,
    echo_source,
    read_inputs,
    report_json,
    verified,
)
from .configured import ConfiguredVerifier, VerifierSettings
from .datetimes import parse_date_time_stamp
from .i18n import render, t
from .jsonsafe import parse_json
from .presentation import PresentationResult
from .problems import ProblemError
from .result import CheckStatus, VerificationResult

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
        (t("Credits"), _number(credits.get("earned"))),
        (t("Certificate No."), summary.get("certificateNumber")),
        (t("Listed as"), _listed_as(result)),
    )
    for label, value in rows:
        if value not in (None, ""):
            click.echo(f"  {label.render(language)}: {value}")
    for check in result.checks:
        click.echo(f"  {_SYMBOLS[check.status]} {check.id:<9} {check.message_in(language)}")


def _number(value: object) -> object:
    """``12.0`` as ``12`` and ``1.5`` as ``1.5``, as a certificate prints credits."""
    return f"{value:g}" if isinstance(value, float) else value


def _listed_as(result: VerificationResult) -> str | None:
    """The institution as the trust list names it, and by whom (when the issuer is listed)."""
    trust = result.check("trust")
    if trust is None or not trust.ok:
        return None
    institution = trust.details.get("institution") or {}
    listing = trust.details.get("trustList") or {}
    names = " / ".join(filter(None, [institution.get("nameZh"), institution.get("nameEn")]))
    by = listing.get("operatorName") or trust.details.get("operator")
    return f"{names} [{by}]" if by else names


@click.command("verify")
@click.argument("file", type=str, required=False)
@click.option(
    "--qr",
    "qr_text",
    metavar="TEXT",
    help="The text of a certificate's QR code, as a phone scanned it (instead of FILE).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--offline",
    is_flag=True,
    help="Never touch the network: use only the cache, a --bundle and the files given.",
)
@click.option(
    "--bundle",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Verify from an offline bundle (see `verifier bundle`); implies --offline.",
)
@click.option(
    "--trust-list",
    "trust_lists",
    multiple=True,
    metavar="FILE|URL",
    help="A signed trust list naming trusted issuers (repeatable; default: MICROCRED_TRUST_LISTS).",
)
@click.option(
    "--registry",
    "registries",
    multiple=True,
    metavar="DID",
    help="A registry whose trust lists are accepted (repeatable; default: MICROCRED_TRUST_REGISTRIES).",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Cache of fetched documents (default: MICROCRED_CACHE_DIR, else ~/.cache/microcred).",
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
    file: str | None,
    qr_text: str | None,
    as_json: bool,
    offline: bool,
    bundle: Path | None,
    trust_lists: tuple[str, ...],
    registries: tuple[str, ...],
    cache_dir: Path | None,
    did_documents: tuple[str, ...],
    status_lists: tuple[str, ...],
    at: str | None,
    lang: str | None,
) -> None:
    """Verify a credential or presentation in FILE (use - for standard input).

    FILE may be JSON, a PDF certificate, a baked PNG/SVG badge, or a PNG/JPEG image showing
    a certificate's QR code.

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
    if (file is None) == (qr_text is None):
        raise click.UsageError("give a FILE to verify, or --qr TEXT (not both)")
    inputs = read_inputs(
        _read_input(file) if file is not None else None,
        name=file or "--qr",
        qr_text=qr_text,
        as_json=as_json,
        language=language,
    )
    settings = VerifierSettings.from_environ(
        os.environ,
        offline=offline or bundle is not None,
        bundle=bundle,
        trust_lists=trust_lists,
        registries=registries,
        cache_dir=cache_dir,
    )
    try:
        verifier = ConfiguredVerifier(settings)
    except BundleError as exc:
        raise click.UsageError(render(exc.text, language)) from None
    with verifier:
        given = {
            "did_documents": _load_json_files(did_documents, "DID document"),
            "status_lists": _load_json_files(status_lists, "status list"),
        }
        outcomes = [verifier.verify(item.credential, now=now, **given) for item in inputs.found]
    binding = check_binding(inputs)
    if as_json:
        report = (
            outcomes[0].to_json(language)
            if inputs.plain_json
            else report_json(inputs, outcomes, binding, language)
        )
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for item, outcome in zip(inputs.found, outcomes, strict=True):
            if not inputs.plain_json:
                echo_source(item, language)
            if isinstance(outcome, PresentationResult):
                for index, result in enumerate(outcome.credentials):
                    _print_result(result, language, index)
            else:
                _print_result(outcome, language)
        echo_notes_and_binding(inputs, binding, language)
    sys.exit(EXIT_VERIFIED if verified(outcomes, binding) else EXIT_NOT_VERIFIED)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on."
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
def serve_command(host: str, port: int, workers: int) -> None:
    """Serve the public verify page (/verify) and API (/api/verify, /credentials/verify).

    Settings come from the environment: MICROCRED_LANG, MICROCRED_ALLOW_LOCAL_HTTP,
    MICROCRED_CACHE_DIR, MICROCRED_VERIFY_MAX_UPLOAD, MICROCRED_VERIFY_OFFLINE,
    MICROCRED_VERIFY_CONCURRENCY.
    """
    # Imported here so that `microcred-verify FILE` starts fast and never loads the web stack.
    from .web import run_server  # noqa: PLC0415
    from .web_config import VerifierConfig  # noqa: PLC0415

    try:
        VerifierConfig.from_env()  # each worker builds its own; a bad setting is refused here, once
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    run_server(host, port, workers)


def main() -> None:
    """Entry point of the standalone ``microcred-verify`` command (``serve`` runs the web page)."""
    if sys.argv[1:2] == ["serve"]:
        serve_command(args=sys.argv[2:], prog_name="microcred-verify serve")
    elif sys.argv[1:2] in (["trust"], ["verifier"]):
        # The registry operator's and the offline bundle's commands (verifier.cli_trust).
        from .cli_trust import trust_group, verifier_group  # noqa: PLC0415 - it imports this module

        group = trust_group if sys.argv[1] == "trust" else verifier_group
        group(args=sys.argv[2:], prog_name=f"microcred-verify {sys.argv[1]}")
    else:
        verify_command(prog_name="microcred-verify")
