"""ShotRequest → a fal endpoint id and its input JSON (research §8). Pure, except reading
frames, which go inline as ``data:`` URIs (fal accepts them wherever it takes an image URL).

Families: Veo 3.1 (``/image-to-video`` and ``/first-last-frame-to-video`` sub-endpoints,
``duration`` "8s"), Kling v3 / v4 (``/text-to-video`` or ``/image-to-video``,
``start_image_url``/``end_image_url``, ``duration`` "3"…), Seedance 2.x (``image_url``,
``end_image_url``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ...generators.base import ShotRequest
from .._compose import image_data_uri, round_up_duration
from ..errors import InvalidRequest

PROVIDER = "fal"
DEFAULT_MODEL = "fal-ai/veo3.1/fast"
IMAGE_LIMIT_MB = 20
ASPECTS = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0}


class FalOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_name: str | None = None  # the catalogue route's model (endpoint family)
    mode: str | None = None  # std/pro live in the endpoint id; accepted, not sent
    sound: bool | None = None  # generate_audio where the model has it
    duration: int | None = Field(default=None, ge=1)
    aspect_ratio: Literal["16:9", "9:16", "1:1"] | None = None
    resolution: str | None = None
    negative_prompt: str = ""


def family(model: str) -> str:
    if model.startswith("fal-ai/veo3"):
        return "veo"
    if model.startswith(("fal-ai/kling-video/", "kling/")):
        return "kling"
    if model.startswith("bytedance/seedance"):
        return "seedance"
    raise InvalidRequest(f"no fal request builder for {model!r}", provider=PROVIDER, model=model)


def data_uri(path: Path, model: str) -> str:
    return image_data_uri(path, model, provider=PROVIDER, limit_mb=IMAGE_LIMIT_MB)


def nearest_aspect(width: int, height: int, allowed: tuple[str, ...]) -> str:
    r = width / height
    return min(allowed, key=lambda k: abs(math.log(ASPECTS[k] / r)))


def _fit(seconds: float, allowed: list[int], model: str, warnings: list[str]) -> int:
    return round_up_duration(seconds, allowed, model, warnings, provider=PROVIDER)


def prompt_text(request: ShotRequest) -> str:
    prompt = request.prompt
    if request.camera not in ("", "static"):
        prompt += f" Camera: {request.camera.replace('_', ' ')}."
    lines = " ".join(f'{line.speaker} says: "{line.text}"' for line in request.dialogue)
    return f"{prompt} {lines}".strip()


def build_body(
    request: ShotRequest, options: FalOptions
) -> tuple[str, str, dict[str, Any], list[str]]:
    """(catalogue model, endpoint id, input JSON, warnings); InvalidRequest before spending."""
    warnings: list[str] = []
    model = options.model_name or request.model
    if "/" not in model:
        model = DEFAULT_MODEL
    fam = family(model)
    if request.last_frame and not request.first_frame:
        raise InvalidRequest(
            "an end frame needs a first frame on fal", provider=PROVIDER, model=model
        )
    seconds = float(options.duration) if options.duration else request.duration
    body: dict[str, Any] = {"prompt": prompt_text(request)}
    first = data_uri(request.first_frame, model) if request.first_frame else None
    last = data_uri(request.last_frame, model) if request.last_frame else None
    if options.negative_prompt:
        body["negative_prompt"] = options.negative_prompt
    if fam == "veo":
        endpoint = model
        if first and last:
            endpoint = f"{model}/first-last-frame-to-video"
            body["first_frame_url"], body["last_frame_url"] = first, last
        elif first:
            endpoint = f"{model}/image-to-video"
            body["image_url"] = first
        body["duration"] = f"{_fit(seconds, [4, 6, 8], model, warnings)}s"
        body["aspect_ratio"] = options.aspect_ratio or nearest_aspect(
            request.width, request.height, ("16:9", "9:16")
        )
        short = min(request.width, request.height)
        body["resolution"] = options.resolution or (
            "720p" if short <= 720 else "1080p" if short <= 1080 else "4k"
        )
        if options.sound is not None:
            body["generate_audio"] = options.sound
        if request.seed:
            body["seed"] = request.seed
    elif fam == "kling":
        top = 30 if model.startswith("kling/v4") else 15
        endpoint = f"{model}/{'image-to-video' if first else 'text-to-video'}"
        body["duration"] = str(_fit(seconds, list(range(3, top + 1)), model, warnings))
        if first:
            body["start_image_url"] = first
            if last:
                body["end_image_url"] = last
        else:
            body["aspect_ratio"] = options.aspect_ratio or nearest_aspect(
                request.width, request.height, ("16:9", "9:16", "1:1")
            )
        if options.sound is not None and not model.startswith("kling/v4"):
            body["generate_audio"] = options.sound
        if model.startswith("kling/v4") and options.resolution:
            body["resolution"] = options.resolution
    else:  # seedance
        if model.endswith("/image-to-video") or model.endswith("/text-to-video"):
            endpoint = model
        else:
            endpoint = f"{model}/{'image-to-video' if first else 'text-to-video'}"
        if endpoint.endswith("/image-to-video") and not first:
            raise InvalidRequest(f"{endpoint} needs a first frame", provider=PROVIDER, model=model)
        top = 30 if "2.5" in model else 15
        body["duration"] = str(_fit(seconds, list(range(4, top + 1)), model, warnings))
        if first:
            body["image_url"] = first
            if last:
                body["end_image_url"] = last
        body["aspect_ratio"] = options.aspect_ratio or nearest_aspect(
            request.width, request.height, ("16:9", "9:16", "1:1")
        )
        if options.resolution:
            body["resolution"] = options.resolution
        if options.sound is not None:
            body["generate_audio"] = options.sound
        if request.seed:
            body["seed"] = request.seed
    if request.elements and any(e.references for e in request.elements):
        warnings.append("element reference images are not sent on fal routes yet; dropped")
    if options.mode:
        warnings.append(f"mode {options.mode!r} is part of the fal endpoint id; not sent")
    return model, endpoint, body, warnings
