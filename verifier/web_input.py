"""What a visitor hands the verifier, turned into one credential to verify — or a clear refusal.

Four ways in (issue #5): the QR code's text (the certificate's link, the payload after ``#``),
an uploaded file (PDF certificate, baked PNG/SVG badge, credential JSON, photo of the QR), pasted
JSON, and a JSON API body. Each ends as a :class:`Submission` (the parsed credential and where
it came from) or an :class:`InputError` carrying an HTTP status and a message in both languages,
which the API renders as RFC 9457 problem+json and the page as a friendly notice.

Nothing here is framework code, and nothing is stored or logged: the payload is personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .extract import ExtractionError, extract_credential
from .i18n import Text, t
from .jsonsafe import parse_json
from .presentation import is_presentation
from .problems import ProblemError
from .qr import QRPayloadError, decode_qr_text

#: Problem type URLs of the verifier service's own input errors (RFC 9457 ``type``).
PROBLEM_BASE = "https://w3id.org/microcred/problems#"


@dataclass(frozen=True, slots=True)
class Submission:
    """A credential to verify and how it arrived (``json``, ``qr``, ``pdf``, ``png``...)."""

    credential: Any
    source: str


@dataclass
class InputError(Exception):
    """Input that cannot be verified at all (not a failed check: nothing to check)."""

    status: int
    kind: str
    title: Text
    detail: Text
    #: A spec's problem type URL, when one defines this error; else our own ``kind``.
    type_url: str | None = None

    def __post_init__(self) -> None:
        Exception.__init__(self, str(self.detail))

    def to_problem(self, language: str, instance: str | None = None) -> dict[str, Any]:
        """The RFC 9457 problem details object, in ``language``."""
        problem: dict[str, Any] = {
            "type": self.type_url or PROBLEM_BASE + self.kind,
            "title": self.title.render(language),
            "status": self.status,
            "detail": self.detail.render(language),
        }
        if instance is not None:
            problem["instance"] = instance
        return problem


def bad_input(detail: Text, title: Text | None = None) -> InputError:
    return InputError(400, "invalid-input", title or t("Nothing to verify"), detail)


def too_large(limit: int) -> InputError:
    return InputError(
        413,
        "too-large",
        t("Too large"),
        t("The upload is larger than {limit:,} bytes, the most this verifier accepts.", limit=limit),
    )


def unsupported_media_type(media_type: str) -> InputError:
    return InputError(
        415,
        "unsupported-media-type",
        t("Unsupported media type"),
        t(
            "{media_type} is not accepted: send JSON, or a file as multipart/form-data.",
            media_type=media_type[:80],
        ),
    )


def _parse(raw: bytes | str) -> Any:
    try:
        return parse_json(raw)
    except ProblemError as exc:
        detail = exc.problem.detail
        raise bad_input(
            detail if isinstance(detail, Text) else t("The document is not valid JSON."), t("Not valid JSON")
        ) from None


def _credential(document: Any, source: str) -> Submission:
    if is_presentation(document):
        raise InputError(
            422,
            "presentation",
            t("A presentation, not a credential"),
            t("This is a verifiable presentation. Submit the credential it holds, one at a time."),
        )
    if not isinstance(document, dict):
        raise bad_input(t("A credential is a JSON object; this is not one."))
    return Submission(document, source)


def from_qr_text(text: str) -> Submission:
    """The credential carried by a QR code's text (the verify link, or the bare payload)."""
    try:
        return _credential(decode_qr_text(text.strip()), "qr")
    except QRPayloadError as exc:
        raise bad_input(exc.message, t("Not a certificate QR code")) from None


def from_text(text: str) -> Submission:
    """Pasted text: credential JSON, or the QR code's text."""
    stripped = text.strip()
    if not stripped:
        raise bad_input(t("Paste a credential, or the text of its QR code."))
    if stripped.startswith(("{", "[")):
        return _credential(_parse(stripped), "json")
    return from_qr_text(stripped)


def from_json_body(raw: bytes) -> Submission:
    """An API body: the credential itself, ``{"credential": ...}`` or ``{"qr": "..."}``."""
    if not raw.strip():
        raise bad_input(t("The request body is empty. Send a credential as JSON."))
    body = _parse(raw)
    if isinstance(body, dict) and set(body) == {"qr"}:
        if not isinstance(body["qr"], str):
            raise bad_input(t('"qr" must be the text of the QR code.'))
        return from_qr_text(body["qr"])
    if isinstance(body, dict) and set(body) == {"credential"}:
        return _credential(body["credential"], "json")
    return _credential(body, "json")


def from_upload(data: bytes, filename: str | None, content_type: str | None) -> Submission:
    """An uploaded file: PDF, PNG, SVG, JPEG or JSON, recognised by its content."""
    if not data:
        raise bad_input(t("The uploaded file is empty."))
    try:
        extracted = extract_credential(data, filename=filename, content_type=content_type)
    except ExtractionError as exc:
        raise InputError(422, "no-credential", t("No credential found"), exc.message) from None
    return _credential(extracted.credential, extracted.source)
