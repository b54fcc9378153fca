"""``microcred trust`` (a registry operator's trust list) and ``microcred verifier bundle``.

A registry operator keeps an unsigned trust list file (``trust-list.json``) and an Ed25519 key
file (``registry-key.json``, the Multikey format ``microcred keys generate --out`` writes):

    trust init-registry --name "…"        key + empty list; prints the registry DID
    trust add DID --name-zh … [--name-en … --code … --domain …]
    trust remove DID
    trust sign -o signed.json              dated, numbered, signed; checked before it is written
    trust show FILE                        verify a signed list (or list an unsigned one)

``verifier bundle -o FILE`` snapshots what verification needs into one offline bundle. Both
groups are registered on ``microcred`` and on ``microcred-verify``. Exit status: 0 success,
1 a list or credential that does not verify, 2 usage error.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn

import click
from cryptography.hazmat.primitives.asymmetric import ed25519

from .bundle import BundleError, build_bundle
from .cli import EXIT_NOT_VERIFIED, EXIT_USAGE, default_language
from .configured import ConfiguredVerifier, VerifierSettings
from .datetimes import format_date_time_stamp, parse_date_time_stamp, utc_now
from .dids import did_web_url
from .i18n import Text, render, t
from .jsonsafe import parse_json
from .multikey import (
    Ed25519Signer,
    InvalidKeyError,
    PublicKey,
    decode_ed25519_secret_multibase,
    decode_public_key_multibase,
    encode_ed25519_secret_multibase,
)
from .presentation import PresentationResult
from .problems import ProblemError
from .trust import TrustedIssuer, TrustList
from .trust_lists import TrustListError, read_trust_list
from .trust_registry import (
    DEFAULT_VALIDITY,
    TrustListEditError,
    add_issuer,
    new_trust_list,
    remove_issuer,
    sign_trust_list,
)

DEFAULT_LIST_FILE = "trust-list.json"
DEFAULT_KEY_FILE = "registry-key.json"
_CONTEXT = {"help_option_names": ["-h", "--help"]}


def _fail(message: Text, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(render(message, default_language()), err=True)
    sys.exit(code)


def _say(message: Text, *, err: bool = False) -> None:
    click.echo(render(message, default_language()), err=err)


# --- Files -------------------------------------------------------------------------------------


def _read_json(path: Path, what: Text) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        _fail(
            t(
                "cannot read the {what} {path}: {reason}",
                what=what,
                path=str(path),
                reason=exc.strerror or exc,
            )
        )
    try:
        return parse_json(raw, max_bytes=8 * 1024 * 1024, max_values=1_000_000)
    except ProblemError as exc:
        _fail(
            t(
                "the {what} {path} is not valid JSON: {reason}",
                what=what,
                path=str(path),
                reason=exc.problem.detail,
            )
        )


def _write_json(path: Path, document: Any, *, mode: int = 0o644, exclusive: bool = False) -> None:
    """Write ``document`` (a temporary file renamed into place; ``exclusive``: never overwrite)."""
    data = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if exclusive:
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            _fail(t("{path} already exists; choose another file or pass --force", path=str(path)))
        except OSError as exc:
            _fail(t("cannot write {path}: {reason}", path=str(path), reason=exc.strerror or exc))
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(data)
        return
    temporary = path.with_name(f".{path.name}.part")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(data)
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        _fail(t("cannot write {path}: {reason}", path=str(path), reason=exc.strerror or exc))


def _write_key(path: Path, key: ed25519.Ed25519PrivateKey, method: str, controller: str, force: bool) -> None:
    public = PublicKey("Ed25519", key.public_key().public_bytes_raw())
    document = {
        "comment": "Ed25519 Multikey pair of a trust-list registry. The secret key is NOT encrypted: keep this file private.",
        "type": "Multikey",
        "id": method,
        "controller": controller,
        "publicKeyMultibase": public.multibase,
        "secretKeyMultibase": encode_ed25519_secret_multibase(key),
    }
    if force:
        path.unlink(missing_ok=True)
    _write_json(path, document, mode=0o600, exclusive=True)


def _load_signer(path: Path) -> Ed25519Signer:
    """The signer of a Multikey key pair file (as ``microcred keys generate --out`` writes)."""
    document = _read_json(path, t("key file"))
    secret = (
        document.get("secretKeyMultibase", document.get("privateKeyMultibase"))
        if isinstance(document, dict)
        else None
    )
    public = document.get("publicKeyMultibase") if isinstance(document, dict) else None
    if not isinstance(secret, str) or not isinstance(public, str):
        _fail(t("the key file {path} needs publicKeyMultibase and secretKeyMultibase", path=str(path)))
    try:
        key = decode_ed25519_secret_multibase(secret)
        public_key = decode_public_key_multibase(public)
    except InvalidKeyError as exc:
        _fail(t("the key file {path} is unusable: {reason}", path=str(path), reason=str(exc)))
    if key.public_key().public_bytes_raw() != public_key.raw:
        _fail(t("the key file {path}: the public key does not belong to the secret key", path=str(path)))
    method = document.get("id")
    if not isinstance(method, str) or "#" not in method:
        method = f"did:key:{public_key.multibase}#{public_key.multibase}"
    return Ed25519Signer(key, method)


def _load_list(path: Path) -> dict[str, Any]:
    document = _read_json(path, t("trust list"))
    if not isinstance(document, dict) or "TrustListCredential" not in (document.get("type") or []):
        _fail(t("{path} is not a trust list", path=str(path)))
    return document


def _date(value: str | None, option: str) -> Any:
    if value is None:
        return None
    moment = parse_date_time_stamp(value)
    if moment is None:
        raise click.BadParameter(
            "use an ISO 8601 date-time with a time zone, e.g. 2025-07-01T00:00:00Z", param_hint=option
        )
    return moment


def _settings(
    trust_lists: tuple[str, ...], registries: tuple[str, ...], cache_dir: Path | None
) -> VerifierSettings:
    return VerifierSettings.from_environ(
        os.environ, trust_lists=trust_lists, registries=registries, cache_dir=cache_dir
    )


list_option = click.option(
    "--list",
    "list_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_LIST_FILE,
    show_default=True,
    help="The unsigned trust list being edited.",
)
key_option = click.option(
    "--key",
    "key_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_KEY_FILE,
    show_default=True,
    help="The registry's Ed25519 Multikey key file.",
)
registry_option = click.option(
    "--registry",
    "registries",
    multiple=True,
    metavar="DID",
    help="A registry whose trust lists are accepted (repeatable; default: MICROCRED_TRUST_REGISTRIES).",
)
trust_list_option = click.option(
    "--trust-list",
    "trust_lists",
    multiple=True,
    metavar="FILE|URL",
    help="A signed trust list (repeatable; default: MICROCRED_TRUST_LISTS).",
)
cache_dir_option = click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Cache of fetched documents (default: MICROCRED_CACHE_DIR, else ~/.cache/microcred).",
)


# --- microcred trust ---------------------------------------------------------------------------


@click.group("trust", context_settings=_CONTEXT)
def trust_group() -> None:
    """Trust lists: which issuer DIDs belong to which institutions, signed by a registry."""


@trust_group.command("init-registry")
@key_option
@list_option
@click.option("--name", "registry_name", help="The registry operator's name, shown to verifiers.")
@click.option("--list-name", help="The trust list's title.")
@click.option("--id", "list_id", metavar="URL", help="The list's id, e.g. the HTTPS URL it is published at.")
@click.option(
    "--did",
    metavar="DID",
    help="The registry's did:web (default: the new key's did:key, which needs no web server).",
)
@click.option(
    "--did-document",
    type=click.Path(path_type=Path, dir_okay=False),
    default="registry-did.json",
    show_default=True,
    help="With --did: where to write the DID document to publish.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing key file and list.")
def trust_init_registry_command(  # noqa: PLR0917 - click passes every option
    key_file: Path,
    list_file: Path,
    registry_name: str | None,
    list_name: str | None,
    list_id: str | None,
    did: str | None,
    did_document: Path,
    force: bool,
) -> None:
    """Generate the registry's key and start an empty trust list; print the registry DID."""
    if list_file.exists() and not force:
        _fail(t("{path} already exists; choose another file or pass --force", path=str(list_file)))
    key = ed25519.Ed25519PrivateKey.generate()
    public = PublicKey("Ed25519", key.public_key().public_bytes_raw())
    if did is None:
        registry = f"did:key:{public.multibase}"
        method = f"{registry}#{public.multibase}"
    else:
        try:
            url = did_web_url(did)
        except ProblemError:
            raise click.BadParameter(
                "use a did:web DID such as did:web:registry.example.org", param_hint="--did"
            ) from None
        registry, method = did, f"{did}#registry-key-1"
    _write_key(key_file, key, method, registry, force)
    _write_json(
        list_file,
        new_trust_list(registry=registry, registry_name=registry_name, list_id=list_id, name=list_name),
    )
    if did is not None:
        _write_json(
            did_document,
            {
                "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
                "id": registry,
                "verificationMethod": [
                    {
                        "id": method,
                        "type": "Multikey",
                        "controller": registry,
                        "publicKeyMultibase": public.multibase,
                    }
                ],
                "assertionMethod": [method],
            },
        )
        _say(t("Publish {file} at {url}.", file=str(did_document), url=url))
    click.echo(registry)
    _say(
        t(
            "Key written to {key} (keep it private); empty trust list written to {list}.",
            key=str(key_file),
            list=str(list_file),
        )
    )


