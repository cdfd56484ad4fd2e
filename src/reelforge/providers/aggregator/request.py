"""ShotRequest → an aggregator's submit body, shaped by its profile. Pure: no I/O except reading
input images (sent inline as data URIs unless the options give URLs).

The model goes in the body (``model_field``) or in the submit path (``{model}``); prompt, first
and last frame, duration, aspect ratio, sound and negative prompt go where ``fields`` says. A
field the profile maps to None is not sent, and a shot that needs it gets a warning.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from ...generators.base import ShotRequest
from .._compose import spoken_prompt
from ..errors import InvalidRequest
from .profiles import AggregatorProfile

MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}
ASPECTS = ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "3:2", "2:3")
IMAGE_LIMIT = 10 * 1024 * 1024  # [?] no documented inline limit; keep requests sane


class AggregatorOptions(BaseModel):
    """What the catalogue's remote generator passes (``model_name``, ``mode``, ``sound``) plus
    per-call overrides. ``extra`` is merged into the body last (vendor parameters)."""

    model_config = ConfigDict(extra="forbid")

    model_name: str | None = None
    mode: str | None = None  # accepted and ignored: the model id carries the tier
    sound: bool | None = None  # None: on when the shot has dialogue or a sound cue
    aspect_ratio: str | None = None
    duration: int | None = Field(default=None, ge=1)
    negative_prompt: str | None = None
    first_frame_url: str | None = None
    last_frame_url: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


def nearest_aspect(width: int, height: int) -> str:
    want = math.log(width / height)

    def distance(ratio: str) -> float:
        w, h = ratio.split(":")
        return abs(math.log(int(w) / int(h)) - want)

    return min(ASPECTS, key=distance)


def data_uri(path: Path, provider: str, model: str) -> str:
    data = Path(path).read_bytes()
    if len(data) > IMAGE_LIMIT:
        raise InvalidRequest(f"{path} is too large to send inline; pass a URL", provider=provider)
    mime = MIME.get(Path(path).suffix.lower(), "image/png")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def submit_path(profile: AggregatorProfile, model: str) -> str:
    return profile.submit_path.replace("{model}", quote(model, safe="/.-_"))


def catalogue_settings(profile: AggregatorProfile, model: str, request: ShotRequest) -> Any:
    """The catalogue's settings for this shot on the aggregator's route serving ``model`` (the
    duration snapped to what the model takes, couplings applied), or None without a route or
    when the check refuses (the caller then sends the shot as it is)."""
    from ...catalogue import check, load_catalogue

    for route in load_catalogue().routes:
        if route.provider == profile.catalogue_provider and route.model == model:
            result = check(route, request)
            return result.settings if result.ok else None
    return None


def build_body(
    profile: AggregatorProfile,
    request: ShotRequest,
    options: AggregatorOptions,
    settings: Any = None,
) -> tuple[str, dict[str, Any], list[str]]:
    """The model id, the JSON body and what was adjusted or dropped. ``settings`` (from
    :func:`catalogue_settings`) supplies the snapped duration and the aspect ratio."""
    model = options.model_name or request.model
    if not model:
        raise InvalidRequest("no model: pass options model_name", provider=profile.name)
    f = profile.fields_for(model)
    warnings: list[str] = []
    body: dict[str, Any] = {}
    if profile.model_field:
        body[profile.model_field] = model

    wanted = options.sound
    if wanted is None:  # the catalogue's plan knows whether the route makes audio at all
        shot_wants = bool(request.sound or request.dialogue)
        wanted = settings.audio if settings is not None else shot_wants
    audio = bool(wanted and f.sound)
    if wanted and not f.sound and options.sound:
        warnings.append(f"{profile.label} takes no sound toggle for {model}; sound dropped")
    text = spoken_prompt(request, audio)
    first = options.first_frame_url or (
        data_uri(request.first_frame, profile.name, model) if request.first_frame else None
    )
    last = options.last_frame_url or (
        data_uri(request.last_frame, profile.name, model) if request.last_frame else None
    )
    if not text and not first:
        raise InvalidRequest("a prompt is required without a first frame", provider=profile.name)
    if last and not first:
        raise InvalidRequest("a last frame needs a first frame", provider=profile.name, model=model)
    body[f.prompt] = text
    for name, value, label in ((f.image, first, "first frame"), (f.end_image, last, "last frame")):
        if value and name:
            body[name] = value
        elif value:
            warnings.append(f"{profile.label} {model} takes no {label}; dropped")
    refs = sum(len(e.references) for e in request.elements)
    if refs:  # no profile maps reference images: say so rather than drop them silently
        warnings.append(f"{profile.label} {model}: {refs} reference image(s) not sent; dropped")
    if request.seed:
        warnings.append(f"{profile.label} {model}: no seed is sent; the render is not repeatable")
    if f.duration:
        snapped = getattr(settings, "duration_s", None)
        seconds = options.duration or snapped or math.ceil(request.duration - 1e-9)
        if seconds != request.duration:
            warnings.append(f"duration {request.duration:.2f} s sent as {seconds} s")
        body[f.duration] = int(seconds)
    if f.aspect and (options.aspect_ratio or not first):  # with an image, the image's shape
        chosen = getattr(settings, "aspect_ratio", None)
        body[f.aspect] = (
            options.aspect_ratio or chosen or nearest_aspect(request.width, request.height)
        )
    if f.sound:
        body[f.sound] = audio
    if options.negative_prompt:
        if not f.negative_prompt:
            raise InvalidRequest(
                f"{profile.label} takes no negative prompt", provider=profile.name, model=model
            )
        body[f.negative_prompt] = options.negative_prompt
    body.update(options.extra)
    return model, body, warnings
