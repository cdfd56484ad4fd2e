"""ShotRequest → Kling task body (research §3.3). Pure: no I/O except reading frame images."""

from __future__ import annotations

import base64
import math
import uuid
from pathlib import Path
from typing import Any

from ...generators.base import ShotRequest
from ..errors import InvalidRequest
from .options import KlingOptions

DEFAULT_MODEL = "kling-v3"
PROMPT_LIMIT = 2500
IMAGE_LIMIT = 10 * 1024 * 1024
# Which models generate sound, and which accept cfg_scale (v2.x rejects it).
SOUND_MODELS = {"kling-v2-6", "kling-v3"}
RANGE_DURATION_MODELS = {"kling-v3": (3, 15)}  # others take "5" or "10"

# Our camera words → Kling camera_control. Axis signs per Kling's doc: horizontal/vertical are
# translations (negative = left/down), pan/tilt rotations (negative = left/down), and zoom
# negative = longer focal length (narrower view), i.e. a zoom in.
CAMERA_CONTROL: dict[str, dict[str, Any]] = {
    "truck_left": {"type": "simple", "config": {"horizontal": -5}},
    "truck_right": {"type": "simple", "config": {"horizontal": 5}},
    "crane_up": {"type": "simple", "config": {"vertical": 5}},
    "crane_down": {"type": "simple", "config": {"vertical": -5}},
    "pan_left": {"type": "simple", "config": {"pan": -5}},
    "pan_right": {"type": "simple", "config": {"pan": 5}},
    "tilt_up": {"type": "simple", "config": {"tilt": 5}},
    "tilt_down": {"type": "simple", "config": {"tilt": -5}},
    "zoom_in": {"type": "simple", "config": {"zoom": -5}},
    "zoom_out": {"type": "simple", "config": {"zoom": 5}},
    "dolly_in": {"type": "forward_up"},
    "dolly_out": {"type": "down_back"},
    "orbit_left": {"type": "left_turn_forward"},
    "orbit_right": {"type": "right_turn_forward"},
}
SIMPLE_KEYS = ("horizontal", "vertical", "pan", "tilt", "roll", "zoom")


def model_name(request: ShotRequest, options: KlingOptions) -> str:
    name = options.model_name or request.model
    name = name.removeprefix("kling/")
    return name if name.startswith("kling-") else DEFAULT_MODEL


def wire_duration(
    model: str, seconds: float, warnings: list[str], allowed: list[int] | None = None
) -> str:
    """Kling durations are strings from a fixed set; round the shot *up* (the editor trims).
    ``allowed`` overrides the model's set (Omni's depends on the inputs, not only the model)."""
    want = math.ceil(seconds - 1e-9)
    if allowed is None and model in RANGE_DURATION_MODELS:
        lo, hi = RANGE_DURATION_MODELS[model]
        allowed = list(range(lo, hi + 1))
    elif allowed is None:
        allowed = [5, 10]
    fits = [d for d in allowed if d >= want]
    if not fits:
        raise InvalidRequest(
            f"{seconds:.2f} s is longer than {model} can make ({allowed[-1]} s)",
            provider="kling",
            model=model,
        )
    if fits[0] != seconds:
        warnings.append(f"duration {seconds:.2f} s sent as {fits[0]} s")
    return str(fits[0])


def nearest_aspect(width: int, height: int) -> str:
    ratios = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0}
    r = width / height
    return min(ratios, key=lambda k: abs(math.log(ratios[k] / r)))


def image_field(path: Path, model: str) -> str:
    """Raw base64 with no ``data:`` prefix, as Kling wants it."""
    data = Path(path).read_bytes()
    if len(data) > IMAGE_LIMIT:
        raise InvalidRequest(
            f"{path} is over Kling's 10 MB image limit", provider="kling", model=model
        )
    return base64.b64encode(data).decode("ascii")


def camera_phrase(camera: str) -> str:
    return "" if camera in ("", "static") else f" Camera: {camera.replace('_', ' ')}."


