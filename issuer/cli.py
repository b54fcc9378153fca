"""The ``microcred`` command: sign, verify, keys and the demo.

Flags, then environment, then defaults: this module is the only place that reads the
environment. ``verify`` is the verifier's own command (:mod:`verifier.cli`), included as is.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from verifier import __version__
from verifier.cli import EXIT_NOT_VERIFIED, EXIT_USAGE, default_language, verify_command
from verifier.cli_trust import trust_group, verifier_group
from verifier.dataintegrity import EDDSA_JCS_2022, EDDSA_RDFC_2022, add_proof
from verifier.datetimes import parse_date_time_stamp
from verifier.i18n import render
from verifier.jsonsafe import parse_json
from verifier.problems import ProblemError

from . import identity
from .cli_links import register as register_link_commands
from .cli_service import actor_option, open_service, register
from .db import transaction
from .demo import run_demo
from .keyfile import KeyFileError, KeyPair, load_key_pair, write_key_pair

_SUITES = {EDDSA_RDFC_2022.name: EDDSA_RDFC_2022, EDDSA_JCS_2022.name: EDDSA_JCS_2022}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="microcred")
def cli() -> None:
    """microcred: issue and verify micro-major certificates (W3C VC 2.0 / Open Badges 3.0)."""


cli.add_command(verify_command)
cli.add_command(trust_group)
cli.add_command(verifier_group)


@cli.command("sign")
@click.argument("file", type=str)
@click.option(
    "--key", "key_file", required=True, type=click.Path(path_type=Path), help="Multikey key pair JSON file."
)
@click.option(
    "--verification-method", "verification_method", required=True, help="DID URL of the signing key."
)
@click.option("--created", help="Proof creation time (ISO 8601 with time zone); default now.")
@click.option(
    "--cryptosuite",
    type=click.Choice(sorted(_SUITES)),
    default=EDDSA_RDFC_2022.name,
    show_default=True,
    help="Data Integrity cryptosuite.",
)
@click.option(
    "-o", "--out", type=click.Path(path_type=Path), help="Write the signed credential here (default: stdout)."
)
def sign_command(
    file: str,
    key_file: Path,
    verification_method: str,
    created: str | None,
    cryptosuite: str,
    out: Path | None,
) -> None:
    """Sign the unsigned credential in FILE (- for standard input) with a Data Integrity proof."""
    when = None
    if created is not None:
        when = parse_date_time_stamp(created)
        if when is None:
            raise click.BadParameter(
                "use an ISO 8601 date-time with a time zone, e.g. 2025-07-01T00:00:00Z",
                param_hint="--created",
            )
    try:
        key_pair = load_key_pair(key_file)
    except KeyFileError as exc:
        raise click.UsageError(str(exc)) from None
    raw = sys.stdin.buffer.read() if file == "-" else _read(Path(file))
    try:
        document = parse_json(raw)
    except ProblemError as exc:
        raise click.UsageError(f"{file} is not valid JSON: {exc.problem.detail}") from None
    if not isinstance(document, dict):
        raise click.UsageError(f"{file} is not a JSON object")
    try:
        signed = add_proof(
            document, key_pair.signer(verification_method), cryptosuite=_SUITES[cryptosuite], created=when
        )
    except ProblemError as exc:
        click.echo(f"cannot sign {file}: {render(exc.problem.detail, default_language())}", err=True)
        sys.exit(EXIT_NOT_VERIFIED)
    text = json.dumps(signed, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"signed credential written to {out}", err=True)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise click.UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


@cli.group("keys")
def keys_group() -> None:
    """Signing keys."""


@keys_group.command("generate")
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="Write a standalone Multikey key pair file (mode 0600) instead of a key of the issuer service.",
)
@click.option("--force", is_flag=True, help="With --out: overwrite the file if it exists.")
def keys_generate_command(out: Path | None, force: bool) -> None:
    """Generate an Ed25519 key and print its did:key.

    Without --out: the issuer service's first signing key, encrypted in MICROCRED_KEYS_DIR
    (use `keys rotate` to replace an existing one). With --out: a plain Multikey file for
    `microcred sign`.
    """
    if out is not None:
        key_pair = KeyPair.generate()
        try:
            write_key_pair(out, key_pair, overwrite=force)
        except KeyFileError as exc:
            raise click.UsageError(str(exc)) from None
        click.echo(key_pair.did_key)
        click.echo(
            f"key pair written to {out} (keep it private; verification method {key_pair.did_key_method})",
            err=True,
        )
        return
    with open_service() as service:
        with transaction(service.engine, write=False) as session:
            existing = identity.active_key(session)
        if existing is not None:
            raise click.UsageError(
                f"the issuer already has a signing key ({existing.fragment}); use `microcred keys rotate`"
            )
        key = identity.ensure_signing_key(service, actor=_user())
        click.echo(f"did:key:{key.fingerprint}")
        click.echo(
            f"issuer signing key {service.did}#{key.fragment} stored encrypted in {service.settings.keys_dir}",
            err=True,
        )


@keys_group.command("rotate")
@actor_option
def keys_rotate_command(actor: str) -> None:
    """Make a new key the signing key; the old one stays in the DID document."""
    with open_service() as service:
        new, previous = identity.rotate_key(service, actor=actor)
        click.echo(
            f"signing key is now {service.did}#{new.fragment}"
            + (f"; {previous.fragment} retired" if previous else "")
        )


@keys_group.command("list")
def keys_list_command() -> None:
    """List the issuer's keys and their state."""
    with open_service() as service:
        for key in identity.list_keys(service):
            click.echo(f"{key.fragment}\t{key.status}\t{key.fingerprint}\t{key.created_at:%Y-%m-%d}")