@trust_group.command("add")
@click.argument("did")
@click.option("--name-zh", required=True, help="The institution's name in Chinese, as registered.")
@click.option("--name-en", help="The institution's name in English.")
@click.option("--code", help="The national institution code (学校标识码).")
@click.option("--domain", help="The institution's web domain, e.g. ustb.edu.cn.")
@click.option("--valid-from", metavar="DATETIME", help="Listed only for credentials signed from then.")
@click.option("--valid-until", metavar="DATETIME", help="Listed only for credentials signed until then.")
@list_option
def trust_add_command(  # noqa: PLR0917 - click passes every option
    did: str,
    name_zh: str,
    name_en: str | None,
    code: str | None,
    domain: str | None,
    valid_from: str | None,
    valid_until: str | None,
    list_file: Path,
) -> None:
    """Add the issuer DID to the list (or replace its entry)."""
    entry = TrustedIssuer(
        did=did,
        name_zh=name_zh,
        name_en=name_en,
        institution_code=code,
        domain=domain,
        valid_from=_date(valid_from, "--valid-from"),
        valid_until=_date(valid_until, "--valid-until"),
    )
    document = _load_list(list_file)
    replaced = any(isinstance(e, dict) and e.get("id") == did for e in document.get("credentialSubject", []))
    try:
        updated = add_issuer(document, entry)
    except TrustListEditError as exc:
        _fail(t("cannot add {did}: {reason}", did=did, reason=str(exc)))
    _write_json(list_file, updated)
    message = (
        t("{did} updated in {list}.", did=did, list=str(list_file))
        if replaced
        else t("{did} added to {list}.", did=did, list=str(list_file))
    )
    _say(message)


