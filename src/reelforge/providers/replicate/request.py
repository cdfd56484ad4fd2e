"""ShotRequest → a Replicate prediction ``input`` per catalogue model (research §9). Frames go
inline as ``data:`` URIs, which Replicate accepts for any file input. Input names for the video
models follow their model pages [?: research captured model ids, not every schema]."""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ...generators.base import ShotRequest
from ..errors import InvalidRequest

PROVIDER = "replicate"
DEFAULT_MODEL = "google/veo-3.1"
IMAGE_LIMIT = 20 * 1024 * 1024
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
    data = Path(path).read_bytes()
    if len(data) > IMAGE_LIMIT:
        raise InvalidRequest(f"{path} is over 20 MB", provider=PROVIDER, model=model)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        mime = "image/png"
    elif data.startswith(b"\xff\xd8\xff"):
        mime = "image/jpeg"
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        mime = "image/webp"
    else:
        raise InvalidRequest(f"{path}: not PNG, JPEG or WebP", provider=PROVIDER, model=model)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _fit(seconds: float, allowed: list[int], model: str, warnings: list[str]) -> int:
    want = math.ceil(seconds - 1e-9)
    fits = [d for d in allowed if d >= want]
    if not fits:
        raise InvalidRequest(
            f"{seconds:.2f} s is longer than {model} can make ({allowed[-1]} s)",
            provider=PROVIDER,
            model=model,
        )
    if fits[0] != seconds:
        warnings.append(f"duration {seconds:.2f} s sent as {fits[0]} s")
    return fits[0]


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