@keys_group.command("compromised")
@click.argument("key")
@click.option("--note", required=True, help="What happened.")
@actor_option
def keys_compromised_command(key: str, note: str, actor: str) -> None:
    """Mark KEY (fragment or fingerprint) compromised; list the certificates it signed."""
    with open_service() as service:
        marked, affected = identity.mark_compromised(service, key, note=note, actor=actor)
        click.echo(
            f"{marked.fragment} marked compromised; {len(affected)} certificate(s) signed with it need reissuing:"
        )
        for number in affected:
            click.echo(f"  {number}")


@cli.command("demo")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("demo-out"),
    show_default=True,
    help="Folder for the signed credentials, status lists, DID document and the cohort's CSV.",
)
def demo_command(out: Path) -> None:
    """Seed a demo university, issue its micro-major certificates, revoke one, and say where to look.

    Uses the configured database (default: an embedded SQLite file). Running it again changes
    nothing already done.
    """
    language = default_language()
    with open_service() as service:
        report = run_demo(service, out, language=language)
        base = service.settings.base_url
        did_url = service.url(service.did_document_path)
    click.echo(f"issuer {report.did} · micro-major {report.programme}")
    for number, name, outcome in report.issued:
        click.echo(f"  {outcome.upper():<9} {number}  {name}  → {out / (number + '.json')}")
    for name, reasons in report.not_eligible:
        click.echo(f"  NOT ELIGIBLE {name}: {reasons}")
    click.echo("")
    click.echo(
        f"Files:          {out}/ (per learner: .json credential, .pdf certificate, .qr.txt/.qr.png QR; "
        "status lists, did.json, trust-list.json, links.csv, the cohort's GB18030 CSV)"
    )
    click.echo(f"Serve them:     microcred serve   → {did_url} and {base}/status/revocation/1")
    click.echo(f"Verify page:    {base}/verify   (open a certificate's .qr.txt link, or upload its PDF)")
    first = report.issued[0][0] if report.issued else "CERT"
    lists = " ".join(f"--status-list {path}" for path in sorted(out.glob("status-*.json")))
    click.echo(
        f"Verify offline: microcred verify --offline --did-document {out}/did.json {lists} {out}/{first}.pdf"
    )
    trust = ""
    if report.trust_list is not None and report.registry is not None:
        trust = f"--trust-list {report.trust_list} --registry {report.registry} "
    click.echo(
        f"Verify online:  MICROCRED_ALLOW_LOCAL_HTTP=1 microcred verify {trust}{out}/{first}.pdf"
        "   (while `microcred serve` runs)"
    )
    if report.download_link is not None:
        click.echo(f"Learner's page: {report.download_link}   (every learner's link: {out}/links.csv)")
    if report.console_account is not None:
        user, password = report.console_account
        click.echo(f"Console:        {base}/console   user {user}, password {password}   (development only)")


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _user() -> str:
    return os.environ.get("USER") or getpass.getuser() or "cli"


register(cli)
register_link_commands(cli)


def main() -> None:
    """Entry point of the ``microcred`` command."""
    cli(prog_name="microcred")


__all__ = ["EXIT_USAGE", "cli", "main"]
