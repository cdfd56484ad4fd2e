"""Pieces of request bodies that several providers build the same way from a shot. Pure, but
for reading a frame file; each provider's request module still decides what it sends where."""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from pathlib import Path

from ..generators.base import ShotRequest
from .errors import InvalidRequest


def spoken_prompt(request: ShotRequest, audio: bool) -> str:
    """The shot's prompt with its camera move in words and, when the model makes sound, the
    dialogue and sound cue written in (for APIs with no fields for them)."""
    prompt = request.prompt
    if request.camera not in ("", "static"):
        prompt += f" Camera: {request.camera.replace('_', ' ')}."
    if audio:
        lines = " ".join(f'{line.speaker} says: "{line.text}"' for line in request.dialogue)
        sound = f"Sound: {request.sound}." if request.sound else ""
        prompt = " ".join(p for p in (prompt, lines, sound) if p)
    return prompt.strip()


def round_up_duration(
    seconds: float, allowed: Sequence[int], model: str, warnings: list[str], *, provider: str
) -> int:
    """The shortest of ``allowed`` (ascending) that covers the shot: the editor trims the rest.
    A shot longer than the longest is refused before anything is spent."""
    want = math.ceil(seconds - 1e-9)
    fits = [d for d in allowed if d >= want]
    if not fits:
        raise InvalidRequest(
            f"{seconds:.2f} s is longer than {model} can make ({allowed[-1]} s)",
            provider=provider,
            model=model,
        )
    if fits[0] != seconds:
        warnings.append(f"duration {seconds:.2f} s sent as {fits[0]} s")
    return fits[0]


def image_data_uri(path: Path, model: str, *, provider: str, limit_mb: int) -> str:
    """A PNG, JPEG or WebP frame as a ``data:`` URI, its type read from the bytes (not the
    file name); over ``limit_mb`` or of another type is refused."""
    data = Path(path).read_bytes()
    if len(data) > limit_mb * 1024 * 1024:
        raise InvalidRequest(f"{path} is over {limit_mb} MB", provider=provider, model=model)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        mime = "image/png"
    elif data.startswith(b"\xff\xd8\xff"):
        mime = "image/jpeg"
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        mime = "image/webp"
    else:
        raise InvalidRequest(f"{path}: not PNG, JPEG or WebP", provider=provider, model=model)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
