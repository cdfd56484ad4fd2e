"""The Store facade: runs, shot renders, generations, the shot cache and the asset files."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, desc, func, insert, select, update

from reelforge._exceptions import RunNotFound, StoreError
from reelforge.store.assets import AssetStore
from reelforge.store.db import open_engine, session_factory
from reelforge.store.paths import data_home, database_url
from reelforge.store.tables import CacheEntry, Generation, Run, ShotRender


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_run_id() -> str:
    # Sortable by time, unique without coordination (ULID-like: ms timestamp + randomness).
    return f"{int(time.time() * 1000):012x}{secrets.token_hex(4)}"


_GENERATIONS = cast(Table, Generation.__table__)
_CACHE = cast(Table, CacheEntry.__table__)
_INSERT_GENERATION = insert(_GENERATIONS).returning(_GENERATIONS.c.id)
_POINT_CACHE = (
    update(_CACHE)
    .where(_CACHE.c.cache_key == bindparam("key"))
    .values(asset_sha256=bindparam("asset_sha256"), generation_id=bindparam("generation_id"))
)
_INSERT_CACHE = insert(_CACHE).values(
    cache_key=bindparam("key"),
    kind=bindparam("kind"),
    asset_sha256=bindparam("asset_sha256"),
    generation_id=bindparam("generation_id"),
    created_at=bindparam("created_at"),
)


@dataclass(frozen=True)
class CachedAsset:
    sha256: str
    path: Path
    generation_id: int | None


class Store:
    def __init__(self, home: Path | None = None, url: str | None = None) -> None:
        self.home = home or data_home()
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the data folder {self.home}: {exc}") from exc
        if url is None:  # a home given explicitly keeps its own database, unless one is configured
            url = database_url() if home is None else database_url(self.home)
        self.engine = open_engine(url)
        self.sessions = session_factory(self.engine)
        self.assets = AssetStore(self.home / "assets", self.sessions)

    @property
    def cache_dir(self) -> Path:
        path = self.home / "cache"
        path.mkdir(parents=True, exist_ok=True)
        return path

    # --- the shot cache -------------------------------------------------------------------
    def cached(self, cache_key: str) -> CachedAsset | None:
        with self.sessions() as session:
            entry = session.get(CacheEntry, cache_key)
            if entry is None:
                return None
            sha, gen = entry.asset_sha256, entry.generation_id
        if not self.assets.has(sha):  # the file was deleted by hand: treat as a miss
            return None
        return CachedAsset(sha, self.assets.path_of(sha), gen)

    def record_generation(
        self,
        *,
        generator: str,
        version: str,
        cache_key: str,
        request: dict[str, Any],
        started_at: datetime,
        seconds: float,
        asset_sha256: str,
        kind: str,
        meta: dict[str, Any] | None = None,
    ) -> int:
        # Statements built once, Core not ORM: a worker records 1,000 of these in a burst when
        # a batch of provider tasks finishes together, and building them cost more than the SQL.
        now = _now()
        with self.engine.begin() as conn:
            gen_id = int(
                conn.execute(
                    _INSERT_GENERATION,
                    {
                        "generator": generator,
                        "generator_version": version,
                        "cache_key": cache_key,
                        "request": request,
                        "started_at": started_at,
                        "seconds": seconds,
                        "status": "done",
                        "asset_sha256": asset_sha256,
                        "meta": meta or {},
                    },
                ).scalar_one()
            )
            entry = {"key": cache_key, "asset_sha256": asset_sha256, "generation_id": gen_id}
            if conn.execute(_POINT_CACHE, entry).rowcount == 0:
                conn.execute(_INSERT_CACHE, {**entry, "kind": kind, "created_at": now})
        return gen_id

    def generation_info(self, generation_id: int) -> tuple[float, dict[str, Any]]:
        """Seconds taken and meta (provider task id, charge...) of one generation."""
        with self.sessions() as session:
            gen = session.get(Generation, generation_id)
            return (gen.seconds, dict(gen.meta or {})) if gen is not None else (0.0, {})

    def generation_count(self, *, include_assembly: bool = False) -> int:
        """How many shots were generated (cuts assembled too, if asked) since the store began."""
        query = select(func.count()).select_from(Generation)
        if not include_assembly:
            query = query.where(Generation.generator != "assembly")
        with self.sessions() as session:
            return int(session.scalar(query) or 0)

    # --- runs -----------------------------------------------------------------------------
    def start_run(
        self,
        *,
        title: str,
        source: str,
        production_sha256: str,
        options: dict[str, Any] | None = None,
    ) -> str:
        run_id = new_run_id()
        with self.sessions.begin() as session:
            session.add(
                Run(
                    id=run_id,
                    title=title,
                    source=source,
                    production_sha256=production_sha256,
                    status="running",
                    started_at=_now(),
                    summary={},
                    options=options or {},
                )
            )
        return run_id

    def reopen_run(self, run_id: str, options: dict[str, Any] | None = None) -> None:
        """`reel resume`: the run is running again (its error, if any, is history)."""
        with self.sessions.begin() as session:
            run = session.get(Run, run_id)
            if run is None:
                raise RunNotFound(f"no run {run_id!r}")
            run.status, run.error, run.finished_at = "running", None, None
            if options is not None:
                run.options = {**(run.options or {}), **options}

    def unfinished_runs(self) -> list[Run]:
        with self.sessions() as session:
            query = select(Run).where(Run.status == "running").order_by(Run.started_at)
            return list(session.scalars(query))

    def add_shot_render(self, run_id: str, **fields: Any) -> None:
        with self.sessions.begin() as session:
            session.add(ShotRender(run_id=run_id, **fields))

    def finish_run(self, run_id: str, *, status: str, **fields: Any) -> None:
        with self.sessions.begin() as session:
            run = session.get(Run, run_id)
            if run is None:
                raise RunNotFound(f"no run {run_id!r}")
            run.status = status
            run.finished_at = _now()
            for name, value in fields.items():
                setattr(run, name, value)

    def runs(self, limit: int = 20) -> list[Run]:
        with self.sessions() as session:
            return list(session.scalars(select(Run).order_by(desc(Run.started_at)).limit(limit)))

    def run(self, run_id: str) -> tuple[Run, list[ShotRender]]:
        with self.sessions() as session:
            run = session.get(Run, run_id)
            if run is None:
                # Accept a unique prefix, as git does for commits.
                matches = list(session.scalars(select(Run).where(Run.id.like(f"{run_id}%"))))
                if len(matches) != 1:
                    hint = "ambiguous prefix" if matches else "see `reel runs`"
                    raise RunNotFound(f"no run {run_id!r} ({hint})")
                run = matches[0]
            shots = list(
                session.scalars(
                    select(ShotRender)
                    .where(ShotRender.run_id == run.id)
                    .order_by(ShotRender.position)
                )
            )
            return run, shots