@trust_group.command("remove")
@click.argument("did")
@list_option
def trust_remove_command(did: str, list_file: Path) -> None:
    """Remove the issuer DID from the list."""
    try:
        updated = remove_issuer(_load_list(list_file), did)
    except TrustListEditError:
        _fail(t("{did} is not on {list}.", did=did, list=str(list_file)))
    _write_json(list_file, updated)
    _say(t("{did} removed from {list}.", did=did, list=str(list_file)))


@trust_group.command("sign")
@list_option
@key_option
@click.option(
    "--valid-days",
    type=click.IntRange(1, 366),
    default=DEFAULT_VALIDITY.days,
    show_default=True,
    help="How long the signed list is valid; sign a new one before then.",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Write the signed list here.",
)
def trust_sign_command(list_file: Path, key_file: Path, valid_days: int, out: Path) -> None:
    """Sign the list: dated, numbered, signed, and verified before it is written."""
    document = _load_list(list_file)
    signer = _load_signer(key_file)
    try:
        signed = sign_trust_list(document, signer, valid_for=timedelta(days=valid_days))
    except (TrustListEditError, ProblemError) as exc:
        reason = exc.problem.detail if isinstance(exc, ProblemError) else str(exc)
        _fail(t("cannot sign {list}: {reason}", list=str(list_file), reason=reason))
    registry = signed["issuer"]["id"] if isinstance(signed["issuer"], dict) else signed["issuer"]
    with ConfiguredVerifier(_settings((), (), None)) as verifier:
        try:
            checked = read_trust_list(signed, registries={registry}, fetch=verifier.fetch)
        except TrustListError as exc:
            _fail(
                t("the signed list does not verify, so it was not written: {reason}", reason=exc.text),
                EXIT_NOT_VERIFIED,
            )
    _write_json(out, signed)
    _write_json(list_file, {**document, "sequenceNumber": signed["sequenceNumber"]})
    _say(
        t(
            "Signed trust list number {sequence} ({count} issuers, valid until {until}) written to {out}.",
            sequence=signed["sequenceNumber"],
            count=len(checked.issuers),
            until=signed["validUntil"],
            out=str(out),
        )
    )


