"""The running issuer: settings, database, key store and policy, opened once.

Everything else in the service takes a :class:`Service`. It is created by
:func:`issuer.app.create_app` and by the CLI from one :class:`~issuer.settings.Settings`;
nothing reads the environment after that.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import yaml
from sqlalchemy import Engine

from .db import make_engine, migrate
from .keystore import KeyStore, Passphrase, read_passphrase
from .policy import PRESETS, InstitutionPolicy, load_policy
from .settings import Settings

log = logging.getLogger("microcred")

#: Used only when no passphrase is configured and environment=development, so that the demo
#: and a first `serve` work with zero set-up. Production refuses to start without a real one.
DEVELOPMENT_PASSPHRASE = "microcred-demo-passphrase"  # noqa: S105 - documented development-only value


def did_for_base_url(base_url: str) -> tuple[str, str]:
    """The did:web identifier for ``base_url`` and the path its DID document is served at."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    identifier = host + (f"%3A{parts.port}" if parts.port else "")
    segments = [s for s in parts.path.split("/") if s]
    if segments:
        identifier += ":" + ":".join(quote(s, safe="") for s in segments)
        return f"did:web:{identifier}", "/did.json"
    return f"did:web:{identifier}", "/.well-known/did.json"


def _load_policy(value: str) -> InstitutionPolicy:
    if value in PRESETS:
        return PRESETS[value]
    path = Path(value)
    text = path.read_text("utf-8")
    config = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    return load_policy(config)


@dataclass
class Service:
    """The issuer service's shared state."""

    settings: Settings
    engine: Engine
    keys: KeyStore
    policy: InstitutionPolicy
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @classmethod
    def open(cls, settings: Settings, *, apply_migrations: bool = True) -> Service:
        engine = make_engine(settings.database_url)
        if apply_migrations:
            migrate(engine)
        return cls(
            settings,
            engine,
            KeyStore(settings.keys_dir, _passphrase(settings)),
            _load_policy(settings.policy),
        )

    def close(self) -> None:
        self.engine.dispose()

    def now(self) -> datetime:
        return self.clock().astimezone(UTC).replace(microsecond=0)

    @property
    def did(self) -> str:
        return did_for_base_url(self.settings.base_url)[0]

    @property
    def did_document_path(self) -> str:
        return did_for_base_url(self.settings.base_url)[1]

    def url(self, path: str) -> str:
        return f"{self.settings.base_url}/{path.lstrip('/')}"

    def status_list_url(self, purpose: str, number: int) -> str:
        return self.url(f"status/{purpose}/{number}")

    def achievement_id(self, programme_code: str) -> str:
        return self.url(f"achievements/{quote(programme_code, safe='')}")

    def college_id(self, college_code: str) -> str:
        return self.url(f"colleges/{quote(college_code, safe='')}")


def _passphrase(settings: Settings) -> Passphrase | None:
    value = settings.key_passphrase
    if value is None and settings.key_passphrase_file is None and settings.environment == "development":
        log.warning("no key passphrase configured: using the development passphrase (never in production)")
        value = DEVELOPMENT_PASSPHRASE
    if value is None and settings.key_passphrase_file is None:
        return None
    return read_passphrase(value=value, file=settings.key_passphrase_file)
