"""ShotRequest → xAI video request body (providers-2 §1.3-1.4). Pure apart from reading input
images, which are sent inline as ``data:`` URIs (the API is JSON only: no multipart)."""

from __future__ import annotations

import base64
import math
import mimetypes
from pathlib import Path
from typing import Any

from ...generators.base import ShotRequest
from ..errors import InvalidRequest
from .options import XaiOptions

PROVIDER = "xai"
DEFAULT_MODEL = "grok-imagine-video"
PROMPT_LIMIT = 4096  # resellers' cap [3P]; the API's own limit is undocumented
ASPECTS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3")
GENERATE_SECONDS = (1, 15)
EXTEND_SECONDS = (1, 10)
MAX_REFERENCES = 7
MAX_VOICES = 3
RESOLUTION_LINES = {"480p": 480, "720p": 720, "1080p": 1080}
PATHS = {"generate": "/videos/generations", "edit": "/videos/edits", "extend": "/videos/extensions"}


def is_v15(model: str) -> bool:
    return model.startswith("grok-imagine-video-1.5")


def resolutions(model: str) -> tuple[str, ...]:
    """1080p only on grok-imagine-video-1.5 itself (not the preview alias, per the catalogue)."""
    if model in ("grok-imagine-video-1.5",) or model.startswith("grok-imagine-video-1.5-20"):
        return ("480p", "720p", "1080p")
    return ("480p", "720p")


def model_name(request: ShotRequest, options: XaiOptions) -> str:
    name = (options.model_name or request.model).removeprefix("xai/")
    return DEFAULT_MODEL if name in ("", "previz") else name


def invalid(message: str, model: str) -> InvalidRequest:
    return InvalidRequest(message, provider=PROVIDER, model=model)


def data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(str(path))[0] or "image/png"
    return f"data:{mime};base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def nearest_aspect(width: int, height: int, warnings: list[str]) -> str:
    r = width / height

    def distance(aspect: str) -> float:
        w, _, h = aspect.partition(":")
        return abs(math.log((int(w) / int(h)) / r))

    best = min(ASPECTS, key=distance)
    if distance(best) > 0.02:
        warnings.append(f"{width}x{height} sent as aspect_ratio {best}")
    return best


def nearest_resolution(model: str, width: int, height: int, warnings: list[str]) -> str:
    """The allowed resolution whose line count is nearest the shot's short side (ties: higher)."""
    short = min(width, height)
    allowed = resolutions(model)
    best = min(allowed, key=lambda r: (abs(RESOLUTION_LINES[r] - short), -RESOLUTION_LINES[r]))
    if RESOLUTION_LINES[best] != short:
        warnings.append(f"{width}x{height} sent as resolution {best}")
    return best


def whole_seconds(seconds: float, bounds: tuple[int, int], model: str, warnings: list[str]) -> int:
    """Integer seconds in ``bounds``, rounded *up* (the editor trims)."""
    want = max(bounds[0], math.ceil(seconds - 1e-9))
    if want > bounds[1]:
        raise invalid(f"{seconds:.2f} s is longer than {model} can make ({bounds[1]} s)", model)
    if want != seconds:
        warnings.append(f"duration {seconds:.2f} s sent as {want} s")
    return want


def compose_prompt(request: ShotRequest, model: str) -> str:
    prompt = request.prompt
    if request.camera not in ("", "static"):
        prompt += f" Camera: {request.camera.replace('_', ' ')}."
    lines = " ".join(f'{line.speaker} says: "{line.text}"' for line in request.dialogue)
    extra = " ".join(p for p in (lines, f"Sound: {request.sound}." if request.sound else "") if p)
    prompt = f"{prompt} {extra}".strip()
    if not prompt:
        raise invalid("the prompt is empty", model)
    if len(prompt) > PROMPT_LIMIT:
        raise invalid(f"prompt is {len(prompt)} characters; the limit is {PROMPT_LIMIT}", model)
    return prompt


