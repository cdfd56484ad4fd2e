"""ShotRequest → Luma ``POST /generations/video`` body (research §7). Pure: no I/O.

Keyframes are ``{"type": "image", "url": ...}`` or ``{"type": "generation", "id": ...}``.
Luma takes image *URLs*; the research shows no data-URL or upload path, so a shot whose first
or last frame is only a local file is refused before anything is spent, naming the fix.
"""

from __future__ import annotations

from typing import Any

from ...generators.base import ShotRequest
from ..errors import InvalidRequest
from .models import DEFAULT_MODEL, MODELS, nearest_ratio, resolution_for, wire_duration
from .options import LumaOptions

PREFIXES = ("luma/", "lumaai/", "luma-")


def _bad(message: str, model: str) -> InvalidRequest:
    return InvalidRequest(message, provider="luma", model=model)


def model_name(request: ShotRequest, options: LumaOptions, warnings: list[str]) -> str:
    asked = options.model_name or request.model
    name = asked
    for prefix in PREFIXES:
        if name.removeprefix(prefix) in MODELS:
            name = name.removeprefix(prefix)
    if name in MODELS:
        return name
    warnings.append(f"{asked} is not a Luma Dream Machine model; used {DEFAULT_MODEL}")
    return DEFAULT_MODEL


def _keyframe(
    url: str | None, generation_id: str | None, local: Any, slot: str, model: str
) -> dict[str, str] | None:
    if url and generation_id:
        raise _bad(f"{slot}: pass an image URL or a generation id, not both", model)
    if generation_id:
        return {"type": "generation", "id": generation_id}
    if url:
        if not url.startswith(("https://", "http://")):
            raise _bad(f"{slot}_url must be an http(s) URL Luma can fetch, got {url[:40]!r}", model)
        return {"type": "image", "url": url}
    if local is not None:
        raise _bad(
            f"Luma takes keyframe images as URLs, not local files ({local}): host the image "
            f"and pass options {slot}_url=<https URL> (or {slot}_generation_id to extend a clip)",
            model,
        )
    return None


def _prompt(request: ShotRequest) -> str:
    prompt = request.prompt
    if request.camera not in ("", "static"):
        prompt += f" Camera: {request.camera.replace('_', ' ')}."
    return prompt.strip()


def build_body(request: ShotRequest, options: LumaOptions) -> tuple[dict[str, Any], list[str]]:
    """The JSON body and adjustment warnings."""
    warnings: list[str] = []
    model = model_name(request, options, warnings)
    frame0 = _keyframe(
        options.frame0_url, options.frame0_generation_id, request.first_frame, "frame0", model
    )
    frame1 = _keyframe(
        options.frame1_url, options.frame1_generation_id, request.last_frame, "frame1", model
    )
    text = _prompt(request)
    if not text and frame0 is None and frame1 is None:
        raise _bad("a prompt is required without keyframes", model)
    body: dict[str, Any] = {"model": model, "generation_type": "video"}
    if text:
        body["prompt"] = text
    if frame0 or frame1:
        body["keyframes"] = {
            k: v for k, v in (("frame0", frame0), ("frame1", frame1)) if v is not None
        }
    ratio = options.aspect_ratio or nearest_ratio(request.width, request.height)
    body["aspect_ratio"] = ratio
    if not options.aspect_ratio and ratio != _exact(request.width, request.height):
        warnings.append(f"{request.width}x{request.height} shot sent as {ratio}")
    body["resolution"] = options.resolution or resolution_for(request.width, request.height)
    duration = options.duration or wire_duration(request.duration)
    if duration is None:
        raise _bad(f"{request.duration:.2f} s is longer than Luma makes (9 s)", model)
    if int(duration[:-1]) != request.duration:
        warnings.append(f"duration {request.duration:.2f} s sent as {duration}")
    body["duration"] = duration
    if options.loop is not None:
        body["loop"] = options.loop
    if options.concepts:
        body["concepts"] = [{"key": k} for k in options.concepts]
    if options.callback_url:
        body["callback_url"] = options.callback_url
    if options.sound or (options.sound is None and (request.dialogue or request.sound)):
        warnings.append("Luma generates no audio in the video call; sound dropped")
    if request.seed:
        warnings.append("Luma takes no seed; not repeatable")
    return body, warnings


def _exact(width: int, height: int) -> str | None:
    from math import gcd

    g = gcd(width, height)
    return f"{width // g}:{height // g}" if g else None
