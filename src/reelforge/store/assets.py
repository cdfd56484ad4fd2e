"""Content-addressed asset files: ``assets/ab/abcdef….ext``, one copy per distinct content."""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session, sessionmaker

from reelforge.store.tables import Asset


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class AssetStore:
    def __init__(self, root: Path, sessions: sessionmaker[Session]) -> None:
        self.root = root
        self.sessions = sessions
        root.mkdir(parents=True, exist_ok=True)

    def path_of(self, sha256: str) -> Path:
        with self.sessions() as session:
            asset = session.get(Asset, sha256)
            if asset is None:
                raise KeyError(sha256)
            return self.root / asset.relpath

    def has(self, sha256: str) -> bool:
        with self.sessions() as session:
            asset = session.get(Asset, sha256)
            return asset is not None and (self.root / asset.relpath).is_file()

    def put(self, path: Path, kind: str, info: dict[str, Any] | None = None) -> str:
        """Move `path` into the store (or drop it if the content is already there)."""
        sha = sha256_file(path)
        rel = f"{sha[:2]}/{sha}{path.suffix.lower()}"
        dest = self.root / rel
        if dest.is_file():
            path.unlink(missing_ok=True)
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_suffix(dest.suffix + ".part")
            shutil.move(str(path), tmp)
            os.replace(tmp, dest)  # atomic: a crash never leaves a half file under its hash
        table = cast(Table, Asset.__table__)  # Core, not ORM objects: cheaper in bursts
        with self.sessions.kw["bind"].begin() as conn:
            if conn.execute(select(table.c.sha256).where(table.c.sha256 == sha)).first() is None:
                conn.execute(
                    insert(table).values(
                        sha256=sha,
                        kind=kind,
                        size=dest.stat().st_size,
                        relpath=rel,
                        created_at=datetime.now(UTC).replace(tzinfo=None),
                        info=info or {},
                    )
                )
        return sha

    def copy_out(self, sha256: str, dest: Path) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        src = self.path_of(sha256)
        tmp = dest.with_name(dest.name + ".part")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
        return dest