def source_video(options: XaiOptions) -> dict[str, str]:
    if options.video_file_id:
        return {"file_id": options.video_file_id}
    return {"url": str(options.video_url)}


def build_body(
    request: ShotRequest, options: XaiOptions
) -> tuple[str, str, dict[str, Any], list[str]]:
    """(model, operation, JSON body, warnings). Raises InvalidRequest before anything is spent."""
    warnings: list[str] = []
    model = model_name(request, options)
    op = options.operation
    body: dict[str, Any] = {"model": model, "prompt": compose_prompt(request, model)}
    if options.mode:
        warnings.append(f"the xAI video API has no mode; {options.mode!r} dropped")
    if request.seed:
        warnings.append("the xAI video API has no seed; the render is not repeatable")
    if options.user:
        body["user"] = options.user
    if options.storage_options:
        body["storage_options"] = dict(options.storage_options)

    if op != "generate":
        if is_v15(model):  # edit/extend exist on the base model only [3P]
            raise invalid(f"{op} is only offered on {DEFAULT_MODEL}, not {model}", model)
        body["video"] = source_video(options)
        if request.first_frame or request.last_frame or options.image_file_id:
            warnings.append(f"an {op} takes no input image; frames dropped")
        if op == "extend":
            seconds = float(options.duration) if options.duration else request.duration
            body["duration"] = whole_seconds(seconds, EXTEND_SECONDS, model, warnings)
            warnings.append("an extension keeps the source's aspect ratio and resolution")
        else:
            warnings.append("an edit keeps the source's length (≤8.7 s), aspect and resolution")
        if options.sound is not None:
            body["generate_audio"] = options.sound
        return model, op, body, warnings

    seconds = float(options.duration) if options.duration else request.duration
    body["duration"] = whole_seconds(seconds, GENERATE_SECONDS, model, warnings)
    if options.aspect_ratio:
        if options.aspect_ratio not in ASPECTS:
            raise invalid(f"aspect_ratio {options.aspect_ratio} not in {list(ASPECTS)}", model)
        body["aspect_ratio"] = options.aspect_ratio
    else:
        body["aspect_ratio"] = nearest_aspect(request.width, request.height, warnings)

    references = [p for e in request.elements for p in e.references]
    if options.image_file_id:
        body["image"] = {"file_id": options.image_file_id}
    elif request.first_frame:
        body["image"] = {"url": data_uri(request.first_frame)}
    if "image" in body and references:
        warnings.append("image and reference_images are exclusive: element references dropped")
        references = []
    if len(references) > MAX_REFERENCES:
        warnings.append(f"{len(references)} reference images; the first {MAX_REFERENCES} sent")
        references = references[:MAX_REFERENCES]
    if references:
        body["reference_images"] = [{"url": data_uri(p)} for p in references]

    if request.last_frame:
        if is_v15(model):  # 1.5 only, from a Swift port of the AI SDK [?]
            body["last_frame"] = {"url": data_uri(request.last_frame)}
        else:
            warnings.append(f"{model} takes no last frame; dropped")

    allowed = resolutions(model)
    if references and "1080p" in allowed:
        allowed = ("480p", "720p")  # 1080p not for reference-to-video [3P]
    if options.resolution:
        if options.resolution not in resolutions(model):
            raise invalid(f"{model} offers {list(resolutions(model))}, not 1080p", model)
        res: str = options.resolution
    else:
        res = nearest_resolution(model, request.width, request.height, warnings)
    if res not in allowed:
        warnings.append(f"resolution {res} not offered with reference images; sent as 720p")
        res = "720p"
    body["resolution"] = res

    if options.sound is not None:
        body["generate_audio"] = options.sound
    if options.voices:
        if model != "grok-imagine-video-1.5" and not model.startswith("grok-imagine-video-1.5-20"):
            raise invalid(f"reference voices need grok-imagine-video-1.5, not {model}", model)
        body["reference_audios"] = [{"voice_id": v} for v in options.voices[:MAX_VOICES]]
    return model, op, body, warnings