def build_body(
    request: ShotRequest, options: KlingOptions, idempotency_key: str | None
) -> tuple[str, dict[str, Any], list[str]]:
    """The route ("text2video" or "image2video"), the JSON body, and adjustment warnings."""
    warnings: list[str] = []
    model = model_name(request, options)
    route = (
        "image2video"
        if (request.first_frame or request.last_frame or options.image_url)
        else "text2video"
    )
    prompt = request.prompt
    body: dict[str, Any] = {"model_name": model, "mode": options.mode}
    if options.camera_control and request.camera not in ("", "static"):
        if request.camera not in CAMERA_CONTROL:
            raise InvalidRequest(
                f"Kling camera_control has no equivalent of {request.camera!r}",
                provider="kling",
                model=model,
            )
        body["camera_control"] = CAMERA_CONTROL[request.camera]
    else:
        prompt += camera_phrase(request.camera)

    sound = options.sound if options.sound is not None else bool(request.sound or request.dialogue)
    if sound and model not in SOUND_MODELS:
        warnings.append(f"{model} makes no sound; sound dropped")
        sound = False
    if sound and model == "kling-v2-6" and options.mode != "pro":
        raise InvalidRequest(
            "kling-v2-6 makes sound only in mode 'pro'", provider="kling", model=model
        )
    if sound:
        body["sound"] = "on"
        lines = " ".join(f'{line.speaker} says: "{line.text}"' for line in request.dialogue)
        extra = " ".join(
            p for p in (lines, f"Sound: {request.sound}." if request.sound else "") if p
        )
        prompt = f"{prompt} {extra}".strip()
    elif model in SOUND_MODELS:
        body["sound"] = "off"

    if len(prompt) > PROMPT_LIMIT:
        raise InvalidRequest(
            f"prompt is {len(prompt)} characters; Kling takes {PROMPT_LIMIT}",
            provider="kling",
            model=model,
        )
    body["prompt"] = prompt
    if options.negative_prompt:
        body["negative_prompt"] = options.negative_prompt
    if options.cfg_scale is not None:
        if model.startswith("kling-v2"):
            warnings.append(f"{model} ignores cfg_scale; dropped")
        else:
            body["cfg_scale"] = options.cfg_scale
    seconds = float(options.duration) if options.duration else request.duration
    body["duration"] = wire_duration(model, seconds, warnings)

    if route == "text2video":
        body["aspect_ratio"] = options.aspect_ratio or nearest_aspect(request.width, request.height)
    else:  # image2video takes its shape from the image
        first = options.image_url or (
            image_field(request.first_frame, model) if request.first_frame else None
        )
        tail = options.image_tail_url or (
            image_field(request.last_frame, model) if request.last_frame else None
        )
        if first:
            body["image"] = first
        if tail:
            body["image_tail"] = tail
        if options.mode != "pro" and "image_tail" in body:
            warnings.append("Kling honours an end frame mostly in mode 'pro'")

    if options.multi_prompt:
        total = sum(p.duration for p in options.multi_prompt)
        if str(total) != body["duration"]:
            raise InvalidRequest(
                f"multi_prompt durations sum to {total} s, the shot is {body['duration']} s",
                provider="kling",
                model=model,
            )
        body["multi_shot"] = True
        body["shot_type"] = "customize"
        body["multi_prompt"] = [
            {"index": i + 1, "prompt": p.prompt, "duration": str(p.duration)}
            for i, p in enumerate(options.multi_prompt)
        ]
    if request.elements and any(e.references for e in request.elements):
        warnings.append("element reference images are not sent (Kling needs element ids)")
    if request.seed:
        warnings.append("Kling has no seed; the render is not repeatable")
    if options.watermark is not None:
        body["watermark_info"] = {"enabled": options.watermark}
    if options.callback_url:
        body["callback_url"] = options.callback_url
    body["external_task_id"] = idempotency_key or f"rf-{uuid.uuid4().hex}"
    return route, body, warnings
