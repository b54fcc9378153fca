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

from sqlalchemy import update
from sqlmodel import Session, col, select

from . import audit
from .db import transaction
from .errors import ServiceError
from .i18n import t
from .link_secret import link_secret
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


def download_url(service: Service, token: str) -> str:
    return service.url(f"{LINK_PREFIX}/{token}")


def assign_links(service: Service, credentials: Sequence[Credential]) -> None:
    """Give credentials about to be stored their first link (issuing calls this before the insert)."""
    secret = link_secret(service.keys)
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
    time its link is shown. A stored hash that the derivation no longer gives (the link secret
    was lost and a new one made) is replaced, so exported links always work.
    """
    secret = link_secret(service.keys)
    urls: dict[str, str] = {}
    missing: dict[int, tuple[int, str]] = {}
    for credential in credentials:
        token = download_token(secret, credential.credential_id, credential.download_link_version)
        expected = token_hash(token)
        if credential.download_token_hash != expected and credential.id is not None:
            if credential.download_token_hash is not None:
                log.warning(
                    "the download link of %s did not match the link secret; a new link was stored",
                    credential.certificate_number,
                )
            missing[credential.id] = (credential.download_link_version, expected)
            credential.download_token_hash = expected
        urls[credential.certificate_number] = download_url(service, token)
    if missing:
        with transaction(service.engine) as session:
            for credential_id, (version, hashed) in missing.items():
                # Only if nobody regenerated the link meanwhile (a newer version has its own hash).
                session.execute(
                    update(Credential)
                    .where(
                        col(Credential.id) == credential_id,
                        col(Credential.download_link_version) == version,
                    )
                    .values(download_token_hash=hashed)
                )
    return urls


def link_for(service: Service, reference: str) -> str:
    """The download URL of one certificate (by number or ``urn:uuid`` id)."""
    with transaction(service.engine, write=False) as session:
        credential = find_credential(session, reference)
    return links_for(service, [credential])[credential.certificate_number]


def regenerate_link(service: Service, reference: str, *, actor: str, reason: str) -> str:
    """Give a certificate a new download link; the old one stops working. Audited with the reason."""
    if not reason.strip():
        raise ServiceError(
            422, "reason-required", t("Reason required"), t("Say why the download link is replaced.")
        )
    secret = link_secret(service.keys)
    with transaction(service.engine) as session:
        credential = find_credential(session, reference, for_update=True)
        credential.download_link_version += 1
        token = download_token(secret, credential.credential_id, credential.download_link_version)
        credential.download_token_hash = token_hash(token)
        session.add(credential)
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


def links_csv(links: Sequence[CohortLink]) -> bytes:
    """The links as CSV that Chinese Excel and WPS open as it is (UTF-8 with a byte-order mark)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for link in links:
        writer.writerow(
            [
                link.certificate_number,
                link.student_number,
                link.name,
                link.state,
                link.verify_url,
                link.download_url,
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
