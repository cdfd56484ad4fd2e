from pathlib import Path

from sqlalchemy import inspect

from reelforge.store import Store


def test_migrations_create_the_schema_once(tmp_path: Path) -> None:
    store = Store(home=tmp_path, url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    tables = set(inspect(store.engine).get_table_names())
    assert {"assets", "runs", "shot_renders", "generations", "cache_entries"} <= tables
    assert "alembic_version" in tables
    # Re-opening an up-to-date store is a no-op, not a second migration.
    again = Store(home=tmp_path, url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert again.runs() == []


def test_assets_are_content_addressed_and_deduplicated(tmp_path: Path) -> None:
    store = Store(home=tmp_path)
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    a.write_bytes(b"same bytes")
    b.write_bytes(b"same bytes")
    sha_a = store.assets.put(a, "video")
    sha_b = store.assets.put(b, "video")
    assert sha_a == sha_b
    stored = store.assets.path_of(sha_a)
    assert stored.read_bytes() == b"same bytes" and stored.name.startswith(sha_a)
    assert len(list((tmp_path / "assets").rglob("*.mp4"))) == 1
    assert not a.exists() and not b.exists()  # moved in, not copied


def test_cache_entry_survives_reopen_and_misses_when_file_is_gone(tmp_path: Path) -> None:
    from datetime import datetime

    store = Store(home=tmp_path)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"pixels")
    sha = store.assets.put(clip, "video")
    store.record_generation(
        generator="previz",
        version="1",
        cache_key="k" * 64,
        request={"shot_id": "a"},
        started_at=datetime(2026, 1, 1),
        seconds=0.5,
        asset_sha256=sha,
        kind="video",
    )
    reopened = Store(home=tmp_path)
    hit = reopened.cached("k" * 64)
    assert hit is not None and hit.sha256 == sha and reopened.generation_count() == 1
    hit.path.unlink()
    assert reopened.cached("k" * 64) is None


def test_run_lookup_by_prefix(tmp_path: Path) -> None:
    import pytest

    from reelforge._exceptions import RunNotFound

    store = Store(home=tmp_path)
    run_id = store.start_run(title="t", source="s.yaml", production_sha256="0" * 64)
    store.finish_run(run_id, status="done", out_path="/x.mp4")
    run, shots = store.run(run_id[:10])
    assert run.id == run_id and run.status == "done" and shots == []
    with pytest.raises(RunNotFound, match="reel runs"):
        store.run("nope")


def test_head_revision_constant_matches_the_migrations() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from reelforge.store import db

    cfg = Config()
    cfg.set_main_option("script_location", str(db._MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == db.HEAD_REVISION


def test_a_database_from_the_first_release_upgrades_with_its_data(tmp_path: Path) -> None:
    """Migration 0002 rebuilds tables that others reference (SQLite alters a column by copying
    the table): with foreign keys enforced, as the store opens SQLite, that used to fail."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from reelforge.store.db import _MIGRATIONS, HEAD_REVISION

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = create_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with old.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text(
            "INSERT INTO assets VALUES ('a' , 'video', 1, 'a.mp4', '2026-01-01', '{}');"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO generations (id, generator, generator_version, cache_key, request, "
            "started_at, seconds, status, asset_sha256, meta) VALUES (7, 'previz', 'v1', 'k', "
            "'{}', '2026-01-01', 1.0, 'done', 'a', '{}')"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO cache_entries VALUES ('k', 'video', 'a', 7, '2026-01-01')"
        ))  # fmt: skip
    old.dispose()

    store = Store(home=tmp_path, url=url)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            HEAD_REVISION
        )
        assert conn.execute(text("SELECT generation_id FROM cache_entries")).scalar() == 7
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # enforced again
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
