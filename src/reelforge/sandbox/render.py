"""Sandbox output clips: a small previz render stamped with the provider model, so a test (or a
person scrubbing a cut) can see which model and mode "made" a clip."""

from __future__ import annotations

from pathlib import Path

from ..generators.base import ShotRequest
from ..generators.previz.generator import PrevizGenerator

SIZES = {"16:9": (160, 90), "9:16": (90, 160), "1:1": (96, 96)}


def render_clip(
    out: Path,
    *,
    task_id: str,
    model: str,
    mode: str,
    prompt: str,
    seconds: int,
    fps: int,
    aspect: str,
    first_frame: Path | None = None,
    last_frame: Path | None = None,
) -> Path:
    width, height = SIZES.get(aspect, SIZES["16:9"])
    request = ShotRequest(
        shot_id=task_id,
        prompt=f"[{model} {mode}] {prompt}"[:300],
        frames=max(1, seconds * fps),
        fps=fps,
        width=width,
        height=height,
        first_frame=first_frame,
        last_frame=last_frame,
        model=model,
    )
    # ultrafast: sandbox clips are throwaway; speed matters more than size.
    PrevizGenerator(preset="ultrafast").render(request, out)
    return out
