"""First and last frame images: the clip starts and ends exactly on them.

A shot that continues another is given that shot's last frame as its first; the previz shows it
as-is on frame 0 and dissolves into the animation over about half a second (and back out into the
last frame image at the end), so cuts between shots stay continuous.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps

from .camera import smoothstep

BLEND_SECONDS = 0.5


def fit_image(path: Path, size: tuple[int, int]) -> Image.Image:
    """Load an image, scale it to cover ``size`` and centre-crop the overflow (RGB)."""
    with Image.open(path) as src:
        src.draft("RGB", size)
        image = ImageOps.exif_transpose(src).convert("RGB")
    return ImageOps.fit(image, size, Image.Resampling.LANCZOS, centering=(0.5, 0.5))


def blend_frames(frames: int, fps: int) -> int:
    """How many frames each dissolve lasts: ~0.5 s, at most half the shot, at least one."""
    return max(1, min(round(BLEND_SECONDS * fps), frames // 2))


def keyframe_weights(index: int, frames: int, span: int) -> tuple[float, float]:
    """(first-frame weight, last-frame weight) of frame ``index``: 1 at the ends, 0 mid-shot."""
    first = 1.0 - smoothstep(index / span) if index < span else 0.0
    back = frames - 1 - index
    last = 1.0 - smoothstep(back / span) if back < span else 0.0
    return first, last


def apply_keyframes(
    frame: Image.Image,
    index: int,
    frames: int,
    span: int,
    first: Image.Image | None,
    last: Image.Image | None,
) -> Image.Image:
    """Dissolve ``frame`` towards the first/last images by their weights (last wins ties)."""
    wf, wl = keyframe_weights(index, frames, span)
    if first is not None and wf > 0.0:
        frame = first.copy() if wf >= 1.0 else Image.blend(frame, first, wf)
    if last is not None and wl > 0.0:
        frame = last.copy() if wl >= 1.0 else Image.blend(frame, last, wl)
    return frame
