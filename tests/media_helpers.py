"""Shared by the provider tests: facts of a downloaded clip."""

from __future__ import annotations

from pathlib import Path

import av


def frame_count(path: Path) -> int:
    """Frames really decoded from the clip's first video stream."""
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))