@trust_group.command("show")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@registry_option
@cache_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
def trust_show_command(
    file: Path, registries: tuple[str, ...], cache_dir: Path | None, as_json: bool
) -> None:
    """Verify a signed trust list and list its issuers (an unsigned one is only listed)."""
    document = _load_list(file)
    settings = _settings((), registries, cache_dir)
    signed = "proof" in document
    if not signed:
        trust_list = _unsigned(document, file)
    else:
        with ConfiguredVerifier(settings) as verifier:
            try:
                trust_list = read_trust_list(
                    document,
                    registries=settings.registries or None,
                    fetch=verifier.fetch,
                    allow_loopback_http=settings.allow_local_http,
                    source=str(file),
                )
            except TrustListError as exc:
                _fail(
                    t("{path} does not verify: {reason}", path=str(file), reason=exc.text), EXIT_NOT_VERIFIED
                )
    if as_json:
        click.echo(
            json.dumps(
                {**trust_list.to_json(), "issuers": [e.to_json() for e in trust_list.issuers.values()]},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not signed:
        _say(t("{path} is an unsigned trust list (sign it with `trust sign`).", path=str(file)))
    elif settings.registries:
        _say(t("Verified: signed by {registry}, a configured registry.", registry=trust_list.label))
    else:
        _say(
            t(
                "Signature valid: signed by {registry} (no registry is configured, so whether to trust it is your decision).",
                registry=trust_list.label,
            )
        )
    if signed:
        _say(
            t(
                "List number {sequence}, valid until {until}.",
                sequence=trust_list.sequence,
                until=format_date_time_stamp(trust_list.valid_until) if trust_list.valid_until else "—",
            )
        )
    for entry in trust_list.issuers.values():
        names = " / ".join(filter(None, [entry.name_zh, entry.name_en]))
        extra = ", ".join(filter(None, [entry.institution_code, entry.domain]))
        click.echo(f"  {entry.did}  {names}" + (f"  ({extra})" if extra else ""))


def _unsigned(document: dict[str, Any], file: Path) -> TrustList:
    issuers = []
    for raw in document.get("credentialSubject", []):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            _fail(t("{path} has a malformed entry", path=str(file)))
        names: dict[str, Any] = raw["nameMap"] if isinstance(raw.get("nameMap"), dict) else {}
        issuers.append(
            TrustedIssuer(
                did=raw["id"],
                name_zh=str(names.get("zh") or raw.get("name") or ""),
                name_en=names.get("en"),
                institution_code=raw.get("institutionCode"),
                domain=raw.get("domain"),
            )
        )
    issuer = document.get("issuer")
    operator = issuer.get("id") if isinstance(issuer, dict) else issuer
    return TrustList(str(operator), {i.did: i for i in issuers}, source=str(file))


# --- microcred verifier bundle -----------------------------------------------------------------


@click.group("verifier", context_settings=_CONTEXT)
def verifier_group() -> None:
    """The verifier's cache and offline bundles."""


@verifier_group.command("bundle")
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Write the bundle here (.gz: compressed).",
)
@click.option(
    "--credential",
    "credentials",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Bundle what verifying this credential needs (repeatable; default: everything cached).",
)
@trust_list_option
@registry_option
@cache_dir_option
def verifier_bundle_command(
    out: Path,
    credentials: tuple[Path, ...],
    trust_lists: tuple[str, ...],
    registries: tuple[str, ...],
    cache_dir: Path | None,
) -> None:
    """Snapshot trust lists, DID documents and status lists into one file for offline use.

    Use it with `verify --offline --bundle FILE CERT` on a machine with no network.
    """
    settings = _settings(trust_lists, registries, cache_dir)
    language = default_language()
    with ConfiguredVerifier(settings, record_requests=True) as verifier:
        for trust_list in verifier.trust_lists():
            if not isinstance(trust_list, TrustList):
                _say(
                    t(
                        "Trust list {source} not usable: {reason}",
                        source=trust_list.source,
                        reason=trust_list.reason,
                    ),
                    err=True,
                )
        for path in credentials:
            document = _read_json(path, t("credential"))
            outcome = verifier.verify(document)
            results = outcome.credentials if isinstance(outcome, PresentationResult) else (outcome,)
            for result in results:
                problems = "; ".join(c.message_in(language) for c in result.checks if c.required and not c.ok)
                click.echo(f"  {path}: {result.outcome}" + (f" ({problems})" if problems else ""))
        urls = verifier.requested if credentials else None
        try:
            bundle = build_bundle(
                verifier.cache,
                urls=urls,
                trust_lists=verifier.trust.locations,
                registries=tuple(sorted(verifier.trust.registries)),
                now=utc_now(),
            )
            bundle.write(out)
        except BundleError as exc:
            _fail(exc.text)
    _say(
        t(
            "Bundle written to {out}: {count} documents and {lists} trust lists as of {when}.",
            out=str(out),
            count=len(bundle.entries),
            lists=len(bundle.trust_lists),
            when=bundle.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        )
    )


__all__ = ["trust_group", "verifier_group"]
