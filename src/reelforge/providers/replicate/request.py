"""ShotRequest → a Replicate prediction ``input`` per catalogue model (research §9). Frames go
inline as ``data:`` URIs, which Replicate accepts for any file input. Input names for the video
models follow their model pages [?: research captured model ids, not every schema]."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ...generators.base import ShotRequest
from .._compose import image_data_uri, round_up_duration
from ..errors import InvalidRequest

PROVIDER = "replicate"
DEFAULT_MODEL = "google/veo-3.1"
IMAGE_LIMIT_MB = 20
ASPECTS = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0}


class ReplicateOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_name: str | None = None  # owner/name, or owner/name:version
    mode: str | None = None  # part of the model id on Replicate; accepted, not sent
    sound: bool | None = None
    duration: int | None = Field(default=None, ge=1)
    aspect_ratio: Literal["16:9", "9:16", "1:1"] | None = None
    resolution: str | None = None
    negative_prompt: str = ""


def data_uri(path: Path, model: str) -> str:
    return image_data_uri(path, model, provider=PROVIDER, limit_mb=IMAGE_LIMIT_MB)


def _fit(seconds: float, allowed: list[int], model: str, warnings: list[str]) -> int:
    return round_up_duration(seconds, allowed, model, warnings, provider=PROVIDER)


def _aspect(request: ShotRequest, allowed: tuple[str, ...]) -> str:
    r = request.width / request.height
    return min(allowed, key=lambda k: abs(math.log(ASPECTS[k] / r)))


def build_input(
    request: ShotRequest, options: ReplicateOptions
) -> tuple[str, dict[str, Any], list[str]]:
    """(model id, prediction input, warnings). Raises InvalidRequest before spending."""
    warnings: list[str] = []
    model = options.model_name or request.model
    if "/" not in model:
        model = DEFAULT_MODEL
    name = model.split(":", 1)[0]
    if request.last_frame and not request.first_frame:
        raise InvalidRequest("an end frame needs a first frame", provider=PROVIDER, model=model)
    seconds = float(options.duration) if options.duration else request.duration
    prompt = request.prompt
    if request.camera not in ("", "static"):
        prompt += f" Camera: {request.camera.replace('_', ' ')}."
    inp: dict[str, Any] = {"prompt": prompt}
    first = data_uri(request.first_frame, model) if request.first_frame else None
    last = data_uri(request.last_frame, model) if request.last_frame else None
    short = min(request.width, request.height)
    if name.startswith("google/veo"):
        inp["duration"] = _fit(seconds, [4, 6, 8], model, warnings)
        inp["aspect_ratio"] = options.aspect_ratio or _aspect(request, ("16:9", "9:16"))
        inp["resolution"] = options.resolution or ("720p" if short <= 720 else "1080p")
        if first:
            inp["image"] = first
        if last:
            inp["last_frame"] = last
        if options.sound is not None:
            inp["generate_audio"] = options.sound
    elif name.startswith("kwaivgi/kling"):
        inp["duration"] = _fit(seconds, list(range(3, 16)), model, warnings)
        if first:
            inp["start_image"] = first
            if last:
                inp["end_image"] = last
        else:
            inp["aspect_ratio"] = options.aspect_ratio or _aspect(request, ("16:9", "9:16", "1:1"))
        if options.sound is not None:
            inp["generate_audio"] = options.sound
    elif name.startswith("minimax/hailuo"):
        if last:
            raise InvalidRequest(
                f"{name} takes no end frame on Replicate", provider=PROVIDER, model=model
            )
        inp["duration"] = _fit(seconds, [6, 10], model, warnings)
        inp["resolution"] = options.resolution or ("768p" if short <= 768 else "1080p")
        if first:
            inp["first_frame_image"] = first
    elif name.startswith("openai/sora"):
        if last:
            raise InvalidRequest("Sora takes no end frame", provider=PROVIDER, model=model)
        inp["seconds"] = _fit(seconds, [4, 8, 12], model, warnings)
        inp["aspect_ratio"] = "portrait" if request.height > request.width else "landscape"
        inp["resolution"] = "high" if short > 720 else "standard"
        if first:
            inp["input_reference"] = first
    else:
        raise InvalidRequest(
            f"no Replicate input builder for {name!r}", provider=PROVIDER, model=model
        )
    if options.negative_prompt:
        inp["negative_prompt"] = options.negative_prompt
    if request.seed and not name.startswith("openai/"):
        inp["seed"] = request.seed
    if any(e.references for e in request.elements):
        warnings.append("element reference images are not sent on Replicate routes yet; dropped")
    if options.mode:
        warnings.append(f"mode {options.mode!r} is part of the Replicate model id; not sent")
    return model, inp, warnings
