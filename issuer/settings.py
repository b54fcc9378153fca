"""The one settings class of the issuer service.

Built inside :func:`issuer.app.create_app` (or by the CLI), never at import. Tests pass a
``Settings(...)`` directly. Every field has help text, and the README's configuration table is
checked against this class by a test. Environment names are part of the contract.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
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
