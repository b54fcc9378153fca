"""Learners' download links: one unguessable link per certificate, ``{base_url}/c/{token}``.

A learner opens the link to fetch their certificate as PDF, credential JSON, baked badge and QR
code (:mod:`issuer.learner_page`). The registrar hands the links out and must be able to export
a cohort's links again at any time, so a token is **derived**, not drawn and forgotten::

    token = base64url( HMAC-SHA256( link_secret,
                                    "microcred-download-link/v1" 0x00 credential_id 0x00 version ) )[:22]

* ``link_secret`` is 32 random bytes per deployment, kept encrypted at rest beside the signing
  keys (:mod:`issuer.link_secret`: scrypt from the key passphrase, AES-256-GCM). A copy of the
  database alone yields no link.
* 22 base64url characters carry 132 bits: guessing a link is pointless (at a billion guesses a
  second, finding any one of a million links takes longer than the age of the universe).
* Only ``SHA-256(token)`` is stored (``credentials.download_token_hash``, unique). The page
  finds a credential by that hash, an index lookup: the token itself is never compared byte by
  byte, and the timing of the lookup tells nothing about the token.
* ``version`` (``credentials.download_link_version``) starts at 0. **Regenerating** a link
  (a learner's link leaked, or was sent to the wrong person) increments it and stores the new
  hash in one transaction, with an audit entry; the old link stops working at once.

Why derived rather than random tokens stored per credential: a random token could only be
re-exported if it were stored recoverably, i.e. encrypted per credential in the database; the
derivation gives the same property with nothing secret in the database and one secret to back up.
Why not an HMAC of the passphrase directly: a learner knows their own token and credential id,
and could then attack the passphrase offline; the random link secret has no such weakness.

Tokens are set when a certificate is issued (one HMAC and one SHA-256 per credential inside the
issuing transaction: microseconds). A credential issued before links existed gets its hash the
first time its link is exported or shown (:func:`links_for`), which is before anyone can hold it.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from . import audit
from .db import transaction
from .errors import ServiceError
from .i18n import t
from .keystore import KeyStoreError
from .link_secret import FILE_NAME, link_secret, replace_link_secret
from .lookup import find_credential
from .models import Credential, Learner
from .printing import qr_text_for
from .programmes import get_programme
from .service import Service

log = logging.getLogger("microcred.download_links")

#: The path below the base URL where a learner's page lives: ``{base_url}/c/{token}``.
LINK_PREFIX = "/c"
#: Characters of a token: 22 base64url characters are 132 bits.
TOKEN_LENGTH = 22
TOKEN_PATTERN = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")
_LABEL = b"microcred-download-link/v1\x00"
#: The audit action of a regenerated link.
REGENERATE_ACTION = "credential.link.regenerate"
#: The audit action of a new link secret (every link replaced).
RESET_ACTION = "link-secret.reset"


def download_token(secret: bytes, credential_id: str, version: int) -> str:
    """The token of ``credential_id``'s link, generation ``version`` (see the module docstring)."""
    message = _LABEL + credential_id.encode("utf-8") + b"\x00" + str(version).encode("ascii")
    mac = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii")[:TOKEN_LENGTH]


