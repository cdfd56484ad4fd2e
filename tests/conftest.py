"""Shared fixtures. Tests never touch the user's data folder or the network."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reelforge.media.ffmpeg import run_ffmpeg

pytest_plugins = ["postgres_db"]  # database_url: SQLite and PostgreSQL


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("reelforge-home")
    monkeypatch.setenv("REELFORGE_HOME", str(home))
    monkeypatch.delenv("REELFORGE_DATABASE_URL", raising=False)
    return home


MakeClip = Callable[..., Path]


@pytest.fixture
def make_clip(tmp_path: Path) -> MakeClip:
    """A test-pattern H.264 clip (optionally with a tone) made by ffmpeg's lavfi sources."""

    def make(
        name: str,
        seconds: float,
        *,
        size: str = "320x180",
        fps: int = 24,
        tone: float | None = None,
        pattern: str = "testsrc2",
    ) -> Path:
        out = tmp_path / name
        sep = ":" if "=" in pattern else "="
        args = ["-f", "lavfi", "-i", f"{pattern}{sep}size={size}:rate={fps}:duration={seconds}"]
        if tone is not None:
            args += [
                "-f",
                "lavfi",
                "-i",
                f"sine=frequency={tone}:sample_rate=48000:duration={seconds}",
            ]
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        if tone is not None:
            args += ["-c:a", "aac"]
        run_ffmpeg([*args, str(out)], what="making a test clip")
        return out

    return make
