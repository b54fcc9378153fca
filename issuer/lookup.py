"""Finding a certificate by what people have in hand: its number or its ``urn:uuid`` id."""

from __future__ import annotations

from sqlmodel import Session, select

from .errors import ServiceError
from .i18n import t
from .models import Credential


def find_credential(session: Session, reference: str, *, for_update: bool = False) -> Credential:
    """A credential by certificate number or by its ``urn:uuid:`` id."""
    statement = select(Credential).where(
        (Credential.certificate_number == reference) | (Credential.credential_id == reference)
    )
    if for_update:
        statement = statement.with_for_update()
    credential = session.exec(statement).first()
    if credential is None:
        raise ServiceError(
            404,
            "not-found",
            t("Unknown certificate"),
            t("There is no certificate {reference}.", reference=reference),
        )
    return credential
