"""Who the issuer is: the institution, its colleges, its keys and its did:web DID document.

Key rotation (``rotate_key``): a new key becomes the signing key and the previous one is
*retired*: it stays in the DID document, so every credential it signed keeps verifying. A key
marked *compromised* is dropped from ``assertionMethod`` (credentials it signed stop verifying,
which is the point) and the credentials it signed are listed so they can be reissued.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from verifier.multikey import Ed25519Signer

from . import audit
from .db import must, transaction
from .errors import ServiceError, conflict, not_found
from .i18n import t
from .models import College, Credential, Institution, SigningKey
from .service import Service

ACTIVE, RETIRED, COMPROMISED = "active", "retired", "compromised"


@dataclass(frozen=True, slots=True)
class InstitutionInfo:
    name_zh: str
    name_en: str | None
    code: str
    domain: str
    url: str | None = None


def set_institution(service: Service, info: InstitutionInfo, *, actor: str) -> Institution:
    """Create or update the (single) institution record."""
    with transaction(service.engine) as session:
        institution = session.exec(select(Institution)).first()
        if institution is None:
            institution = Institution(name_zh=info.name_zh, code=info.code, domain=info.domain)
        institution.name_zh, institution.name_en = info.name_zh, info.name_en
        institution.code, institution.domain, institution.url = info.code, info.domain, info.url
        session.add(institution)
        audit.record(
            session,
            actor=actor,
            action="institution.set",
            subject=info.code,
            details={"name_zh": info.name_zh, "name_en": info.name_en, "domain": info.domain},
        )
        session.flush()
        return institution


def get_institution(session: Session) -> Institution:
    institution = session.exec(select(Institution)).first()
    if institution is None:
        raise ServiceError(
            409,
            "no-institution",
            t("Institution not set up"),
            t("Set up the institution first: microcred institution set --name-zh … --code … --domain …"),
        )
    return institution


def get_or_create_college(
    session: Session, institution: Institution, code: str, name_zh: str | None, name_en: str | None
) -> College:
    college = session.exec(select(College).where(College.code == code)).first()
    if college is not None:
        return college
    if not name_zh:
        raise ServiceError(
            422,
            "unknown-college",
            t("Unknown college"),
            t("The college {code} does not exist yet; give its name (college_name) to create it.", code=code),
        )
    college = College(
        institution_id=must(institution.id, "institution id"), code=code, name_zh=name_zh, name_en=name_en
    )
    session.add(college)
    session.flush()
    return college


# --- Keys --------------------------------------------------------------------------------------


def active_key(session: Session) -> SigningKey | None:
    return session.exec(select(SigningKey).where(SigningKey.status == ACTIVE)).first()


def _next_fragment(session: Session) -> str:
    count = session.exec(select(func.count()).select_from(SigningKey)).one()
    return f"key-{int(count) + 1}"


def _add_key(service: Service, session: Session, *, actor: str, action: str) -> SigningKey:
    stored = service.keys.generate()
    key = SigningKey(
        fingerprint=stored.fingerprint,
        fragment=_next_fragment(session),
        status=ACTIVE,
        created_at=service.now(),
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        subject=key.fragment,
        details={"publicKeyMultibase": stored.fingerprint},
    )
    return key


def ensure_signing_key(service: Service, *, actor: str = "system") -> SigningKey:
    """The active signing key, generating the first one on a fresh database."""
    with transaction(service.engine) as session:
        key = active_key(session)
        if key is None:
            key = _add_key(service, session, actor=actor, action="key.generate")
        return key


def rotate_key(service: Service, *, actor: str) -> tuple[SigningKey, SigningKey | None]:
    """Make a new key the signing key; retire the previous one (it stays in the DID document)."""
    with transaction(service.engine) as session:
        previous = active_key(session)
        if previous is not None:
            previous.status = RETIRED
            previous.retired_at = service.now()
            session.add(previous)
            session.flush()
        key = _add_key(service, session, actor=actor, action="key.rotate")
        return key, previous


def mark_compromised(
    service: Service, reference: str, *, note: str, actor: str
) -> tuple[SigningKey, list[str]]:
    """Mark a key compromised; return the certificate numbers of the credentials it signed."""
    if not note.strip():
        raise ServiceError(
            422, "reason-required", t("Reason required"), t("Say why the key is considered compromised.")
        )
    with transaction(service.engine) as session:
        key = session.exec(
            select(SigningKey).where(
                (SigningKey.fragment == reference) | (SigningKey.fingerprint == reference)
            )
        ).first()
        if key is None:
            raise not_found(t("Unknown key"), t("There is no key {key}.", key=reference))
        if key.status == COMPROMISED:
            raise conflict(
                t("Already marked"), t("The key {key} is already marked compromised.", key=key.fragment)
            )
        was_active = key.status == ACTIVE
        key.status = COMPROMISED
        key.compromised_at = service.now()
        key.compromise_note = note.strip()
        session.add(key)
        affected = list(
            session.exec(
                select(Credential.certificate_number)
                .where(Credential.key_id == key.id, col(Credential.revoked_at).is_(None))
                .order_by(col(Credential.certificate_number))
            )
        )
        audit.record(
            session,
            actor=actor,
            action="key.compromised",
            subject=key.fragment,
            details={"note": key.compromise_note, "affected_credentials": len(affected)},
        )
        if was_active:
            _add_key(service, session, actor=actor, action="key.rotate")
        return key, affected


def list_keys(service: Service) -> list[SigningKey]:
    with transaction(service.engine, write=False) as session:
        return list(session.exec(select(SigningKey).order_by(col(SigningKey.id))))


def signer_for(service: Service, key: SigningKey) -> Ed25519Signer:
    return service.keys.signer(key.fingerprint, f"{service.did}#{key.fragment}")


def did_document(service: Service, session: Session) -> dict[str, Any]:
    """The DID document served at /.well-known/did.json (full key ids, as other verifiers need)."""
    did = service.did
    keys = list(session.exec(select(SigningKey).order_by(col(SigningKey.id))))
    methods = [
        {
            "id": f"{did}#{key.fragment}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.fingerprint,
        }
        for key in keys
    ]
    usable = [f"{did}#{key.fragment}" for key in keys if key.status != COMPROMISED]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": usable,
    }
