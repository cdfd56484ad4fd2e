"""Where reelforge keeps its data: one per-user folder, overridable by REELFORGE_HOME."""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    override = os.environ.get("REELFORGE_HOME")
    if override:
        home = Path(override).expanduser()
    else:
        from platformdirs import user_data_dir

        home = Path(user_data_dir("reelforge", appauthor=False))
    home.mkdir(parents=True, exist_ok=True)
    return home


def database_url(home: Path | None = None) -> str:
    configured = os.environ.get("REELFORGE_DATABASE_URL")
    return configured or f"sqlite:///{(home or data_home()) / 'reelforge.db'}"
