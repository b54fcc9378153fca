"""The ``microcred`` command: sign, verify, keys and the demo.

Flags, then environment, then defaults: this module is the only place that reads the
environment. ``verify`` is the verifier's own command (:mod:`verifier.cli`), included as is.
"""

from __future__ import annotations

import copy
import json
import random
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from verifier import __version__
from verifier.cli import EXIT_NOT_VERIFIED, EXIT_USAGE, default_language, verify_command
from verifier.dataintegrity import EDDSA_JCS_2022, EDDSA_RDFC_2022, add_proof
from verifier.datetimes import parse_date_time_stamp
from verifier.i18n import render
from verifier.jsonsafe import parse_json
from verifier.problems import ProblemError
from verifier.status import REVOCATION
from verifier.verify import verify_credential

from .credential import CertificateDetails, StatusEntry, build_credential
from .demo_data import DEMO_LEARNERS, demo_institution, demo_micro_major, demo_results
from .fields import DEFAULT_INDUSTRY_FIELDS
from .keyfile import KeyFileError, KeyPair, load_key_pair, write_key_pair
from .status_lists import build_status_list_credential, new_bitstring

_SUITES = {EDDSA_RDFC_2022.name: EDDSA_RDFC_2022, EDDSA_JCS_2022.name: EDDSA_JCS_2022}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="microcred")
def cli() -> None:
    """microcred: issue and verify micro-major certificates (W3C VC 2.0 / Open Badges 3.0)."""


cli.add_command(verify_command)


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
    default=Path("keypair.json"),
    show_default=True,
    help="Where to write the new key pair (a Multikey JSON file, mode 0600).",
)
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
def keys_generate_command(out: Path, force: bool) -> None:
    """Generate an Ed25519 key pair file and print its did:key."""
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


@cli.command("demo")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("demo-out"),
    show_default=True,
    help="Folder for the demo credentials, status list and results.",
)
def demo_command(out: Path) -> None:
    """Build, sign and verify sample micro-major certificates, and say where to look.

    One certificate stays valid, one is revoked through a signed status list, and a copy of
    the first is tampered with (a grade changed), to show all three answers.
    """
    out.mkdir(parents=True, exist_ok=True)
    language = default_language()
    key_pair = KeyPair.generate()
    institution = demo_institution(key_pair.did_key)
    micro_major = demo_micro_major()
    now = datetime.now(UTC).replace(microsecond=0)
    revocations = new_bitstring()
    status_url = "https://www.example.edu.cn/microcred/status/revocation/1"
    indexes = random.sample(range(revocations.entries), len(DEMO_LEARNERS))

    credentials = []
    for number, ((learner, grades), index) in enumerate(zip(DEMO_LEARNERS, indexes, strict=True), start=1):
        details = CertificateDetails(
            certificate_number=f"SF-WZY-{now.year}-{number:06d}",
            valid_from=now,
            study_start=date(2024, 9, 1),
            study_end=date(2025, 6, 30),
            status=(StatusEntry(REVOCATION, index, status_url),),
        )
        credential = build_credential(
            institution,
            micro_major,
            learner,
            demo_results(grades),
            details,
            industry_fields=DEFAULT_INDUSTRY_FIELDS,
        )
        credentials.append((details.certificate_number, add_proof(credential, key_pair.signer())))
    revocations.set(indexes[-1], 1)  # the last demo certificate was "issued in error"
    status_list = add_proof(
        build_status_list_credential(
            url=status_url, issuer=key_pair.did_key, purpose=REVOCATION, bitstring=revocations, valid_from=now
        ),
        key_pair.signer(),
    )
    _write_json(out / "status-list-revocation.json", status_list)
    tampered = copy.deepcopy(credentials[0][1])
    tampered["credentialSubject"]["result"][0]["value"] = "100"
    credentials.append((f"{credentials[0][0]}-TAMPERED", tampered))

    for certificate_number, signed in credentials:
        result = verify_credential(signed, status_lists={status_url: status_list})
        stem = f"credential-{certificate_number}"
        _write_json(out / f"{stem}.json", signed)
        _write_json(out / f"{stem}.verification.json", result.to_json(language))
        name = signed["credentialSubject"]["name"]
        click.echo(
            f"{result.outcome.upper():<9} {name} · {micro_major.name.zh} · {certificate_number} → {out / (stem + '.json')}"
        )
        for check in result.checks:
            click.echo(f"    {check.id:<9} {check.status.value:<8} {check.message_in(language)}")
    click.echo("")
    click.echo(f"Issuer (demo key, did:key): {key_pair.did_key}")
    click.echo(f"Status list:                {out / 'status-list-revocation.json'}")
    first = out / f"credential-{credentials[0][0]}.json"
    click.echo(
        f"Verify one yourself:        microcred verify --status-list {out}/status-list-revocation.json {first}"
    )
    click.echo("The demo key is thrown away when the demo ends; nothing here is a real certificate.")


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    """Entry point of the ``microcred`` command."""
    cli(prog_name="microcred")


__all__ = ["EXIT_USAGE", "cli", "main"]
