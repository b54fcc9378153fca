"""Database engine, transactions and migrations.

SQLite (the default) and PostgreSQL behave the same where it matters:

* every write runs in one transaction (:func:`transaction`); on SQLite it begins with
  ``BEGIN IMMEDIATE`` so two writers queue instead of failing half-way with "database is
  locked", and the database runs in WAL mode with foreign keys on;
* counters (certificate numbers, the audit sequence) are incremented with one atomic
  ``UPDATE … RETURNING``, which also locks the row until commit on PostgreSQL, so concurrent
  workers never hand out the same number;
* the schema is created and upgraded only by Alembic migrations (``issuer/migrations``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlmodel import Session

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create the engine for ``url`` (creating the SQLite file's folder if needed)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 60})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy (below) issue BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def transaction(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """A session in one transaction: committed if the block succeeds, rolled back if not."""
    connection = engine.connect()
    if write and is_sqlite(engine):
        connection = connection.execution_options(sqlite_begin="IMMEDIATE")
    try:
        with connection.begin(), Session(bind=connection, expire_on_commit=False) as session:
            yield session
            session.flush()
    finally:
        connection.close()


def next_values(session: Session, name: str, count: int = 1) -> int:
    """Atomically reserve ``count`` values of counter ``name``; return the first one."""
    if count < 1:
        raise ValueError("count must be at least 1")
    session.execute(
        text("INSERT INTO counters (name, value) VALUES (:name, 0) ON CONFLICT (name) DO NOTHING"),
        {"name": name},
    )
    last = session.execute(
        text("UPDATE counters SET value = value + :count WHERE name = :name RETURNING value"),
        {"name": name, "count": count},
    ).scalar_one()
    return int(last) - count + 1


def insert_ignoring_duplicates(
    session: Session, model: type[Any], rows: list[dict[str, Any]], *, returning: str
) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING <column>`` on SQLite and PostgreSQL alike.

    Returns the statement; executing it yields the values of the rows actually inserted, so a
    caller learns which candidates were free without a read-then-write race.
    """
    table = model.__table__
    dialect = session.get_bind().dialect.name
    statement = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table).values(rows)
    return statement.on_conflict_do_nothing().returning(table.c[returning])


T = TypeVar("T")


def must(value: T | None, what: str) -> T:
    """``value``, which a database invariant (a foreign key, a row just written) guarantees."""
    if value is None:
        raise LookupError(f"{what} is missing: the database is inconsistent")
    return value


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema up to date (idempotent)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
