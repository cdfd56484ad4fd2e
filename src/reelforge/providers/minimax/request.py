"""ShotRequest → MiniMax request bodies (research §6.1 v1 Hailuo, §6.2 v2 MiniMax-H3). Pure: no
I/O except reading images, which go as base64 data URLs unless URLs are given in the options.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any

from ...generators.base import ShotRequest
from ..errors import InvalidRequest
from .models import (
    V1_DEFAULT,
    V1_MODELS,
    V1_RESOLUTIONS,
    V2_DEFAULT,
    V2_MODELS,
    H3Spec,
    HailuoSpec,
    nearest_ratio,
)
from .options import MiniMaxOptions

PROMPT_LIMIT = 2000
IMAGE_LIMIT = 20 * 1024 * 1024  # [?] MiniMax's doc copy says 20 MB per image
MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}
PREFIXES = ("minimax/", "minimax-api/")
# Our camera words → Hailuo's bracketed camera commands (the prompt, not a parameter).
CAMERA_WORDS = {
    "dolly_in": "Push in",
    "dolly_out": "Pull out",
    "pan_left": "Pan left",
    "pan_right": "Pan right",
    "tilt_up": "Tilt up",
    "tilt_down": "Tilt down",
    "truck_left": "Truck left",
    "truck_right": "Truck right",
    "crane_up": "Pedestal up",
    "crane_down": "Pedestal down",
    "zoom_in": "Zoom in",
    "zoom_out": "Zoom out",
    "handheld": "Shake",
    "orbit_left": "Truck left,Pan right",
    "orbit_right": "Truck right,Pan left",
}


def bad(message: str, model: str) -> InvalidRequest:
    return InvalidRequest(message, provider="minimax", model=model)


def model_name(request: ShotRequest, options: MiniMaxOptions) -> str:
    name = options.model_name or request.model
    for prefix in PREFIXES:
        name = name.removeprefix(prefix)
    return name if name in V1_MODELS or name in V2_MODELS else ""


def image_url(path: Path, model: str) -> str:
    data = Path(path).read_bytes()
    if len(data) > IMAGE_LIMIT:
        raise bad(f"{path} is over MiniMax's 20 MB image limit", model)
    mime = MIME.get(Path(path).suffix.lower(), "image/png")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _prompt(request: ShotRequest, *, camera: bool, audio: bool) -> str:
    prompt = request.prompt.strip()
    if camera and request.camera in CAMERA_WORDS:
        prompt += f" [{CAMERA_WORDS[request.camera]}]"
    elif request.camera not in ("", "static"):
        prompt += f" Camera: {request.camera.replace('_', ' ')}."
    if audio:
        lines = " ".join(f'{line.speaker} says: "{line.text}"' for line in request.dialogue)
        sound = f"Sound: {request.sound}." if request.sound else ""
        prompt = " ".join(p for p in (prompt, lines, sound) if p)
    return prompt.strip()


def _common_warnings(options: MiniMaxOptions, warnings: list[str]) -> None:
    if options.mode:
        warnings.append(f"MiniMax has no mode; {options.mode!r} ignored")


# -- v1 -------------------------------------------------------------------------------------


def v1_resolution_and_duration(
    spec: HailuoSpec, model: str, short: int, seconds: float, options: MiniMaxOptions, w: list[str]
) -> tuple[str, int]:
    """The smallest resolution covering the shot's short side that can make the (rounded-up)
    duration; a larger duration wins over a larger resolution (the editor cannot add time)."""
    want = options.duration or max(1, math.ceil(seconds - 1e-9))
    by_size = sorted(spec.resolutions, key=V1_RESOLUTIONS.__getitem__)
    if options.resolution:
        label = options.resolution.upper()
        if label not in spec.resolutions:
            raise bad(f"{model} makes {', '.join(by_size)}, not {options.resolution}", model)
        by_size = [label]
    fits = [r for r in by_size if V1_RESOLUTIONS[r] >= short] or [by_size[-1]]
    order = fits + [r for r in reversed(by_size) if r not in fits]
    for label in order:
        allowed = [d for d in spec.resolutions[label] if d >= want]
        if allowed:
            if label != order[0]:
                w.append(f"{order[0]} cannot make {want} s on {model}; sent at {label}")
            elif V1_RESOLUTIONS[label] != short:
                w.append(f"{short}p shot sent as {label}")
            if allowed[0] != seconds:
                w.append(f"duration {seconds:.2f} s sent as {allowed[0]} s")
            return label, allowed[0]
    longest = max(d for ds in spec.resolutions.values() for d in ds)
    raise bad(f"{want} s is longer than {model} can make ({longest} s)", model)


def build_v1_body(
    request: ShotRequest, options: MiniMaxOptions, model: str
) -> tuple[dict[str, Any], list[str]]:
    warnings: list[str] = []
    _common_warnings(options, warnings)
    spec = V1_MODELS.get(model) or V1_MODELS[V1_DEFAULT]
    if options.sound:
        warnings.append(f"{model} makes no sound; sound dropped")
    first = options.first_frame_url or (
        image_url(request.first_frame, model) if request.first_frame else None
    )
    last = options.last_frame_url or (
        image_url(request.last_frame, model) if request.last_frame else None
    )
    refs = [p for e in request.elements for p in e.references]
    if last and not first:
        raise bad("a last frame needs a first frame", model)
    if first and not spec.i2v:
        raise bad(f"{model} is text-to-video only; it takes no frames", model)
    if last and not spec.last_frame:
        raise bad(f"{model} takes no last frame (last_frame_image: Hailuo-02 only [?])", model)
    if not first and not spec.t2v:
        raise bad(f"{model} needs a first frame", model)
    text = _prompt(request, camera=True, audio=False)
    if len(text) > PROMPT_LIMIT:
        raise bad(f"prompt is {len(text)} characters; MiniMax takes at most 2000", model)
    if not text and not first:
        raise bad("a prompt is required without a first frame", model)
    short = min(request.width, request.height)
    resolution, duration = v1_resolution_and_duration(
        spec, model, short, request.duration, options, warnings
    )
    body: dict[str, Any] = {"model": model, "prompt": text, "duration": duration}
    body["resolution"] = resolution
    if first:
        body["first_frame_image"] = first
    elif request.width < request.height or request.width / request.height < 1.5:
        warnings.append("Hailuo text-to-video makes 16:9; the assembly conforms the shot")
    if last:
        body["last_frame_image"] = last
    if spec.subject_reference:
        if len(refs) > 1:
            raise bad(f"{model} takes one subject reference image, not {len(refs)}", model)
        if refs:
            # Shape per ComfyUI's schema ({image, mask}); MiniMax's own page may differ [?].
            body["subject_reference"] = [{"image": image_url(refs[0], model)}]
    elif refs:
        warnings.append(f"{len(refs)} element reference image(s) dropped: {model} takes none")
    if options.prompt_optimizer is not None:
        body["prompt_optimizer"] = options.prompt_optimizer
    if options.callback_url:
        body["callback_url"] = options.callback_url
    for key in ("ratio", "aigc_watermark"):
        if getattr(options, key) is not None:
            warnings.append(f"{key} is a v2 (MiniMax-H3) field; ignored for {model}")
    return body, warnings


# -- v2 -------------------------------------------------------------------------------------


def _item(kind: str, url: str, role: str) -> dict[str, Any]:
    return {"type": kind, kind: {"url": url}, "role": role}


def _v2_media(
    request: ShotRequest, options: MiniMaxOptions, spec: H3Spec, model: str, w: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    first = options.first_frame_url or (
        image_url(request.first_frame, model) if request.first_frame else None
    )
    last = options.last_frame_url or (
        image_url(request.last_frame, model) if request.last_frame else None
    )
    images = [p for e in request.elements for p in e.references]
    videos, audios = list(options.reference_video_urls), list(options.reference_audio_urls)
    has_refs = bool(images or videos or audios)
    if (first or last) and has_refs:
        if options.prefer == "refuse":
            raise bad(
                "MiniMax-H3 takes either first/last frames or references, not both "
                "(set prefer='frames' or 'references' to drop one)",
                model,
            )
        if options.prefer == "frames":
            w.append("reference images/videos/audios dropped: frames win")
            images, videos, audios = [], [], []
        else:
            w.append("first/last frames dropped: references win")
            first = last = None
    if last and not first:
        raise bad("a last frame needs a first frame", model)
    frames = [
        _item("image_url", u, r) for u, r in ((first, "first_frame"), (last, "last_frame")) if u
    ]
    for what, items, limit in (
        ("reference images", images, spec.max_reference_images),
        ("reference videos", videos, spec.max_reference_videos),
        ("reference audios", audios, spec.max_reference_audios),
    ):
        if len(items) > limit:
            raise bad(f"{len(items)} {what}; {model} takes at most {limit}", model)
    if audios and not (images or videos):
        raise bad("reference audio needs a reference image or video", model)
    refs = [_item("image_url", image_url(p, model), "reference_image") for p in images]
    refs += [_item("video_url", u, "reference_video") for u in videos]
    refs += [_item("audio_url", u, "reference_audio") for u in audios]
    return frames, refs


def build_v2_body(
    request: ShotRequest, options: MiniMaxOptions, model: str
) -> tuple[dict[str, Any], list[str]]:
    warnings: list[str] = []
    _common_warnings(options, warnings)
    spec = V2_MODELS.get(model) or V2_MODELS[V2_DEFAULT]
    if options.sound is False:
        warnings.append(f"{model} has no audio switch; the clip may carry sound [?]")
    for key in ("prompt_optimizer", "callback_url"):
        if getattr(options, key) is not None:
            warnings.append(f"{key} is a v1 field; ignored for {model}")
    frames, refs = _v2_media(request, options, spec, model, warnings)
    text = _prompt(request, camera=False, audio=True)
    if not text and not frames:
        raise bad("a prompt is required without a first frame", model)
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    lo, hi = spec.durations
    want = options.duration or max(lo, math.ceil(request.duration - 1e-9))
    if want > hi:
        raise bad(f"{want} s is longer than {model} can make ({hi} s)", model)
    want = max(lo, want)
    if want != request.duration and options.duration is None:
        warnings.append(f"duration {request.duration:.2f} s sent as {want} s")
    resolution = options.resolution or spec.resolutions[-1]
    if resolution not in spec.resolutions:
        warnings.append(f"resolution {resolution} is not in the sources read for {model} [?]")
    body: dict[str, Any] = {
        "model": model,
        "content": content + frames + refs,
        "resolution": resolution,
        "duration": want,
    }
    if frames:
        if options.ratio and options.ratio != "adaptive":
            warnings.append("MiniMax-H3 takes the ratio from the first frame; ratio ignored")
    elif options.ratio == "adaptive" and not refs:
        raise bad("ratio 'adaptive' needs an image or video (not pure text-to-video)", model)
    else:
        body["ratio"] = options.ratio or nearest_ratio(request.width, request.height)
    if options.aigc_watermark is not None:
        body["aigc_watermark"] = options.aigc_watermark
    return body, warnings