def token_hash(token: str) -> str:
    """What the database stores and looks up: the hex SHA-256 of the token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def is_token(text: str) -> bool:
    """Whether ``text`` has the shape of a token (anything else is refused before any lookup)."""
    return TOKEN_PATTERN.fullmatch(text) is not None


_LINK_IN_PATH = re.compile(rf"^{LINK_PREFIX}/(?!static/)[^/?#]+")


def redact_link(path: str) -> str:
    """``path`` with a download token replaced by ``…``: for logs (a token is the learner's key)."""
    return _LINK_IN_PATH.sub(f"{LINK_PREFIX}/…", path)


class RedactLinks(logging.Filter):
    """Masks download tokens in uvicorn's access log lines (their third argument is the path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_link(args[2]), *args[3:])
        return True


def redact_access_log() -> None:
    """Install :class:`RedactLinks` on uvicorn's access log (once per process)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, RedactLinks) for existing in access.filters):
        access.addFilter(RedactLinks())


def download_url(service: Service, token: str) -> str:
    return service.url(f"{LINK_PREFIX}/{token}")


def _any_link(session: Session) -> bool:
    found = session.exec(
        select(Credential.id).where(col(Credential.download_token_hash).is_not(None)).limit(1)
    ).first()
    return found is not None


def _unavailable(error: KeyStoreError) -> ServiceError:
    return ServiceError(503, "link-secret-unavailable", t("Download links unavailable"), error.message)


def _secret(service: Service, session: Session) -> bytes:
    """The link secret. A new one is made only while no credential has a link: once links are
    handed out, a missing secret file is an error to fix by restoring it (a new secret would
    silently break every link learners hold)."""
    try:
        return link_secret(service.keys, create=False)
    except KeyStoreError as error:
        if error.reason != "missing-file" or _any_link(session):
            raise _unavailable(error) from None
    try:
        return link_secret(service.keys, create=True)
    except KeyStoreError as error:
        raise _unavailable(error) from None


def assign_links(service: Service, session: Session, credentials: Sequence[Credential]) -> None:
    """Give credentials about to be stored their first link (issuing calls this before the insert)."""
    secret = _secret(service, session)
    for credential in credentials:
        credential.download_link_version = 0
        credential.download_token_hash = token_hash(download_token(secret, credential.credential_id, 0))


def find_by_token(session: Session, token: str) -> Credential | None:
    """The credential whose current link is ``token``, if any."""
    if not is_token(token):
        return None
    return session.exec(select(Credential).where(Credential.download_token_hash == token_hash(token))).first()


def links_for(service: Service, credentials: Sequence[Credential]) -> dict[str, str]:
    """Each credential's download URL by certificate number, storing any hash not stored yet.

    A credential issued before download links existed has no hash: it gets one here, the first
    time its link is shown. A stored hash that the derivation does not give means the link
    secret is not the one the links were made with (a keys folder restored without it, another
    folder): that is refused with a clear error rather than handing out links that do not work.
    """
    with transaction(service.engine, write=False) as session:
        secret = _secret(service, session)
    urls: dict[str, str] = {}
    missing: dict[int, tuple[str, int, str]] = {}
    mismatched: list[str] = []
    for credential in credentials:
        token = download_token(secret, credential.credential_id, credential.download_link_version)
        expected = token_hash(token)
        if credential.download_token_hash is None and credential.id is not None:
            missing[credential.id] = (
                credential.certificate_number,
                credential.download_link_version,
                expected,
            )
        elif credential.download_token_hash not in (None, expected):
            mismatched.append(credential.certificate_number)
        urls[credential.certificate_number] = download_url(service, token)
    if mismatched:
        raise ServiceError(
            409,
            "link-secret-mismatch",
            t("Download links do not match the link secret"),
            t(
                "The download links of {count} certificate(s), such as {number}, were made with another secret than the one in {path}. Restore {name} from the backup of the keys folder (MICROCRED_KEYS_DIR).",
                count=len(mismatched),
                number=mismatched[0],
                path=str(service.keys.directory / FILE_NAME),
                name=FILE_NAME,
            ),
        )
    if missing:
        with transaction(service.engine) as session:
            for credential_id, (number, version, hashed) in missing.items():
                # Only if nobody regenerated the link meanwhile (a newer version has its own hash).
                result = session.execute(
                    update(Credential)
                    .where(
                        col(Credential.id) == credential_id,
                        col(Credential.download_link_version) == version,
                        col(Credential.download_token_hash).is_(None),
                    )
                    .values(download_token_hash=hashed)
                )
                regenerated_meanwhile = cast(CursorResult[Any], result).rowcount == 0
                if regenerated_meanwhile:  # the link of the version stored now
                    current = session.get(Credential, credential_id)
                    if current is not None:
                        session.refresh(current)
                        token = download_token(secret, current.credential_id, current.download_link_version)
                        urls[number] = download_url(service, token)
    return urls


def link_for(service: Service, reference: str) -> str:
    """The download URL of one certificate (by number or ``urn:uuid`` id)."""
    with transaction(service.engine, write=False) as session:
        credential = find_credential(session, reference)
    return links_for(service, [credential])[credential.certificate_number]


def _next_link(session: Session, secret: bytes, credential: Credential) -> str:
    """Move ``credential`` to its next link version (the old link stops working); its new token."""
    credential.download_link_version += 1
    token = download_token(secret, credential.credential_id, credential.download_link_version)
    credential.download_token_hash = token_hash(token)
    session.add(credential)
    return token


def regenerate_link(service: Service, reference: str, *, actor: str, reason: str) -> str:
    """Give a certificate a new download link; the old one stops working. Audited with the reason."""
    if not reason.strip():
        raise ServiceError(
            422, "reason-required", t("Reason required"), t("Say why the download link is replaced.")
        )
    with transaction(service.engine) as session:
        secret = _secret(service, session)
        credential = find_credential(session, reference, for_update=True)
        token = _next_link(session, secret, credential)
        audit.record(
            session,
            actor=actor,
            action=REGENERATE_ACTION,
            subject=credential.certificate_number,
            details={
                "credential": credential.credential_id,
                "version": credential.download_link_version,
                "reason": reason.strip()[:500],
            },
            at=service.now(),
        )
    return download_url(service, token)


def reset_links(service: Service, *, actor: str, reason: str) -> int:
    """A new link secret and a new link for every certificate; every old link stops working.

    For a lost secret file with no backup (then issuing and exporting refuse to go on), or a
    secret that leaked. One transaction updates every stored hash and writes the audit entry;
    the new secret file is written inside it, before the hashes, so a failure before the commit
    leaves the database's links as they were (rerun the command to match them to the file).
    Returns how many links were replaced. Running service processes read the new secret at
    their next use (:func:`issuer.link_secret.link_secret` notices the file changed).
    """
    if not reason.strip():
        raise ServiceError(
            422, "reason-required", t("Reason required"), t("Say why every download link is replaced.")
        )
    with transaction(service.engine) as session:
        credentials = list(session.exec(select(Credential).with_for_update()))
        try:
            secret = replace_link_secret(service.keys)
        except KeyStoreError as error:
            raise _unavailable(error) from None
        for credential in credentials:
            _next_link(session, secret, credential)
        audit.record(
            session,
            actor=actor,
            action=RESET_ACTION,
            subject="download-links",
            details={"links": len(credentials), "reason": reason.strip()[:500]},
            at=service.now(),
        )
    return len(credentials)


@dataclass(frozen=True, slots=True)
class CohortLink:
    """One row of a cohort's links export."""

    certificate_number: str
    student_number: str
    name: str
    state: str
    verify_url: str
    download_url: str


def _state(credential: Credential) -> str:
    return "revoked" if credential.revoked_at else "suspended" if credential.suspended_at else "valid"


def current_credentials(service: Service, programme_code: str) -> list[tuple[Credential, Learner]]:
    """A micro-major's current certificates (a replaced one is left out) by certificate number."""
    with transaction(service.engine, write=False) as session:
        programme = get_programme(session, programme_code)
        return list(
            session.exec(
                select(Credential, Learner)
                .where(
                    Credential.learner_id == Learner.id,
                    Credential.programme_id == programme.id,
                    col(Credential.superseded).is_(False),
                )
                .order_by(col(Credential.certificate_number))
            ).all()
        )


def cohort_links(service: Service, programme_code: str) -> list[CohortLink]:
    """Every current certificate of a micro-major with its verification and download links."""
    rows = current_credentials(service, programme_code)
    urls = links_for(service, [credential for credential, _learner in rows])
    return [
        CohortLink(
            credential.certificate_number,
            learner.student_number,
            learner.name,
            _state(credential),
            qr_text_for(credential, service.settings),
            urls[credential.certificate_number],
        )
        for credential, learner in rows
    ]


CSV_HEADER = (
    "证书编号 certificate_number",
    "学号 student_number",
    "姓名 name",
    "状态 state",
    "验证链接 verify_url",
    "下载链接 download_url",
)


#: What makes Excel and WPS read a cell as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A cell that a spreadsheet shows as text: a leading formula character gets a ``'``.

    A learner's name is registrar data from an import file; ``=HYPERLINK(…&F2)`` in it would
    otherwise run in the registrar's spreadsheet, next to the row's download link.
    """
    return "'" + text if text.startswith(_FORMULA_START) else text


def links_csv(links: Sequence[CohortLink]) -> bytes:
    """The links as CSV that Chinese Excel and WPS open as it is (UTF-8 with a byte-order mark).

    Every cell that a spreadsheet would take for a formula is written as text (:func:`_cell`).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for link in links:
        writer.writerow(
            _cell(cell)
            for cell in (
                link.certificate_number,
                link.student_number,
                link.name,
                link.state,
                link.verify_url,
                link.download_url,
            )
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
