"""Opening the store: create the engine, bring the schema to the newest migration."""

from __future__ import annotations

import os
import re
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from reelforge._exceptions import StoreError

_MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # WAL lets the CLI read runs while a render writes; busy_timeout avoids spurious "locked".
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a commit survives the
    # process being killed (kill -9 is what the job engine is built for), only a power cut
    # can lose the last moments. FULL cost an fsync per job state change.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


# Every worker process holds a pool: keep it small, as N workers x (size + overflow) must stay
# under the server's max_connections (100 by default). pre_ping survives server restarts.
_POSTGRES_OPTIONS: dict[str, Any] = {
    "pool_pre_ping": True,
    "pool_size": 5,
    "max_overflow": 5,
    "connect_args": {"connect_timeout": 10, "application_name": "reelforge"},
}
_MIGRATION_LOCK = 0x7265656C666F7267  # "reelforg": the advisory lock held while migrating


def normalise_url(url: str) -> URL:
    """Plain ``postgresql://`` and ``postgres://`` URLs (as hosts hand them out) use psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _hide_password(url: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _forget_pool_in_child(ref: weakref.ref[Engine]) -> None:
    # A forked child must not use (or close) the parent's sockets: it opens its own on demand.
    engine = ref()
    if engine is not None:
        engine.dispose(close=False)


def open_engine(url: str) -> Engine:
    try:
        parsed = normalise_url(url)
        # Another driver named explicitly (postgresql+pg8000://...) gets SQLAlchemy's defaults.
        psycopg = parsed.drivername == "postgresql+psycopg"
        engine = create_engine(parsed, **(_POSTGRES_OPTIONS if psycopg else {}))
    except Exception as exc:  # a malformed URL in REELFORGE_DATABASE_URL
        raise StoreError(f"cannot open the database {_hide_password(url)!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    ref = weakref.ref(engine)
    os.register_at_fork(after_in_child=lambda: _forget_pool_in_child(ref))
    migrate(engine)
    return engine


HEAD_REVISION = "0002"  # the newest file in migrations/versions (a test keeps them in step)


def _current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # no table yet: a new database
        return None


def migrate(engine: Engine) -> None:
    """Upgrade the schema to head. When already current, one SELECT and no Alembic import."""
    if _current_revision(engine) == HEAD_REVISION:
        return
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as conn:
            if sqlite:
                # Alembic rebuilds a SQLite table to alter a column (copy, drop, rename): with
                # foreign keys enforced, dropping a referenced table fails. The pragma only
                # takes effect outside a transaction; the keys are checked before committing.
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                conn.commit()  # ends SQLAlchemy's autobegun transaction (SQLite began none)
            try:
                with conn.begin():
                    _upgrade(conn, cfg, head, command, MigrationContext)
                    if sqlite:
                        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise StoreError(f"migration broke foreign keys: {broken[:5]}")
            finally:
                if sqlite:
                    conn.rollback()  # a failed upgrade leaves nothing half-done
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    conn.commit()
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"cannot migrate the database at {engine.url!r}: {exc}") from exc


def _upgrade(conn: Any, cfg: Any, head: str | None, command: Any, context: Any) -> None:
    if conn.dialect.name == "postgresql":
        # Workers starting at once: one migrates, the others wait here, then find it done.
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    current = context.configure(conn).get_current_revision()
    if current == head:
        return
    if current is None and inspect(conn).has_table("runs"):
        raise StoreError("database has reelforge tables but no migration record")
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
