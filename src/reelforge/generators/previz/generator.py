"""The previz generator: a fast, deterministic animatic of a shot, rendered locally."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import ClassVar

import av

from ..base import GeneratedClip, ShotRequest
from .compose import iter_images
from .encode import DEFAULT_CRF, DEFAULT_PRESET, encode
from .scene import build_scene, fail


class PrevizGenerator:
    """Renders a shot as an animatic: look from the prompt, elements as cards, the real camera
    move, a burned-in slate and subtitles. Needs no GPU and no network; same seed, same frames.

    ``preset`` and ``crf`` tune libx264 (a slower preset gives smaller files, not better previz).
    """

    name: ClassVar[str] = "previz"
    version: ClassVar[str] = "2"
    burns_dialogue: ClassVar[bool] = True
    native_audio: ClassVar[bool] = False

    def __init__(self, *, preset: str = DEFAULT_PRESET, crf: int = DEFAULT_CRF) -> None:
        self.preset = preset
        self.crf = crf

    def render(self, request: ShotRequest, out: Path) -> GeneratedClip:
        """Write ``request`` as an H.264 MP4 to ``out`` (no audio) and describe it."""
        started = time.perf_counter()
        scene = build_scene(request)
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        # Encode next to the target and rename, so a crash never leaves a truncated clip at `out`.
        partial = out.with_name(f".{out.name}.{os.getpid()}.partial.mp4")
        try:
            written = encode(
                iter_images(scene),
                partial,
                fps=request.fps,
                size=(request.width, request.height),
                preset=self.preset,
                crf=self.crf,
            )
            os.replace(partial, out)
        except (OSError, ValueError, av.error.FFmpegError) as exc:  # disk, codec, container
            partial.unlink(missing_ok=True)
            raise fail(request, f"writing {out} failed: {exc}") from exc
        except BaseException:  # a bug or an interrupt: clean up, keep the original error
            partial.unlink(missing_ok=True)
            raise
        if written != request.frames:  # pragma: no cover - the loop always yields `frames`
            raise fail(request, f"wrote {written} frames, expected {request.frames}")
        return GeneratedClip(
            path=out,
            frames=request.frames,
            has_audio=False,
            meta={
                "generator": self.name,
                "version": self.version,
                "camera": request.camera,
                "size": request.size,
                "seed": request.seed,
                "look": list(scene.matched),
                "working_size": list(scene.size),
                "codec": "h264",
                "preset": self.preset,
                "crf": self.crf,
                "render_seconds": round(time.perf_counter() - started, 3),
            },
        )
