"""The frames of a shot's source video, for previz of an edit: previz cannot know what the model
will change, so it shows the clip that will be edited, retimed to the shot and slated as an edit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
from PIL import Image


def source_frames(path: Path, fps: int, count: int, size: tuple[int, int]) -> Iterator[Image.Image]:
    """``count`` RGB frames at ``size``: frame ``i`` shows what the source shows at ``i / fps``
    seconds; past its end the last frame holds (as the assembly holds a short clip)."""
    with av.open(str(path)) as box:
        decoded = (f for f in box.decode(box.streams.video[0]) if f.time is not None)
        current = next(decoded, None)
        if current is None:
            raise ValueError(f"{path} has no video frames")
        start = current.time or 0.0
        upcoming = next(decoded, None)
        shown: tuple[object, Image.Image] | None = None
        for index in range(count):
            t = start + index / fps
            while upcoming is not None and (upcoming.time or 0.0) <= t + 1e-6:
                current, upcoming = upcoming, next(decoded, None)
            if shown is None or shown[0] is not current:  # a held frame converts once
                shown = (current, current.to_image().convert("RGB").resize(size))
            yield shown[1].copy()  # the slate draws into it
