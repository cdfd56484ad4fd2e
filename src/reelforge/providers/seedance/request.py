"""ShotRequest → Seedance task body (research §4.2). Pure: no I/O except reading images.

Everything goes in body fields; the inline prompt flags (``--rs --dur --seed ...``) are only
documented for older models, so they are never appended. Images go as base64 data URLs with a
``role``: ``first_frame`` / ``last_frame`` from the shot's frames, ``reference_image`` from its
elements' references. Frames and references are exclusive modes on every model.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any

from ...generators.base import ShotRequest
from .._compose import spoken_prompt
from ..errors import InvalidRequest
from .models import DEFAULT_MODEL, MODELS, RESOLUTIONS, ModelSpec, nearest_ratio
from .options import SeedanceOptions

IMAGE_LIMIT = 30 * 1024 * 1024  # per image [unverified: Ark's doc copy says 30 MB]
MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}
PREFIXES = ("seedance/", "bytedance/", "byteplus/")


def _bad(message: str, model: str) -> InvalidRequest:
    return InvalidRequest(message, provider="seedance", model=model)


def model_name(request: ShotRequest, options: SeedanceOptions) -> str:
    name = options.model_name or request.model
    for prefix in PREFIXES:
        name = name.removeprefix(prefix)
    return name if "seedance" in name else DEFAULT_MODEL


def spec_for(model: str, warnings: list[str]) -> ModelSpec:
    spec = MODELS.get(model)
    if spec is None:  # a newer dated id: let the service judge, with 2.0's limits
        warnings.append(f"{model} is not in the adapter's model table; checked as Seedance 2.0")
        return MODELS[DEFAULT_MODEL]
    return spec


def image_url(path: Path, model: str) -> str:
    data = Path(path).read_bytes()
    if len(data) > IMAGE_LIMIT:
        raise _bad(f"{path} is over Seedance's 30 MB image limit", model)
    mime = MIME.get(Path(path).suffix.lower(), "image/png")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def wire_duration(spec: ModelSpec, model: str, seconds: float, warnings: list[str]) -> int:
    """Whole seconds in the model's range, rounded *up* (the editor trims)."""
    lo, hi = spec.durations
    want = max(lo, math.ceil(seconds - 1e-9))
    if want > hi:
        raise _bad(f"{seconds:.2f} s is longer than {model} can make ({hi} s)", model)
    if want != seconds:
        warnings.append(f"duration {seconds:.2f} s sent as {want} s")
    return want


def wire_resolution(spec: ModelSpec, model: str, height: int, warnings: list[str]) -> str:
    """The smallest allowed resolution covering the shot's short side, else the largest."""
    allowed = sorted(spec.resolutions, key=RESOLUTIONS.__getitem__)
    fits = [r for r in allowed if RESOLUTIONS[r] >= height]
    chosen = fits[0] if fits else allowed[-1]
    if RESOLUTIONS[chosen] != height:
        warnings.append(f"{height}p shot sent as {chosen} ({model} makes {', '.join(allowed)})")
    return chosen


def _image_item(url: str, role: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}, "role": role}


def _frames_and_refs(
    request: ShotRequest, options: SeedanceOptions, spec: ModelSpec, model: str, w: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    first = options.first_frame_url or (
        image_url(request.first_frame, model) if request.first_frame else None
    )
    last = options.last_frame_url or (
        image_url(request.last_frame, model) if request.last_frame else None
    )
    refs = [p for e in request.elements for p in e.references]
    if (first or last) and refs:
        if options.prefer == "refuse":
            raise _bad(
                "Seedance takes either first/last frames or reference images, not both "
                "(set prefer='frames' or 'references' to drop one)",
                model,
            )
        if options.prefer == "frames":
            w.append(f"{len(refs)} element reference image(s) dropped: frames win")
            refs = []
        else:
            w.append("first/last frames dropped: reference images win")
            first = last = None
    frames: list[dict[str, Any]] = []
    if last and not first:
        raise _bad("a last frame needs a first frame", model)
    if first:
        if not spec.i2v:
            raise _bad(f"{model} is text-to-video only; it takes no frames", model)
        frames.append(_image_item(first, "first_frame"))
    if last:
        if not spec.last_frame:
            raise _bad(f"{model} takes no last frame", model)
        frames.append(_image_item(last, "last_frame"))
    if len(refs) > spec.max_references:
        raise _bad(
            f"{len(refs)} reference images; {model} takes at most {spec.max_references}", model
        )
    references = [_image_item(image_url(p, model), "reference_image") for p in refs]
    return frames, references


def build_body(request: ShotRequest, options: SeedanceOptions) -> tuple[dict[str, Any], list[str]]:
    """The JSON body and adjustment warnings."""
    warnings: list[str] = []
    model = model_name(request, options)
    spec = spec_for(model, warnings)
    frames, references = _frames_and_refs(request, options, spec, model, warnings)
    if not spec.t2v and not (frames or references):
        raise _bad(f"{model} needs a first frame or reference images", model)

    audio = options.sound if options.sound is not None else bool(request.sound or request.dialogue)
    if audio and not spec.audio:
        warnings.append(f"{model} makes no sound; sound dropped")
        audio = False
    text = spoken_prompt(request, audio)
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    if not content and not frames:
        raise _bad("a prompt is required without a first frame", model)
    body: dict[str, Any] = {"model": model, "content": content + frames + references}

    if options.ratio:
        body["ratio"] = options.ratio
    elif frames:
        body["ratio"] = "adaptive"  # the first frame's own shape; no centre crop
    else:
        body["ratio"] = nearest_ratio(request.width, request.height)
    if options.duration == -1 and not spec.auto_duration:
        raise _bad(f"{model} cannot choose its own duration (-1)", model)
    if options.duration is not None and options.duration != -1:
        body["duration"] = wire_duration(spec, model, float(options.duration), warnings)
    elif options.duration == -1:
        body["duration"] = -1
    else:
        body["duration"] = wire_duration(spec, model, request.duration, warnings)
    if options.resolution:
        if options.resolution not in spec.resolutions:
            raise _bad(
                f"{model} makes {', '.join(spec.resolutions)}, not {options.resolution}", model
            )
        body["resolution"] = options.resolution
    else:
        short = min(request.width, request.height)
        body["resolution"] = wire_resolution(spec, model, short, warnings)
    if spec.audio:
        body["generate_audio"] = audio
    seed = options.seed if options.seed is not None else (request.seed or None)
    if seed is not None:
        body["seed"] = seed
        if spec.auto_duration:  # the 2.x family
            warnings.append(f"{model} may not honour seed (unverified); not repeatable")
    tier = options.service_tier or options.mode
    if options.service_tier and options.mode and options.service_tier != options.mode:
        raise _bad("mode and service_tier disagree", model)
    if tier:
        body["service_tier"] = tier
    for key in ("camera_fixed", "watermark", "execution_expires_after", "callback_url"):
        value = getattr(options, key)
        if value is not None:
            body[key] = value
    if options.return_last_frame:
        body["return_last_frame"] = True
    return body, warnings
