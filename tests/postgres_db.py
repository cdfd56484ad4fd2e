"""Database fixtures: a test taking `database_url` runs once on SQLite and once on PostgreSQL.

The PostgreSQL server is REELFORGE_TEST_POSTGRES_URL (printed by `scripts/postgres-up`, which
`./reelw test` and `.ci/run` call). Each test gets a fresh database, dropped afterwards, so
pytest-xdist workers never share one. Without the variable the PostgreSQL case is skipped, except
in CI (CI or REELFORGE_REQUIRE_POSTGRES set), where it fails: CI cannot go green without it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

SERVER_ENV = "REELFORGE_TEST_POSTGRES_URL"
HOW_TO_START = (
    "start one with `scripts/postgres-up` and set REELFORGE_TEST_POSTGRES_URL to the URL it "
    "prints (`./reelw test` does both)"
)


def postgres_required() -> bool:
    flags = (os.environ.get("REELFORGE_REQUIRE_POSTGRES", ""), os.environ.get("CI", ""))
    return any(flag.strip().lower() not in ("", "0", "false", "no") for flag in flags)


def _libpq(url: URL) -> str:
    # psycopg takes libpq URLs: no SQLAlchemy "+driver" suffix.
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _fresh_database(server_url: str) -> Iterator[str]:
    import psycopg

    server = make_url(server_url)
    name = f"reelforge_test_{uuid.uuid4().hex[:16]}"  # unique across xdist workers and runs
    try:
        admin = psycopg.connect(_libpq(server), autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:  # configured but not answering: never a skip
        pytest.fail(
            f"PostgreSQL at {server!r} does not answer: {exc}\n{HOW_TO_START}", pytrace=False
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        # The plain postgresql:// form users paste, so the store's URL handling is tested too.
        yield _libpq(server.set(database=name))
    finally:
        with psycopg.connect(_libpq(server), autocommit=True, connect_timeout=10) as admin:
            # A store the test left open still holds pooled connections: end them first.
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test alone."""
    server = os.environ.get(SERVER_ENV)
    if not server:
        message = f"PostgreSQL tests need a server: {HOW_TO_START}"
        if postgres_required():
            pytest.fail(f"{SERVER_ENV} is not set in CI. {message}", pytrace=False)
        pytest.skip(message)
    yield from _fresh_database(server)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database URL, once per engine the store supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield request.getfixturevalue("postgres_url")
