"""Contact-sheet thumbnails: a few frames of each shot, as inline JPEG data URIs."""

from __future__ import annotations

import base64
import io
from pathlib import Path


def frame_thumbnails(clip: Path, count: int = 3, width: int = 240) -> list[str]:
    """Evenly spaced frames of `clip` (first, middle, last...) as `data:image/jpeg` URIs.

    Seeks to each pick and decodes from the keyframe before it, so the cost does not grow with
    the clip's length.
    """
    import av

    uris = []
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        frames = stream.frames or 1
        rate = stream.average_rate or 24
        tb = stream.time_base
        picks = sorted({round(i * (frames - 1) / max(1, count - 1)) for i in range(count)})
        for index in picks:
            target = int(index / rate / tb) if tb else 0
            container.seek(target, stream=stream, backward=True)
            chosen = None
            for frame in container.decode(stream):
                chosen = frame
                if frame.pts is not None and frame.pts >= target:
                    break
            if chosen is None:
                continue
            image = chosen.to_image()
            image = image.resize((width, max(2, round(image.height * width / image.width))))
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=80)
            uris.append("data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode())
    return uris
