"""The one settings class of the issuer service.

Built inside :func:`issuer.app.create_app` (or by the CLI), never at import. Tests pass a
``Settings(...)`` directly. Every field has help text, and the README's configuration table is
checked against this class by a test. Environment names are part of the contract.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///var/microcred.sqlite3"
#: Passphrases that appear in docs and tests; refused outside development.
PLACEHOLDER_PASSPHRASES = frozenset(
    {
        "change-me-please",
        "TEST-passphrase-not-secret",
        "microcred-demo-passphrase",
        "correct horse battery staple",
    }
)
#: Largest logo, seal or signature image (the PDF renderer's own limit, ``issuer.pdf.MAX_IMAGE_BYTES``).
MAX_CERTIFICATE_IMAGE_BYTES = 2 * 1024 * 1024
_ACCENT = re.compile(r"#[0-9a-fA-F]{6}")


def image_media_type(data: bytes) -> str | None:
    """``image/png``, ``image/jpeg`` or ``image/svg+xml`` by the file's first bytes, else ``None``."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if b"<svg" in data[:4096].lower():
        return "image/svg+xml"
    return None


def _check_certificate_image(path: Path | None, what: str) -> Path | None:
    """Refuse, at start-up, an image the certificate could not print (the message names the file)."""
    if path is None or str(path) == "":
        return None
    try:
        size = path.stat().st_size if path.is_file() else -1
    except OSError as exc:
        raise ValueError(f"cannot read the {what} image {path}: {exc.strerror or exc}") from None
    if size < 0:
        raise ValueError(f"the {what} image {path} does not exist or is not a file")
    if not 0 < size <= MAX_CERTIFICATE_IMAGE_BYTES:
        raise ValueError(
            f"the {what} image {path} has {size:,} bytes; it must have 1 byte to "
            f"{MAX_CERTIFICATE_IMAGE_BYTES // (1024 * 1024)} MiB"
        )
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise ValueError(f"cannot read the {what} image {path}: {exc.strerror or exc}") from None
    if image_media_type(head) is None:
        raise ValueError(f"the {what} image {path} is not a PNG, JPEG or SVG file")
    return path


class Settings(BaseSettings):
    """microcred issuer settings (environment variables ``MICROCRED_*``)."""

    model_config = SettingsConfigDict(env_prefix="MICROCRED_", extra="ignore")

    environment: Literal["development", "production"] = Field(
        "development",
        description="development allows demo/test passphrases and plain-HTTP loopback base URLs; production refuses them.",
    )
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL of the database: an embedded SQLite file by default, or postgresql+psycopg://user@host/db.",
    )
    base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public origin of the service; the did:web identifier and the status-list URLs derive from it.",
    )
    keys_dir: Path = Field(Path("keys"), description="Folder of the encrypted issuer key files.")
    key_passphrase: str | None = Field(
        None,
        description="Passphrase that encrypts the issuer keys at rest (or use MICROCRED_KEY_PASSPHRASE_FILE).",
    )
    key_passphrase_file: Path | None = Field(
        None, description="File holding the key passphrase (for example a secret mount)."
    )
    policy: str = Field(
        "lenient",
        description="Institution policy: a preset id (ustb-2024, ccut-hit-2025, asnu-shuangqian-2025, lenient) or a YAML/JSON file.",
    )
    status_purposes: str = Field(
        "revocation,suspension",
        description="Status entries in each credential: 'revocation' alone keeps strict Open Badges 3.0 schema conformance.",
    )
    status_list_max_age: int = Field(
        300, ge=0, description="Cache-Control max-age (seconds) for served status lists."
    )
    lang: Literal["zh", "en"] = Field("zh", description="Default language of messages and pages.")
    verifier_url: str = Field(
        "",
        description="Public verify page a certificate's QR code opens (the signed summary rides in the URL fragment); default {base_url}/verify.",
    )
    certificate_language: Literal["bilingual", "zh"] = Field(
        "bilingual",
        description="How certificates are printed: bilingual (Chinese first, English beside it) or zh (Chinese only).",
    )
    certificate_logo: Path | None = Field(
        None,
        description="The university's logo, printed at the top of certificates: a PNG, JPEG or SVG file of at most 2 MiB.",
    )
    certificate_seal: Path | None = Field(
        None,
        description="The seal stamped over the issuer's name and date on certificates: a PNG (transparent looks best), JPEG or SVG file of at most 2 MiB.",
    )
    certificate_signature: Path | None = Field(
        None,
        description="A signature printed above the issuer's name on certificates: a PNG, JPEG or SVG file of at most 2 MiB.",
    )
    certificate_accent: str = Field(
        "#9b1c1c", description="Colour of the certificate's frame, title and rules, as #rrggbb."
    )
    pdf_cache_dir: Path = Field(
        Path("var/pdf-cache"),
        description="Folder where rendered PDF certificates are kept, so a download does not render the same certificate twice.",
    )
    pdf_cache_max_mb: int = Field(
        512,
        ge=0,
        description="Largest size of the PDF cache in MiB (the least recently used PDFs go first); 0 turns the cache off.",
    )

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(
                "base_url must be an http(s) origin with an optional path, e.g. https://cert.example.edu.cn"
            )
        return value.rstrip("/")

    @field_validator("verifier_url")
    @classmethod
    def _check_verifier_url(cls, value: str) -> str:
        if not value:
            return value  # filled from base_url below
        parts = urlsplit(value)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or "#" in value
            or not value.isascii()
            or any(c.isspace() for c in value)
        ):
            raise ValueError(
                "verifier_url must be an absolute http(s) URL without a fragment, e.g. https://cert.example.edu.cn/verify"
            )
        return value

    @field_validator("certificate_logo", "certificate_seal", "certificate_signature", mode="before")
    @classmethod
    def _empty_image_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("certificate_logo", "certificate_seal", "certificate_signature")
    @classmethod
    def _check_image(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return _check_certificate_image(value, str(info.field_name).removeprefix("certificate_"))

    @field_validator("certificate_accent")
    @classmethod
    def _check_accent(cls, value: str) -> str:
        if not _ACCENT.fullmatch(value):
            raise ValueError(f"certificate_accent must be a colour like #9b1c1c, not {value[:20]!r}")
        return value.lower()

    @field_validator("status_purposes")
    @classmethod
    def _check_purposes(cls, value: str) -> str:
        purposes = [p.strip() for p in value.split(",") if p.strip()]
        if not purposes or purposes[0] != "revocation" or not set(purposes) <= {"revocation", "suspension"}:
            raise ValueError("status_purposes must be 'revocation' or 'revocation,suspension'")
        return ",".join(purposes)

    @model_validator(mode="after")
    def _default_verifier_url(self) -> Settings:
        if not self.verifier_url:
            self.verifier_url = f"{self.base_url}/verify"
        return self

    @model_validator(mode="after")
    def _check_production(self) -> Settings:
        if self.environment != "production":
            return self
        if urlsplit(self.verifier_url).scheme != "https":
            raise ValueError("in production, verifier_url must be https (phones open it from the QR code)")
        parts = urlsplit(self.base_url)
        if parts.scheme != "https":
            raise ValueError("in production, base_url must be https (did:web requires it)")
        if self.key_passphrase in PLACEHOLDER_PASSPHRASES:
            raise ValueError("in production, the key passphrase must not be a documented placeholder")
        if "tests" in self.keys_dir.parts or "fixtures" in self.keys_dir.parts:
            raise ValueError("in production, keys_dir must not point at test keys")
        return self

    @property
    def purposes(self) -> tuple[str, ...]:
        return tuple(self.status_purposes.split(","))
