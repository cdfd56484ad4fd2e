"""Contact-sheet thumbnails: a few frames of each shot, as inline JPEG data URIs."""

from __future__ import annotations

import base64
import io
from pathlib import Path


def frame_thumbnails(clip: Path, count: int = 3, width: int = 240) -> list[str]:
    """Evenly spaced frames of `clip` (first, middle, last...) as `data:image/jpeg` URIs."""
    import av

    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        frames = [f.to_image() for f in container.decode(stream)]
    if not frames:
        return []
    picks = sorted({round(i * (len(frames) - 1) / max(1, count - 1)) for i in range(count)})
    uris = []
    for index in picks:
        image = frames[index]
        image = image.resize((width, max(2, round(image.height * width / image.width))))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=80)
        uris.append("data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode())
    return uris
