"""ShotRequest → OpenAI videos create form (research §2.2). Pure apart from reading and resizing
the first frame: the contract requires ``input_reference`` to be exactly the output size, so we
cover-resize and centre-crop it here rather than let the server reject it."""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path
from typing import Any

from ...generators.base import ShotRequest
from ..errors import InvalidRequest
from .options import OpenAIVideosOptions

DEFAULT_MODEL = "sora-2"
PROMPT_LIMIT = 32000
SORA_SECONDS = (4, 8, 12)
SORA_SIZES = ("720x1280", "1280x720")
SORA_PRO_SIZES = (*SORA_SIZES, "1024x1792", "1792x1024")
# Relays serving grok-imagine-video under this shape take 1-15 s (providers-2 §1.9); the sizes
# each relay accepts are unverified, so the 480p/720p landscape, portrait and square are offered.
GROK_SECONDS = tuple(range(1, 16))
GROK_SIZES = ("1280x720", "720x1280", "720x720", "848x480", "480x848", "480x480")


def allowed_seconds(model: str) -> tuple[int, ...]:
    return GROK_SECONDS if model.startswith("grok-imagine") else SORA_SECONDS


def allowed_sizes(model: str) -> tuple[str, ...]:
    if model.startswith("grok-imagine"):
        return GROK_SIZES
    return SORA_PRO_SIZES if model.startswith("sora-2-pro") else SORA_SIZES


def model_name(request: ShotRequest, options: OpenAIVideosOptions) -> str:
    name = (options.model_name or request.model).removeprefix("openai/")
    return DEFAULT_MODEL if name in ("", "previz") else name


def wire_seconds(model: str, seconds: float, warnings: list[str]) -> str:
    """Durations are strings from a fixed set; round the shot *up* (the editor trims)."""
    allowed = allowed_seconds(model)
    want = math.ceil(seconds - 1e-9)
    fits = [d for d in allowed if d >= want]
    if not fits:
        raise InvalidRequest(
            f"{seconds:.2f} s is longer than {model} can make ({allowed[-1]} s)",
            provider="openai",
            model=model,
        )
    if fits[0] != seconds:
        warnings.append(f"duration {seconds:.2f} s sent as {fits[0]} s")
    return str(fits[0])


def parse_size(size: str) -> tuple[int, int]:
    w, _, h = size.partition("x")
    return int(w), int(h)


def nearest_size(model: str, width: int, height: int, warnings: list[str]) -> str:
    """The allowed size closest in aspect (within 2% counts as equal: 848x480 is 16:9), then
    in pixel count, then landscape."""
    r = width / height

    def distance(size: str) -> tuple[int, float, bool]:
        w, h = parse_size(size)
        aspect = math.floor(abs(math.log((w / h) / r)) / 0.02)
        return (aspect, abs(math.log((w * h) / (width * height))), w < h)

    best = min(allowed_sizes(model), key=distance)
    if best != f"{width}x{height}":
        warnings.append(f"{width}x{height} sent as size {best}")
    return best


def fit_image(path: Path, size: str) -> bytes:
    """The frame scaled to cover ``size`` and centre-cropped to exactly it, as PNG bytes."""
    from PIL import Image, ImageOps

    w, h = parse_size(size)
    with Image.open(path) as img:
        fitted = ImageOps.fit(img.convert("RGB"), (w, h), method=Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    fitted.save(buf, format="PNG")
    return buf.getvalue()


def build_form(
    request: ShotRequest, options: OpenAIVideosOptions
) -> tuple[str, dict[str, Any], list[str]]:
    """The route ("create" or "remix"), a JSON-safe body and adjustment warnings. A frame is
    carried base64-encoded under ``input_reference`` and sent as a file part at submit."""
    warnings: list[str] = []
    model = model_name(request, options)
    prompt = request.prompt
    if request.camera not in ("", "static"):
        prompt += f" Camera: {request.camera.replace('_', ' ')}."
    lines = " ".join(f'{line.speaker} says: "{line.text}"' for line in request.dialogue)
    extra = " ".join(p for p in (lines, f"Sound: {request.sound}." if request.sound else "") if p)
    prompt = f"{prompt} {extra}".strip()
    if len(prompt) > PROMPT_LIMIT:
        raise InvalidRequest(
            f"prompt is {len(prompt)} characters; the limit is {PROMPT_LIMIT}",
            provider="openai",
            model=model,
        )
    if options.mode:
        warnings.append(f"the videos API has no mode; {options.mode!r} dropped")
    if options.sound is False:
        warnings.append("the videos API always generates audio; strip it in the edit")
    if request.seed:
        warnings.append("the videos API has no seed; the render is not repeatable")
    if request.last_frame:
        warnings.append("the videos API takes no last frame; dropped")
    if request.elements and any(e.references for e in request.elements):
        warnings.append("element reference images are not sent (no reference-image input)")

    if options.remix_video_id:
        if request.first_frame:
            warnings.append("a remix takes no input image; first frame dropped")
        return "remix", {"prompt": prompt}, warnings

    seconds = float(options.seconds) if options.seconds else request.duration
    body: dict[str, Any] = {
        "prompt": prompt,
        "model": model,
        "seconds": wire_seconds(model, seconds, warnings),
    }
    if options.size:
        if options.size not in allowed_sizes(model):
            warnings.append(f"size {options.size} is not known for {model}; sent as asked")
        body["size"] = options.size
    else:
        body["size"] = nearest_size(model, request.width, request.height, warnings)
    if request.first_frame:
        data = fit_image(request.first_frame, body["size"])
        body["input_reference"] = {
            "filename": f"{Path(request.first_frame).stem}.png",
            "content_type": "image/png",
            "base64": base64.b64encode(data).decode("ascii"),
        }
    return "create", body, warnings
