"""Service tests run against the real databases: SQLite and the PostgreSQL on this machine.

PostgreSQL: one throw-away database per test session (``microcred_test_<random>``), migrated
once, emptied with TRUNCATE between tests. SQLite: one migrated template file, copied for each
test. Keys live in a per-test key store (scrypt cost lowered for speed; the production cost is
tested in tests/unit/test_keystore.py).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from issuer.db import make_engine, migrate
from issuer.identity import InstitutionInfo, ensure_signing_key, set_institution
from issuer.keystore import KeyStore, Passphrase
from issuer.policy import PRESETS
from issuer.service import Service
from issuer.settings import Settings

PG_ADMIN = os.environ.get("MICROCRED_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_PASSPHRASE = "TEST-passphrase-not-secret"  # noqa: S105 - test material
TABLES = (
    "audit_log, counters, api_tokens, users, credentials, issue_batches, status_allocations, status_lists, "
    "approvals, completion_records, record_imports, enrolments, learners, courses, programmes, signing_keys, "
    "colleges, institutions"
)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"microcred_test_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    url = f"{base}/{name}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "microcred.sqlite3"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield url


def make_service(
    database_url: str, keys_dir: Path, *, policy: str = "lenient", **settings: object
) -> Service:
    config = Settings(
        database_url=database_url,
        keys_dir=keys_dir,
        key_passphrase=TEST_PASSPHRASE,
        base_url=str(settings.pop("base_url", "https://cert.example.edu.cn")),
        policy=policy,
        pdf_cache_dir=settings.pop("pdf_cache_dir", keys_dir.parent / "pdf-cache"),
        **settings,  # type: ignore[arg-type]
    )
    return Service(
        config,
        make_engine(database_url),
        KeyStore(keys_dir, Passphrase(TEST_PASSPHRASE), scrypt_n=2**10),
        PRESETS[policy],
    )


@pytest.fixture
def service(database_url: str, tmp_path: Path) -> Iterator[Service]:
    svc = make_service(database_url, tmp_path / "keys")
    set_institution(
        svc,
        InstitutionInfo(
            "示范科技大学",
            "Demonstration University of Science and Technology",
            "4199999999",
            "example.edu.cn",
        ),
        actor="test",
    )
    ensure_signing_key(svc, actor="test")
    yield svc
    svc.close()
