"""The store on SQLite and on PostgreSQL: the same migrations and the same behaviour on both."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from reelforge._exceptions import RunNotFound, StoreError
from reelforge.store import Store
from reelforge.store.db import HEAD_REVISION, normalise_url
from reelforge.store.tables import Asset

OpenStore = Callable[[], Store]


@pytest.fixture
def open_store(tmp_path: Path, database_url: str) -> Iterator[OpenStore]:
    """Open (or reopen) the store on this test's database; every engine is closed at the end."""
    opened: list[Store] = []

    def open_() -> Store:
        opened.append(Store(home=tmp_path / "home", url=database_url))
        return opened[-1]

    yield open_
    for store in opened:
        store.engine.dispose()


def _put(store: Store, tmp_path: Path, content: bytes, name: str = "clip.mp4") -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return store.assets.put(path, "video", {"codec": "h264", "frames": [1, 2]})


def _generation(store: Store, cache_key: str, sha: str, generator: str = "previz") -> int:
    return store.record_generation(
        generator=generator,
        version="1",
        cache_key=cache_key,
        request={"shot_id": "a", "prompt": "rain on neon, 東京"},
        started_at=datetime(2026, 1, 1, 12, 0, 0),
        seconds=0.5,
        asset_sha256=sha,
        kind="video",
        meta={"task": "t-1", "charge_micros": 125_000},
    )


def test_open_migrates_to_head(open_store: OpenStore, database_url: str) -> None:
    store = open_store()
    expected = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    assert store.engine.dialect.name == expected
    if expected == "postgresql":
        assert store.engine.driver == "psycopg"  # the plain postgresql:// URL was normalised
    tables = set(inspect(store.engine).get_table_names())
    assert {"assets", "runs", "shot_renders", "generations", "cache_entries"} <= tables
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            HEAD_REVISION
        )


def test_reopening_does_not_migrate_again(
    open_store: OpenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alembic import command

    open_store().start_run(title="t", source="s.yaml", production_sha256="0" * 64)

    def no_upgrade(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("an up-to-date database was migrated again")

    monkeypatch.setattr(command, "upgrade", no_upgrade)
    assert [run.title for run in open_store().runs()] == ["t"]


def test_runs_and_shot_renders(open_store: OpenStore, tmp_path: Path) -> None:
    store = open_store()
    sha = _put(store, tmp_path, b"pixels")
    gen_id = _generation(store, "k" * 64, sha)
    run_id = store.start_run(title="Night market", source="n.yaml", production_sha256="1" * 64)
    for position, hit in enumerate((False, True)):
        store.add_shot_render(
            run_id,
            position=position,
            shot_id=f"s{position}",
            generator="previz",
            cache_key="k" * 64,
            cache_hit=hit,
            seed=42,
            frames=48,
            seconds=1.25,
            status="done",
            asset_sha256=sha,
            generation_id=None if hit else gen_id,
        )
    store.finish_run(run_id, status="done", out_path="/out/cut.mp4", summary={"shots": 2})

    run, shots = open_store().run(run_id[:10])  # by unique prefix, from a second engine
    assert (run.id, run.status, run.summary, run.finished_at is not None) == (
        run_id,
        "done",
        {"shots": 2},
        True,
    )
    assert [(s.shot_id, s.cache_hit, s.generation_id) for s in shots] == [
        ("s0", False, gen_id),
        ("s1", True, None),
    ]
    assert [r.id for r in store.runs()] == [run_id]
    with pytest.raises(RunNotFound, match="reel runs"):
        store.run("nope")
    with pytest.raises(RunNotFound):
        store.finish_run("missing", status="failed")


def test_generations_and_the_shot_cache(open_store: OpenStore, tmp_path: Path) -> None:
    store = open_store()
    assert store.cached("k" * 64) is None and store.generation_count() == 0
    first = _put(store, tmp_path, b"take one", "a.mp4")
    second = _put(store, tmp_path, b"take two", "b.mp4")
    gen_a = _generation(store, "k" * 64, first)
    gen_b = _generation(store, "k" * 64, second)  # the same key rendered again: the entry moves
    _generation(store, "c" * 64, second, generator="assembly")
    assert gen_b > gen_a

    reopened = open_store()
    hit = reopened.cached("k" * 64)
    assert hit is not None and (hit.sha256, hit.generation_id) == (second, gen_b)
    assert hit.path.read_bytes() == b"take two"
    assert reopened.generation_count() == 2
    assert reopened.generation_count(include_assembly=True) == 3
    assert reopened.generation_info(gen_a) == (0.5, {"task": "t-1", "charge_micros": 125_000})
    assert reopened.generation_info(10_000) == (0.0, {})
    hit.path.unlink()  # deleted by hand: a miss, not an error
    assert reopened.cached("k" * 64) is None


def test_asset_rows(open_store: OpenStore, tmp_path: Path) -> None:
    store = open_store()
    sha = _put(store, tmp_path, b"same bytes", "a.mp4")
    assert _put(store, tmp_path, b"same bytes", "b.mp4") == sha  # de-duplicated
    with store.sessions() as session:
        rows = session.query(Asset).all()
        assert [(a.sha256, a.kind, a.size, a.info) for a in rows] == [
            (sha, "video", 10, {"codec": "h264", "frames": [1, 2]})
        ]
    assert open_store().assets.path_of(sha).read_bytes() == b"same bytes"
    assert store.assets.has(sha) and not store.assets.has("0" * 64)


def test_postgres_urls_are_normalised_to_psycopg() -> None:
    for url in ("postgresql://u:p@h:5432/db", "postgres://u:p@h:5432/db"):
        assert normalise_url(url).drivername == "postgresql+psycopg"
    for url in ("postgresql+psycopg2://u@h/db", "sqlite:///x.db"):
        assert normalise_url(url).drivername == url.split(":")[0]


def test_a_bad_url_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError) as caught:
        Store(url="nosuchdialect://user:hunter2@host/db")
    assert "hunter2" not in str(caught.value) and "user:***@" in str(caught.value)


def test_workers_opening_a_new_postgres_database_at_once_migrate_it_once(
    postgres_url: str, tmp_path: Path
) -> None:
    # Scale-out: several workers start together on an empty database. The advisory lock lets
    # one migrate while the others wait, then find it at head.
    start = threading.Barrier(4)
    stores: list[Store] = []
    errors: list[Exception] = []

    def worker(n: int) -> None:
        start.wait()
        try:
            stores.append(Store(home=tmp_path / str(n), url=postgres_url))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    try:
        assert errors == [] and len(stores) == 4
        with stores[0].engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            assert list(versions) == [HEAD_REVISION]
    finally:
        for store in stores:
            store.engine.dispose()
