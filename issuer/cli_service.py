"""``microcred`` commands that run against the issuer service's database.

They read one :class:`~issuer.settings.Settings` from the environment (``MICROCRED_*``), open
the service, and report failures as a readable message and a non-zero exit (2 for bad input or
usage, 1 when an operation is refused), never as a traceback. ``--actor`` names who is acting
in the audit log (default: the operating-system user).
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click
import uvicorn
from pydantic import ValidationError

from verifier.cli import default_language
from verifier.web_config import VerifierConfig

from . import accounts, audit, identity, publication
from .cohorts import approve, import_records, preview
from .db import transaction
from .errors import ServiceError
from .issuance import issue_programme, reissue
from .keystore import KeyStoreError
from .programme_file import ProgrammeFileError, parse_programme_file
from .programmes import import_programmes, list_programmes
from .revocation import REVOKE, SUSPEND, UNSUSPEND, change_status, read_certificate_numbers
from .service import Service
from .settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
EXIT_REFUSED = 1
EXIT_USAGE = 2


def _settings() -> Settings:
    try:
        return Settings()  # type: ignore[call-arg]  # pydantic-settings fills the fields from the environment
    except ValidationError as exc:
        lines = [
            f"  MICROCRED_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        ]
        raise click.UsageError("invalid settings:\n" + "\n".join(lines)) from None


@contextmanager
def open_service() -> Iterator[Service]:
    """Open the service for one command; turn service errors into messages and exit codes."""
    language = default_language()
    service = Service.open(_settings())
    try:
        yield service
    except ServiceError as exc:
        click.echo(f"error: {exc.render(language)}", err=True)
        sys.exit(EXIT_USAGE if exc.status in (400, 404, 413, 422) else EXIT_REFUSED)
    except KeyStoreError as exc:
        click.echo(f"error: {exc.message.render(language)}", err=True)
        sys.exit(EXIT_REFUSED)
    finally:
        service.close()


def actor_option(function: F) -> F:
    return click.option(
        "--actor",
        default=lambda: os.environ.get("USER") or getpass.getuser() or "cli",
        show_default="the operating-system user",
        help="Who is acting, for the audit log.",
    )(function)


def _read_file(path: str) -> tuple[bytes, str]:
    if path == "-":
        return sys.stdin.buffer.read(), "stdin"
    try:
        return Path(path).read_bytes(), Path(path).name
    except OSError as exc:
        raise click.UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def port_mismatch(base_url: str, port: int) -> str | None:
    """Why a local ``serve`` on ``port`` would issue credentials pointing somewhere else, if it would."""
    base = urlsplit(base_url)
    base_port = base.port or (443 if base.scheme == "https" else 80)
    if base.hostname not in ("127.0.0.1", "localhost", "::1") or base_port == port:
        return None
    return (
        f"MICROCRED_BASE_URL is {base_url} but the service listens on port {port}; credentials, "
        f"the DID and status lists will point at the base URL (for local use set "
        f"MICROCRED_BASE_URL=http://127.0.0.1:{port})"
    )


def register(cli: click.Group) -> None:
    """Add the service commands to the ``microcred`` group."""

    @cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
    @click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
    @click.option(
        "--workers",
        default=1,
        show_default=True,
        type=int,
        help="Worker processes (use PostgreSQL for more than 1).",
    )
    def serve_command(host: str, port: int, workers: int) -> None:
        """Run the service: verify page, registrar console, API, DID document and status lists."""
        settings = _settings()
        try:
            VerifierConfig.from_env()  # the mounted public verifier's settings, refused here if bad
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        mismatch = port_mismatch(settings.base_url, port)
        if mismatch:
            click.echo(f"warning: {mismatch}", err=True)
        service = Service.open(settings)
        try:
            key = identity.ensure_signing_key(service)
            click.echo(f"issuer {service.did} (key {key.fragment}) at {settings.base_url}", err=True)
            click.echo(
                f"DID document: {service.url(service.did_document_path)}   API docs: {service.url('docs')}",
                err=True,
            )
        except KeyStoreError as exc:
            raise click.UsageError(exc.message.render(default_language())) from None
        finally:
            service.close()
        uvicorn.run(
            "issuer.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info"
        )

    @cli.group("institution")
    def institution_group() -> None:
        """The university this service issues for."""

    @institution_group.command("set")
    @click.option("--name-zh", required=True, help="Name in Chinese, as printed on certificates.")
    @click.option("--name-en", help="Name in English.")
    @click.option("--code", required=True, help="National institution code (学校标识码).")
    @click.option("--domain", required=True, help="Web domain of the university.")
    @click.option("--url", help="Home page.")
    @actor_option
    def institution_set(
        name_zh: str, name_en: str | None, code: str, domain: str, url: str | None, actor: str
    ) -> None:
        """Create or update the institution."""
        with open_service() as service:
            identity.set_institution(
                service, identity.InstitutionInfo(name_zh, name_en, code, domain, url), actor=actor
            )
            click.echo(f"institution {name_zh} ({code}) saved; issuer identity {service.did}")

    @cli.group("programme")
    def programme_group() -> None:
        """Micro-majors."""

    @programme_group.command("import")
    @click.argument("file")
    @actor_option
    def programme_import(file: str, actor: str) -> None:
        """Import micro-major definitions from a YAML or JSON FILE (see examples/)."""
        data, name = _read_file(file)
        try:
            specs = parse_programme_file(data, name)
        except ProgrammeFileError as exc:
            click.echo(f"error: {exc.render(default_language())}", err=True)
            sys.exit(EXIT_USAGE)
        with open_service() as service:
            for programme in import_programmes(service, specs, actor=actor):
                click.echo(f"imported {programme.code} {programme.name_zh}")

    @programme_group.command("list")
    def programme_list() -> None:
        """List micro-majors."""
        with open_service() as service:
            for programme in list_programmes(service):
                click.echo(f"{programme.code}\t{programme.name_zh}\t{programme.total_credits} credits")

    @cli.group("records")
    def records_group() -> None:
        """Completion records."""

    @records_group.command("import")
    @click.argument("file")
    @click.option("--programme", "programme_code", required=True, help="Micro-major code.")
    @actor_option
    def records_import(file: str, programme_code: str, actor: str) -> None:
        """Import completion records from a CSV or Excel FILE as the academic system exports it."""
        data, name = _read_file(file)
        with open_service() as service:
            summary = import_records(service, programme_code, data, name, actor=actor)
            click.echo(
                f"{summary.rows} rows for {summary.learners} learners: {summary.created} new, "
                f"{summary.updated} updated, {summary.unchanged} unchanged"
            )

    @cli.command("eligibility")
    @click.option("--programme", "programme_code", required=True, help="Micro-major code.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    def eligibility_command(programme_code: str, as_json: bool) -> None:
        """Preview: every learner, eligible or not, and exactly why."""
        language = default_language()
        with open_service() as service:
            result = preview(service, programme_code)
        if as_json:
            click.echo(
                json.dumps(
                    [
                        {
                            "studentNumber": e.student_number,
                            "name": e.name,
                            "status": e.status,
                            "reasons": [r.render(language) for r in e.reasons],
                        }
                        for e in result.learners
                    ],
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        for e in result.learners:
            reasons = "; ".join(r.render(language) for r in e.reasons)
            click.echo(f"{e.status:<13} {e.student_number}\t{e.name}\t{e.certificate_number or reasons}")

    @cli.command("approve")
    @click.option("--programme", "programme_code", required=True, help="Micro-major code.")
    @click.option("--note", help="Note for the audit log.")
    @actor_option
    def approve_command(programme_code: str, note: str | None, actor: str) -> None:
        """College review: approve the learners of a cohort who are now eligible."""
        with open_service() as service:
            approval = approve(service, programme_code, actor=actor, college_id=None, note=note)
            click.echo(f"approved {len(approval.learner_ids)} learner(s) of {programme_code}")

    @cli.command("issue")
    @click.option("--programme", "programme_code", required=True, help="Micro-major code.")
    @click.option("--dry-run", is_flag=True, help="Only say who would get a certificate.")
    @click.option(
        "--out",
        type=click.Path(path_type=Path, file_okay=False),
        help="Also write each signed credential here.",
    )
    @actor_option
    def issue_command(programme_code: str, dry_run: bool, out: Path | None, actor: str) -> None:
        """Issue certificates for every eligible learner of a micro-major (running it again issues nothing twice)."""
        language = default_language()
        with (
            open_service() as service,
            click.progressbar(length=1, label=f"issuing {programme_code}", file=sys.stderr) as bar,
        ):

            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(done - bar.pos)

            result = issue_programme(service, programme_code, actor=actor, dry_run=dry_run, progress=progress)
        for e in result.not_eligible:
            click.echo(
                f"not eligible  {e.student_number} {e.name}: {'; '.join(r.render(language) for r in e.reasons)}"
            )
        if dry_run:
            for e in result.would_issue:
                click.echo(f"would issue   {e.student_number} {e.name}")
            click.echo(f"{len(result.would_issue)} would be issued, {result.already_issued} already issued")
            return
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
        for issued in result.issued:
            line = f"issued        {issued.student_number} {issued.name} {issued.certificate_number}"
            if out is not None:
                path = out / f"{issued.certificate_number}.json"
                path.write_text(
                    json.dumps(issued.document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
                )
                line += f" → {path}"
            click.echo(line)
        click.echo(
            f"{len(result.issued)} issued, {result.already_issued} already issued before, {len(result.not_eligible)} not eligible"
        )

    @cli.command("render")
    @click.option("--programme", "programme_code", required=True, help="Micro-major code.")
    @click.option(
        "--out",
        required=True,
        type=click.Path(path_type=Path, file_okay=False),
        help="Folder for the PDF certificates (NUMBER.pdf).",
    )
    @click.option(
        "--workers", type=click.IntRange(1, 64), help="Worker processes (default: one per CPU core)."
    )
    def render_command(programme_code: str, out: Path, workers: int | None) -> None:
        """Render the PDF certificate of every current credential of a micro-major, in parallel."""
        # WeasyPrint takes over a second to import: only this command needs it.
        from .batch_render import render_programme  # noqa: PLC0415
        from .fonts import FontSetupError  # noqa: PLC0415

        language = default_language()
        with (
            open_service() as service,
            click.progressbar(length=1, label=f"rendering {programme_code}", file=sys.stderr) as bar,
        ):

            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            try:
                report = render_programme(service, programme_code, out, workers=workers, progress=progress)
            except FontSetupError as exc:
                click.echo(f"error: {exc.message.render(language)}", err=True)
                sys.exit(EXIT_REFUSED)
        for number, reason in report.failed:
            click.echo(f"not rendered  {number}: {reason.render(language)}", err=True)
        click.echo(f"{len(report.written)} rendered into {out}, {len(report.failed)} could not be rendered")
        if report.failed:
            sys.exit(EXIT_REFUSED)

    def _status_command(action: str, needs_reason: bool) -> Callable[..., None]:
        def command(cert_no: str | None, reason: str | None, from_csv: str | None, actor: str) -> None:
            references = [cert_no] if cert_no else []
            if from_csv:
                data, _name = _read_file(from_csv)
                try:
                    references += read_certificate_numbers(data)
                except ServiceError as exc:
                    raise click.UsageError(exc.render(default_language())) from None
            if not references:
                raise click.UsageError("give a certificate number (or --from-csv FILE)")
            if needs_reason and not reason:
                raise click.UsageError("--reason is required")
            with open_service() as service:
                changed = change_status(service, references, action, reason=reason, actor=actor)
            done = {REVOKE: "revoked", SUSPEND: "suspended", UNSUSPEND: "unsuspended"}[action]
            for credential in changed:
                click.echo(f"{done} {credential.certificate_number}")

        return command

    for action, needs_reason, doc in (
        (REVOKE, True, "Revoke a certificate (permanent); CERT_NO or the credential's urn:uuid id."),
        (SUSPEND, True, "Suspend a certificate (reversible); CERT_NO or the credential's urn:uuid id."),
        (UNSUSPEND, False, "Lift a suspension; CERT_NO or the credential's urn:uuid id."),
    ):
        function = _status_command(action, needs_reason)
        function.__doc__ = doc
        function = actor_option(function)
        function = click.option(
            "--from-csv", "from_csv", help="Also apply to every certificate number in this CSV file."
        )(function)
        function = click.option(
            "--reason", required=False, help="Why (required to revoke or suspend; stored, never published)."
        )(function)
        function = click.argument("cert_no", required=False)(function)
        cli.command(action)(function)

    @cli.command("reissue")
    @click.argument("cert_no")
    @click.option("--reason", required=True, help="Why the certificate is reissued.")
    @actor_option
    def reissue_command(cert_no: str, reason: str, actor: str) -> None:
        """Issue a corrected certificate; the old one is revoked and linked to it."""
        with open_service() as service:
            new = reissue(service, cert_no, reason=reason, actor=actor)
            click.echo(f"{cert_no} replaced by {new.certificate_number}")

    @cli.group("audit")
    def audit_group() -> None:
        """The audit log."""

    @audit_group.command("verify")
    def audit_verify() -> None:
        """Prove nothing in the audit log was altered or removed."""
        language = default_language()
        with open_service() as service:
            report = audit.verify_chain(service.engine)
        if report.intact:
            click.echo(f"audit log intact: {report.entries} entries, head {report.head}")
            return
        for problem in report.problems:
            click.echo(f"✘ {problem.render(language)}", err=True)
        sys.exit(EXIT_REFUSED)

    @cli.group("status")
    def status_group() -> None:
        """Publish the DID document and status lists as static files."""

    @status_group.command("export")
    @click.option(
        "--out",
        "out_dir",
        required=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Folder to write into (its layout mirrors the URLs below the base URL).",
    )
    def status_export(out_dir: Path) -> None:
        """Write the DID document, every signed status list and our context as static files.

        Serve the folder at MICROCRED_BASE_URL from any web server or CDN, and verifiers need
        nothing else from us. Run it again after every revocation or suspension (files are
        replaced atomically). Serve status lists as application/vc+ld+json and did.json as
        application/did+json.
        """
        with open_service() as service, transaction(service.engine, write=False) as session:
            documents = publication.everything(service, session)
        try:
            written = publication.export(documents, out_dir)
        except OSError as exc:
            raise click.UsageError(f"cannot write into {out_dir}: {exc.strerror or exc}") from None
        for document, path in zip(documents, written, strict=True):
            click.echo(f"{service.url(document.path)}  ->  {path}  ({document.media_type})")

    @cli.group("users")
    def users_group() -> None:
        """Accounts and API tokens."""

    @users_group.command("add")
    @click.argument("username")
    @click.option("--role", required=True, type=click.Choice(accounts.ROLES), help="What the account may do.")
    @click.option("--college", help="College code (college reviewers only).")
    @click.option("--display-name", help="Name shown in the console.")
    @click.option(
        "--password-file",
        type=click.Path(path_type=Path),
        help="Read the password from this file instead of asking.",
    )
    @actor_option
    def users_add(
        username: str,
        role: str,
        college: str | None,
        display_name: str | None,
        password_file: Path | None,
        actor: str,
    ) -> None:
        """Create an account."""
        if password_file is not None:
            password = password_file.read_text("utf-8").rstrip("\r\n")
        else:
            password = click.prompt("password", hide_input=True, confirmation_prompt=True)
        with open_service() as service:
            accounts.create_user(
                service,
                username,
                password=password,
                role=role,
                display_name=display_name,
                college_code=college,
                actor=actor,
            )
            click.echo(f"created {username} ({role})")

    @users_group.command("token")
    @click.argument("username")
    @click.option("--name", required=True, help="What the token is for.")
    @click.option(
        "--scope",
        "scopes",
        multiple=True,
        help="Limit the token to these scopes (default: all the role allows).",
    )
    @click.option("--days", type=int, help="Expire after this many days.")
    @actor_option
    def users_token(username: str, name: str, scopes: tuple[str, ...], days: int | None, actor: str) -> None:
        """Create an API token for USERNAME (printed once; store it safely)."""
        with open_service() as service:
            token = accounts.create_token(
                service, username, name=name, scopes=scopes or None, days=days, actor=actor
            )
            click.echo(token)
