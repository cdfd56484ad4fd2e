"""ShotRequest → Veo ``predictLongRunning`` body (research §1.2). Pure: no I/O except reading
frame and reference images.

Shape: ``{"instances": [{prompt, image, lastFrame, referenceImages}], "parameters": {...}}`` —
the frames and references live in the *instance*, every other setting in ``parameters``.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any

from ...generators.base import ShotRequest
from .._compose import round_up_duration, spoken_prompt
from ..errors import InvalidRequest
from .options import VeoOptions

PROVIDER = "google"
DEFAULT_MODEL = "veo-3.1-generate-preview"
IMAGE_LIMIT = 20 * 1024 * 1024  # inline request bodies stay well under Google's 20 MB
REFERENCE_LIMIT = 3
ASPECTS = {"16:9": 16 / 9, "9:16": 9 / 16}
# Durations per model family; Veo 3.x takes 4/6/8 (research §1.2), Veo 2 takes 5 to 8.
DURATIONS: dict[str, tuple[int, ...]] = {"veo-2": (5, 6, 7, 8)}
DEFAULT_DURATIONS = (4, 6, 8)
# Models that generate audio (always, on the Gemini API).
AUDIO_PREFIXES = ("veo-3",)


def model_name(request: ShotRequest, options: VeoOptions) -> str:
    name = (options.model_name or request.model).removeprefix("google/")
    return name if name.startswith("veo-") else DEFAULT_MODEL


def allowed_durations(model: str) -> tuple[int, ...]:
    for prefix, values in DURATIONS.items():
        if model.startswith(prefix):
            return values
    return DEFAULT_DURATIONS


def wire_duration(model: str, seconds: float, warnings: list[str]) -> int:
    """Round the shot *up* to a duration Veo makes (the editor trims); an int on the wire."""
    allowed = allowed_durations(model)
    return round_up_duration(seconds, allowed, model, warnings, provider=PROVIDER)


def nearest_aspect(width: int, height: int) -> str:
    r = width / height
    return min(ASPECTS, key=lambda k: abs(math.log(ASPECTS[k] / r)))


def resolution_for(width: int, height: int) -> str:
    """From the short side: up to 720 → 720p, up to 1080 → 1080p, above → 4k."""
    short = min(width, height)
    if short <= 720:
        return "720p"
    return "1080p" if short <= 1080 else "4k"


def mime_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise InvalidRequest("image is not PNG, JPEG or WebP", provider=PROVIDER)


def image_field(path: Path, model: str) -> dict[str, str]:
    """Inline bytes as Veo wants them: ``{"bytesBase64Encoded", "mimeType"}``."""
    data = Path(path).read_bytes()
    if len(data) > IMAGE_LIMIT:
        raise InvalidRequest(f"{path} is over 20 MB", provider=PROVIDER, model=model)
    try:
        mime = mime_type(data)
    except InvalidRequest as exc:
        raise InvalidRequest(f"{path}: {exc.message}", provider=PROVIDER, model=model) from exc
    return {"bytesBase64Encoded": base64.b64encode(data).decode("ascii"), "mimeType": mime}


def compose_prompt(request: ShotRequest) -> str:
    """Veo has no camera or dialogue parameters: both are written into the prompt."""
    return spoken_prompt(request, audio=True)


def build_body(request: ShotRequest, options: VeoOptions) -> tuple[str, dict[str, Any], list[str]]:
    """The model id, the JSON body and adjustment warnings. Raises InvalidRequest early."""
    warnings: list[str] = []
    model = model_name(request, options)
    instance: dict[str, Any] = {"prompt": compose_prompt(request)}
    params: dict[str, Any] = {"sampleCount": 1}

    if request.last_frame and not request.first_frame:
        raise InvalidRequest(
            "Veo takes an end frame (lastFrame) only with a first frame",
            provider=PROVIDER,
            model=model,
        )
    if request.first_frame:
        instance["image"] = image_field(request.first_frame, model)
    if request.last_frame:
        instance["lastFrame"] = image_field(request.last_frame, model)

    refs = [p for e in request.elements for p in e.references]
    if refs and "image" in instance:
        warnings.append("element reference images dropped: Veo refuses them with frames")
    elif refs:
        if len(refs) > REFERENCE_LIMIT:
            warnings.append(
                f"{len(refs)} reference images; Veo takes {REFERENCE_LIMIT}, rest dropped"
            )
        instance["referenceImages"] = [
            {"image": image_field(p, model), "referenceType": options.reference_type}
            for p in refs[:REFERENCE_LIMIT]
        ]

    seconds = float(options.duration) if options.duration else request.duration
    params["durationSeconds"] = wire_duration(model, seconds, warnings)
    params["aspectRatio"] = options.aspect_ratio or nearest_aspect(request.width, request.height)
    params["resolution"] = options.resolution or resolution_for(request.width, request.height)
    if options.negative_prompt:
        params["negativePrompt"] = options.negative_prompt
    if options.person_generation:
        params["personGeneration"] = options.person_generation
    if options.enhance_prompt is not None:
        params["enhancePrompt"] = options.enhance_prompt

    if options.mode:
        warnings.append(f"Veo has no mode; {options.mode!r} ignored")
    if options.sound is False and model.startswith(AUDIO_PREFIXES):
        warnings.append("the Gemini API always generates audio with Veo 3.x; sound stays on")
    if request.seed:
        warnings.append("the Gemini API takes no seed (Vertex only); the render is not repeatable")
    return model, {"instances": [instance], "parameters": params}, warnings
