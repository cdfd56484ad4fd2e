"""ShotRequest → Runway task body (research §5.2). Pure: no I/O except reading input files.

Wire names are camelCase. The endpoint follows the inputs: a video (``video_uri``, or on aleph2
the shot's ``source_video`` as a data URI) → ``video_to_video``; a first frame →
``image_to_video`` with ``promptImage`` as ``[{uri, position: "first"}, {uri, position:
"last"}]``; otherwise ``text_to_video``. Element reference images go as ``references`` on the
models that take them (Seedance 2 text_to_video).
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any

from ...generators.base import ShotRequest
from .._compose import spoken_prompt
from ..errors import InvalidRequest
from .models import (
    DEFAULT_MODEL,
    IMAGE_LIMIT,
    MODELS,
    REMOVED,
    SOURCE_VIDEO_MODELS,
    TARGET_ASPECTS,
    VIDEO_LIMIT,
    ModelSpec,
    nearest_ratio,
)
from .options import RunwayOptions

MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}
# Containers sent inline; the full list Runway accepts is not in the research [?].
VIDEO_MIME = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime",
              ".webm": "video/webm"}  # fmt: skip
PREFIXES = ("runway/", "runwayml/")


def _bad(message: str, model: str) -> InvalidRequest:
    return InvalidRequest(message, provider="runway", model=model)


def model_name(request: ShotRequest, options: RunwayOptions) -> str:
    name = options.model_name or request.model
    for prefix in PREFIXES:
        name = name.removeprefix(prefix)
    if name in REMOVED:
        raise _bad(f"{name} was removed from the Runway API on {REMOVED[name]}", name)
    return name if name in MODELS else DEFAULT_MODEL


def data_uri(path: Path, model: str) -> str:
    data = Path(path).read_bytes()
    if len(data) > IMAGE_LIMIT:
        raise _bad(f"{path} is over Runway's 5 MB data-URI image limit; pass a URL", model)
    mime = MIME.get(Path(path).suffix.lower(), "image/png")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def video_data_uri(path: Path, model: str) -> str:
    mime = VIDEO_MIME.get(Path(path).suffix.lower())
    if mime is None:
        kinds = ", ".join(sorted(VIDEO_MIME))
        raise _bad(f"source_video {path}: reelforge sends Runway {kinds} only; convert it", model)
    data = Path(path).read_bytes()
    if len(data) > VIDEO_LIMIT:
        raise _bad(
            f"source_video {path} is over Runway's 16 MB data-URI video limit; pass options "
            "video_uri (an https URL or a runway:// upload)",
            model,
        )
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _video(request: ShotRequest, options: RunwayOptions, model: str) -> str | None:
    """The video to edit: options.video_uri (a URL), else the shot's source_video inline on the
    models wired for it; other models refuse it rather than edit something else."""
    if options.video_uri:
        return options.video_uri
    if request.source_video is None:
        return None
    if model not in SOURCE_VIDEO_MODELS:
        wired = ", ".join(SOURCE_VIDEO_MODELS)
        raise _bad(f"{model} is not wired for a source_video (only {wired}); pass video_uri", model)
    return video_data_uri(request.source_video, model)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def wire_duration(spec: ModelSpec, model: str, seconds: float, warnings: list[str]) -> int:
    """The shortest allowed whole-second length covering the shot (the editor trims)."""
    fits = [d for d in spec.durations if d >= math.ceil(seconds - 1e-9)]
    if not fits:
        raise _bad(
            f"{seconds:.2f} s is longer than {model} can make ({max(spec.durations)} s)", model
        )
    if fits[0] != seconds:
        warnings.append(f"duration {seconds:.2f} s sent as {fits[0]} s")
    return fits[0]


def _route(spec: ModelSpec, model: str, has_video: bool, has_first: bool) -> str:
    if has_video:
        if not spec.v2v:
            raise _bad(f"{model} does not edit videos (no video_to_video)", model)
        return "video_to_video"
    if spec.v2v and not (spec.t2v_ratios or spec.i2v_ratios):
        raise _bad(f"{model} is video-to-video only: the shot needs a source_video", model)
    if has_first:
        if not spec.i2v_ratios:
            raise _bad(f"{model} takes no image", model)
        return "image_to_video"
    if not spec.t2v_ratios:
        raise _bad(f"{model} is image-to-video only: the shot needs a first frame", model)
    return "text_to_video"


def _images(
    request: ShotRequest, options: RunwayOptions, spec: ModelSpec, model: str, w: list[str]
) -> tuple[str | None, str | None]:
    first = options.first_frame_url or (
        data_uri(request.first_frame, model) if request.first_frame else None
    )
    last = options.last_frame_url or (
        data_uri(request.last_frame, model) if request.last_frame else None
    )
    if last and not first:
        raise _bad("Runway takes no last-only frame: a last frame needs a first frame", model)
    if last and not spec.last_frame:
        w.append(f"{model} takes a first frame only; the last frame was dropped")
        last = None
    return first, last


def _references(
    request: ShotRequest,
    options: RunwayOptions,
    spec: ModelSpec,
    model: str,
    route: str,
    w: list[str],
) -> list[dict[str, str]]:
    refs = list(options.reference_urls) or [
        data_uri(p, model) for e in request.elements for p in e.references
    ]
    if not refs:
        return []
    if route == "image_to_video" or not spec.references:
        # Seedance 2: keyframe mode and reference mode cannot be mixed (§5.2).
        w.append(f"{len(refs)} element reference image(s) dropped: {model} {route} takes none")
        return []
    if len(refs) > spec.references:
        raise _bad(f"{len(refs)} reference images; {model} takes at most {spec.references}", model)
    return [{"uri": uri} for uri in refs]


def build_body(
    request: ShotRequest, options: RunwayOptions
) -> tuple[str, dict[str, Any], list[str]]:
    """The route (endpoint name), the JSON body and adjustment warnings."""
    warnings: list[str] = []
    model = model_name(request, options)
    if (options.model_name or request.model) not in (model, f"runway/{model}", f"runwayml/{model}"):
        warnings.append(
            f"{options.model_name or request.model} is not a Runway model; used {model}"
        )
    spec = MODELS[model]
    first, last = _images(request, options, spec, model, warnings)
    video = _video(request, options, model)
    route = _route(spec, model, bool(video), bool(first))
    audio = options.sound if options.sound is not None else bool(request.sound or request.dialogue)
    if audio and not spec.audio:
        if options.sound:
            warnings.append(f"{model} makes no sound; sound dropped")
        audio = False
    text = spoken_prompt(request, audio)
    if utf16_len(text) > spec.max_prompt:
        raise _bad(
            f"prompt is {utf16_len(text)} UTF-16 units; {model} takes {spec.max_prompt}", model
        )
    body: dict[str, Any] = {"model": model}
    if text:
        body["promptText"] = text
    elif route == "text_to_video":
        raise _bad("a prompt is required without a first frame", model)

    if route == "video_to_video":
        body[spec.video_field] = video
        if first:
            warnings.append("first/last frames dropped: video_to_video edits the input video")
    elif route == "image_to_video":
        images = [{"uri": first, "position": "first"}]
        if last:
            images.append({"uri": last, "position": "last"})
        body["promptImage"] = images
    refs = _references(request, options, spec, model, route, warnings)
    if refs:
        body["references"] = refs

    if route == "image_to_video" and spec.i2v_resolution:
        short = min(request.width, request.height)
        body["resolution"] = options.resolution or ("1080p" if short > 720 else "720p")
    elif route != "video_to_video" or spec.video_field == "promptVideo":
        allowed = spec.i2v_ratios if route == "image_to_video" else spec.t2v_ratios
        if options.ratio:
            if options.ratio not in allowed:
                raise _bad(f"{model} {route} takes ratios {', '.join(allowed)}", model)
            body["ratio"] = options.ratio
        else:
            body["ratio"] = nearest_ratio(allowed, request.width, request.height)
            w_, h_ = body["ratio"].split(":")
            if (int(w_), int(h_)) != (request.width, request.height):
                warnings.append(f"{request.width}x{request.height} shot sent as {body['ratio']}")
    if spec.duration_sent:
        seconds = float(options.duration) if options.duration else request.duration
        body["duration"] = wire_duration(spec, model, seconds, warnings)
    if spec.audio:
        body["audio"] = audio
    seed = options.seed if options.seed is not None else (request.seed or None)
    if seed is not None:
        if spec.seed:
            body["seed"] = seed
        else:
            warnings.append(f"{model} takes no seed; not repeatable")
    if options.negative_prompt:
        if not spec.negative_prompt:
            raise _bad(f"{model} takes no negative prompt", model)
        body["negativePrompt"] = options.negative_prompt
    if options.public_figure_threshold and spec.moderation:
        body["contentModeration"] = {"publicFigureThreshold": options.public_figure_threshold}
    if model == "aleph2":
        if len(options.keyframes) > 5:
            raise _bad("aleph2 takes at most 5 keyframes", model)
        if options.keyframes:
            body["keyframes"] = [k.model_dump(exclude_none=True) for k in options.keyframes]
        if options.target_aspect_ratio:
            if options.target_aspect_ratio not in TARGET_ASPECTS:
                raise _bad(f"aleph2 takes targetAspectRatio {', '.join(TARGET_ASPECTS)}", model)
            body["targetAspectRatio"] = options.target_aspect_ratio
    return route, body, warnings
