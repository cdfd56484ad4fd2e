"""ShotRequest → Kling Omni body for ``POST /v1/videos/omni-video`` (research §3.4).

One endpoint does text-to-video, first/last frame, reference images, Kling elements and a
reference video ("feature": follow it or shoot the next shot; "base": edit it). Inputs are named
in the prompt as ``<<<image_n>>>``, ``<<<element_n>>>`` and ``<<<video_1>>>``, numbered by their
order in the lists. Every documented limit is checked here, before any HTTP call: a rejected
Omni request is a wasted round trip at best and, per the research, sometimes billed.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from ...generators.base import ShotRequest
from ..errors import InvalidRequest
from .options import KlingOptions
from .request import PROMPT_LIMIT, camera_phrase, image_field, model_name, nearest_aspect
from .request import wire_duration as _wire_duration

ROUTE = "omni-video"
OMNI_PREFIX = "kling-video-"  # Omni wire models: kling-video-o1, kling-video-3o
REFS_MAX = 7  # images + elements without a reference video
REFS_MAX_WITH_VIDEO = 4
TEMPLATE = re.compile(r"<<<(image|element|video)_(\d+)>>>")


@dataclass(frozen=True)
class OmniModel:
    max_seconds: int
    sound: bool  # takes `sound: on/off` (3.0 Omni); O1 only keeps a reference video's sound
    multi_shot: bool
    modes: tuple[str, ...]


# kling-video-3o is the id wrappers use for 3.0 Omni on the v1 API; not confirmed [?] (§3.4).
OMNI_MODELS: dict[str, OmniModel] = {
    "kling-video-o1": OmniModel(10, sound=False, multi_shot=False, modes=("std", "pro")),
    "kling-video-3o": OmniModel(15, sound=True, multi_shot=True, modes=("std", "pro", "4k")),
}


def is_omni(model: str) -> bool:
    return model.startswith(OMNI_PREFIX)


def _refuse(message: str, model: str) -> InvalidRequest:
    return InvalidRequest(message, provider="kling", model=model)


def _reference_images(request: ShotRequest, model: str, images: list[dict[str, Any]]) -> list[str]:
    """Element reference images go in image_list with no type; the prompt names each one."""
    phrases = []
    for element in request.elements:
        tags = []
        for path in element.references:
            images.append({"image_url": image_field(path, model)})
            tags.append(f"<<<image_{len(images)}>>>")
        if tags:
            what = f" ({element.description})" if element.description else ""
            phrases.append(f"{element.name}{what} looks like {' and '.join(tags)}.")
    return phrases


def _duration(
    model: str,
    spec: OmniModel,
    seconds: float,
    plain: bool,
    warnings: list[str],
) -> str:
    """Text-to-video and frames-only Omni take 5 or 10 s on O1; with references 3..max."""
    allowed = [5, 10] if plain and model == "kling-video-o1" else None
    return _wire_duration(model, seconds, warnings, allowed or list(range(3, spec.max_seconds + 1)))


def _check_template(prompt: str, counts: dict[str, int], model: str) -> None:
    for kind, number in TEMPLATE.findall(prompt):
        if not 1 <= int(number) <= counts[kind]:
            raise _refuse(
                f"prompt names <<<{kind}_{number}>>> but the request has {counts[kind]} {kind}(s)",
                model,
            )


def build_omni_body(
    request: ShotRequest, options: KlingOptions, idempotency_key: str | None
) -> tuple[str, dict[str, Any], list[str]]:
    """The route ("omni-video"), the JSON body, and adjustment warnings."""
    warnings: list[str] = []
    model = model_name(request, options)
    spec = OMNI_MODELS.get(model)
    if spec is None:
        raise _refuse(f"unknown Kling Omni model {model!r}", model)
    if options.mode not in spec.modes:
        raise _refuse(f"{model} has no mode {options.mode!r}", model)

    video = None
    if options.video_url:
        if not options.video_url.startswith(("http://", "https://")):
            raise _refuse("Omni takes a reference video by URL only", model)
        video = {
            "video_url": options.video_url,
            "refer_type": options.refer_type,
            "keep_original_sound": "yes" if options.keep_original_sound else "no",
        }
    editing = video is not None and options.refer_type == "base"

    first = options.image_url or (
        image_field(request.first_frame, model) if request.first_frame else None
    )
    last = options.image_tail_url or (
        image_field(request.last_frame, model) if request.last_frame else None
    )
    if last and not first:
        raise _refuse("an end frame needs a first frame", model)
    if editing and (first or last):
        raise _refuse("a base (edited) video takes no first or end frame", model)
    images: list[dict[str, Any]] = []
    if first:
        images.append({"image_url": first, "type": "first_frame"})
    if last:
        images.append({"image_url": last, "type": "end_frame"})
    phrases = _reference_images(request, model, images)
    element_ids = list(options.element_ids or ())
    if last and (len(images) > 2 or element_ids):
        raise _refuse("with an end frame Omni takes no other reference images or elements", model)
    limit = REFS_MAX_WITH_VIDEO if video else REFS_MAX
    if len(images) + len(element_ids) > limit:
        with_video = "with" if video else "without"
        raise _refuse(
            f"{len(images)} images + {len(element_ids)} elements: Omni takes at most {limit} "
            f"{with_video} a reference video",
            model,
        )

    prompt = request.prompt + camera_phrase(request.camera)
    if options.camera_control:
        warnings.append("Omni has no camera_control; the camera move is in the prompt")
    if phrases:
        prompt = f"{prompt} {' '.join(phrases)}"
    if video and "<<<video_1>>>" not in prompt:
        prompt = f"{prompt} Reference video: <<<video_1>>>."

    body: dict[str, Any] = {"model_name": model, "prompt": "", "mode": options.mode}
    wanted = options.sound if options.sound is not None else bool(request.sound or request.dialogue)
    if wanted and not spec.sound:
        warnings.append(f"{model} makes no sound; sound dropped")
    elif wanted and video:
        # Kling makes no native audio over a reference video (3.0 Omni docs); keep its own.
        warnings.append("no native sound with a reference video; sound dropped")
    elif spec.sound:
        body["sound"] = "on" if wanted else "off"
    if body.get("sound") == "on":
        lines = " ".join(f'{line.speaker} says: "{line.text}"' for line in request.dialogue)
        extra = " ".join(
            p for p in (lines, f"Sound: {request.sound}." if request.sound else "") if p
        )
        prompt = f"{prompt} {extra}".strip()
    if len(prompt) > PROMPT_LIMIT:
        raise _refuse(f"prompt is {len(prompt)} characters; Kling takes {PROMPT_LIMIT}", model)
    counts = {"image": len(images), "element": len(element_ids), "video": 1 if video else 0}
    _check_template(prompt, counts, model)
    body["prompt"] = prompt

    if images:
        body["image_list"] = images
    if element_ids:
        body["element_list"] = [{"element_id": e} for e in element_ids]
    if video:
        body["video_list"] = [video]
    if not first and not editing:  # otherwise the shape comes from the image or the video
        body["aspect_ratio"] = options.aspect_ratio or nearest_aspect(request.width, request.height)
    if editing:
        warnings.append("an edited (base) video keeps its own length; duration not sent")
    else:
        seconds = float(options.duration) if options.duration else request.duration
        plain = not video and not element_ids and all("type" in i for i in images)
        body["duration"] = _duration(model, spec, seconds, plain, warnings)

    if options.multi_prompt:
        if not spec.multi_shot or editing:
            raise _refuse(f"{model} takes no multi_prompt here", model)
        total = sum(p.duration for p in options.multi_prompt)
        if str(total) != body["duration"]:
            raise _refuse(
                f"multi_prompt sums to {total} s, the shot is {body['duration']} s", model
            )
        body["multi_shot"] = True
        body["shot_type"] = "customize"
        body["multi_prompt"] = [
            {"index": i + 1, "prompt": p.prompt, "duration": str(p.duration)}
            for i, p in enumerate(options.multi_prompt)
        ]
    if options.negative_prompt:
        warnings.append("Omni has no negative_prompt; dropped")
    if options.cfg_scale is not None:
        warnings.append("Omni has no cfg_scale; dropped")
    if request.seed:
        warnings.append("Kling has no seed; the render is not repeatable")
    if options.watermark is not None:
        body["watermark_info"] = {"enabled": options.watermark}
    if options.callback_url:
        body["callback_url"] = options.callback_url
    body["external_task_id"] = idempotency_key or f"rf-{uuid.uuid4().hex}"
    return ROUTE, body, warnings
