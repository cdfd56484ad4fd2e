"""What the Kling sandbox checks and renders for Omni (``/v1/videos/omni-video``) and lip sync
(``/v1/videos/lip-sync``), research §3.4 and §3.6. Checks answer Kling's (HTTP status, code,
message) or None, like :mod:`kling_rules`; :func:`clip_spec` says what the previz output shows.

The real API's limits are enforced so that an adapter bug shows up as the 1201 Kling would send:
unknown fields, reference counts (images + elements ≤ 7, ≤ 4 with a video), frame rules,
durations by scenario, template references to inputs that do not exist.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .kling_rules import Rejection, _check_image, check_body

OMNI_FIELDS = {
    "model_name", "prompt", "image_list", "element_list", "video_list", "mode", "aspect_ratio",
    "duration", "watermark_info", "callback_url", "external_task_id", "sound", "multi_shot",
    "shot_type", "multi_prompt",
}  # fmt: skip
OMNI_MAX_SECONDS = {"kling-video-o1": 10, "kling-video-3o": 15}
OMNI_MODES = {"kling-video-o1": ("std", "pro"), "kling-video-3o": ("std", "pro", "4k")}
ASPECTS = ("16:9", "9:16", "1:1")
TEMPLATE = re.compile(r"<<<(image|element|video)_(\d+)>>>")
LIPSYNC_FIELDS = {"input", "callback_url", "external_task_id"}
LIPSYNC_INPUT_FIELDS = {
    "video_id", "video_url", "mode", "text", "voice_id", "voice_language", "voice_speed",
    "audio_type", "audio_file", "audio_url",
}  # fmt: skip
AUDIO_LIMIT = 5 * 1024 * 1024

# Units per second (research §3.9 at 1 unit ≈ $0.14): (silent, with sound, with a video input).
OMNI_UNITS = {
    ("kling-video-o1", "std"): (Decimal("0.6"), Decimal("0.6"), Decimal("0.9")),
    ("kling-video-o1", "pro"): (Decimal("0.8"), Decimal("0.8"), Decimal("1.2")),
    ("kling-video-3o", "std"): (Decimal("0.6"), Decimal("0.8"), Decimal("0.9")),
    ("kling-video-3o", "pro"): (Decimal("0.8"), Decimal("1.0"), Decimal("1.2")),
}
UNITS_4K = Decimal("3.0")
LIPSYNC_UNITS_PER_SECOND = Decimal("0.1")  # ~0.5 units per 5 s [?] (research §3.6 table)
DEFAULT_SECONDS = 5  # a video given by URL is never fetched here: assume its length


def _bad(message: str) -> Rejection:
    return (400, 1201, message)


def _items(body: dict[str, Any], name: str, keys: set[str]) -> list[dict[str, Any]] | Rejection:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
        return _bad(f"{name} must be an array of objects")
    for item in value:
        if extra := set(item) - keys:
            return _bad(f"{name}: unknown field(s) {sorted(extra)}")
    return value


def _check_omni_inputs(body: dict[str, Any]) -> Rejection | None:
    images = _items(body, "image_list", {"image_url", "type"})
    elements = _items(body, "element_list", {"element_id"})
    videos = _items(body, "video_list", {"video_url", "refer_type", "keep_original_sound"})
    for got in (images, elements, videos):
        if isinstance(got, tuple):
            return got
    assert isinstance(images, list) and isinstance(elements, list) and isinstance(videos, list)
    for i, image in enumerate(images):
        if problem := _check_image(image.get("image_url"), f"image_list[{i}].image_url"):
            return problem
        if image.get("type", "first_frame") not in ("first_frame", "end_frame"):
            return _bad("image_list type must be first_frame or end_frame")
    for element in elements:
        eid = element.get("element_id")
        if not (isinstance(eid, int) or (isinstance(eid, str) and eid.isdigit())):
            return _bad("element_id must be a number")
    if len(videos) > 1:
        return _bad("video_list takes at most one video")
    for video in videos:
        if not str(video.get("video_url", "")).startswith(("http://", "https://")):
            return _bad("video_url must be an http(s) URL")
        if video.get("refer_type") not in ("feature", "base"):
            return _bad("refer_type must be feature or base")
        if video.get("keep_original_sound", "no") not in ("yes", "no"):
            return _bad("keep_original_sound must be yes or no")
    types = [i.get("type") for i in images]
    first, end = types.count("first_frame"), types.count("end_frame")
    base = any(v["refer_type"] == "base" for v in videos)
    limit = 4 if videos else 7
    if len(images) + len(elements) > limit:
        return _bad(f"image_list + element_list exceed {limit}")
    if first > 1 or end > 1:
        return _bad("at most one first_frame and one end_frame")
    if end and not first:
        return _bad("end_frame requires a first_frame")
    if end and (len(images) > 2 or elements):
        return _bad("end_frame cannot be combined with other images or elements")
    if base and (first or end):
        return _bad("first/end frames cannot be combined with refer_type base")
    counts = {"image": len(images), "element": len(elements), "video": len(videos)}
    for kind, number in TEMPLATE.findall(str(body.get("prompt", ""))):
        if not 1 <= int(number) <= counts[kind]:
            return _bad(f"prompt references <<<{kind}_{number}>>>, which is not in the request")
    return None


def _omni_duration(body: dict[str, Any], model: str) -> Rejection | None:
    videos = body.get("video_list") or []
    base = any(v.get("refer_type") == "base" for v in videos)
    if base:
        return _bad("duration follows the edited video") if "duration" in body else None
    plain = not videos and not body.get("element_list")
    plain = plain and all("type" in i for i in body.get("image_list") or [])
    top = OMNI_MAX_SECONDS[model]
    allowed = (
        ["5", "10"] if plain and model == "kling-video-o1" else [str(d) for d in range(3, top + 1)]
    )
    if body.get("duration", "5") not in allowed:  # a *string*, as on the other endpoints
        return _bad(f"duration must be one of {allowed} (a string)")
    return None


def check_omni_body(body: Any) -> Rejection | None:
    if not isinstance(body, dict):
        return (400, 1200, "request body must be a JSON object")
    if extra := set(body) - OMNI_FIELDS:
        return _bad(f"unknown field(s) {sorted(extra)}")
    model = body.get("model_name", "kling-video-o1")
    if model not in OMNI_MAX_SECONDS:
        return (404, 1203, f"model {model!r} not found for omni-video")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt or len(prompt) > 2500:
        return _bad("prompt is required, at most 2500 characters")
    if body.get("mode", "pro") not in OMNI_MODES[model]:
        return _bad(f"mode must be one of {OMNI_MODES[model]}")
    if problem := _check_omni_inputs(body):
        return problem
    images = body.get("image_list") or []
    videos = body.get("video_list") or []
    has_first = any(i.get("type") == "first_frame" for i in images)
    base = any(v.get("refer_type") == "base" for v in videos)
    if "aspect_ratio" in body and body["aspect_ratio"] not in ASPECTS:
        return _bad(f"aspect_ratio must be one of {ASPECTS}")
    if "aspect_ratio" not in body and not has_first and not base:
        return _bad("aspect_ratio is required without a first frame or an edited video")
    if problem := _omni_duration(body, model):
        return problem
    sound = body.get("sound", "off")
    if sound not in ("on", "off") or (sound == "on" and model != "kling-video-3o"):
        return _bad(f"sound={sound!r} is not supported by {model}")
    if sound == "on" and videos:
        return _bad("sound cannot be on with a reference video")
    if any(k in body for k in ("multi_shot", "shot_type", "multi_prompt")):
        if model != "kling-video-3o" or base:
            return _bad(f"multi-shot is not supported by {model} here")
        shots = body.get("multi_prompt") or []
        if not isinstance(shots, list) or not 1 <= len(shots) <= 6:
            return _bad("multi_prompt takes 1 to 6 shots")
        if sum(int(s.get("duration", 0)) for s in shots) != int(body.get("duration", "5")):
            return _bad("multi_prompt durations must sum to the duration")
    ext = body.get("external_task_id")
    if ext is not None and (not isinstance(ext, str) or not ext):
        return _bad("external_task_id must be a non-empty string")
    return None


def check_lipsync_body(body: Any) -> Rejection | None:
    if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
        return (400, 1200, "request body must be an object with an input object")
    if extra := set(body) - LIPSYNC_FIELDS:
        return _bad(f"unknown field(s) {sorted(extra)}")
    given = body["input"]
    if extra := set(given) - LIPSYNC_INPUT_FIELDS:
        return _bad(f"input: unknown field(s) {sorted(extra)}")
    if ("video_id" in given) == ("video_url" in given):
        return _bad("input needs exactly one of video_id and video_url")
    if "video_url" in given and not str(given["video_url"]).startswith(("http://", "https://")):
        return _bad("video_url must be an http(s) URL")
    mode = given.get("mode")
    if mode == "text2video":
        text = given.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= 120:
            return _bad("text2video needs text of 1 to 120 characters")
        if not given.get("voice_id"):
            return _bad("text2video needs voice_id")
        if given.get("voice_language", "zh") not in ("zh", "en"):
            return _bad("voice_language must be zh or en")
        speed = given.get("voice_speed", 1.0)
        if not isinstance(speed, int | float) or not 0.8 <= speed <= 2.0:
            return _bad("voice_speed must be in [0.8, 2.0]")
        if any(k in given for k in ("audio_type", "audio_file", "audio_url")):
            return _bad("text2video takes no audio")
    elif mode == "audio2video":
        if any(k in given for k in ("text", "voice_id")):
            return _bad("audio2video takes no text or voice")
        kind = given.get("audio_type")
        if kind == "url":
            if not str(given.get("audio_url", "")).startswith(("http://", "https://")):
                return _bad("audio_type url needs an http(s) audio_url")
        elif kind == "file":
            try:
                audio = base64.b64decode(str(given.get("audio_file", "")), validate=True)
            except (ValueError, binascii.Error):
                return _bad("audio_file must be base64")
            if not audio or len(audio) > AUDIO_LIMIT:
                return _bad("audio_file must be 1 byte to 5 MB")
        else:
            return _bad("audio_type must be file or url")
    else:
        return _bad("input.mode must be text2video or audio2video")
    ext = body.get("external_task_id")
    if ext is not None and (not isinstance(ext, str) or not ext):
        return _bad("external_task_id must be a non-empty string")
    return None


def check_request(route: str, body: Any) -> Rejection | None:
    """The body check for any sandboxed Kling endpoint."""
    if route == "omni-video":
        return check_omni_body(body)
    if route == "lip-sync":
        return check_lipsync_body(body)
    return check_body(route, body)


def moderated_text(body: dict[str, Any]) -> str:
    """Everything a content check reads: the prompt, or the lip-sync text."""
    given = body.get("input")
    given = given if isinstance(given, dict) else {}
    return f"{body.get('prompt', '')} {given.get('text', '')}".lower()


@dataclass(frozen=True)
class ClipSpec:
    """What a finished sandbox task renders and charges."""

    model: str
    mode: str
    prompt: str
    seconds: int
    aspect: str
    first_frame: str | None  # base64 (URLs are not fetched)
    last_frame: str | None
    units: Decimal
    sound: bool = False  # the clip carries the model's audio (a tone, in the sandbox)


def omni_spec(body: dict[str, Any]) -> ClipSpec:
    model, mode = str(body.get("model_name", "kling-video-o1")), str(body.get("mode", "pro"))
    images = body.get("image_list") or []
    frame = {i.get("type"): i.get("image_url") for i in images if i.get("type")}
    seconds = int(body.get("duration", DEFAULT_SECONDS))  # an edited video: assumed 5 s
    silent, sound, video = OMNI_UNITS.get((model, mode), (UNITS_4K,) * 3)
    with_sound = body.get("sound") == "on"
    rate = video if body.get("video_list") else sound if with_sound else silent
    return ClipSpec(
        model=model,
        mode=mode,
        prompt=str(body.get("prompt", "")),
        seconds=seconds,
        aspect=str(body.get("aspect_ratio", "16:9")),
        first_frame=frame.get("first_frame"),
        last_frame=frame.get("end_frame"),
        units=rate * seconds,
        sound=with_sound,
    )


def lipsync_spec(body: dict[str, Any], source_seconds: int | None) -> ClipSpec:
    given = body["input"]
    seconds = source_seconds or DEFAULT_SECONDS
    said = given.get("text") or "(audio)"
    return ClipSpec(
        model="kling-lip-sync",
        mode=str(given.get("mode")),
        prompt=f"lip sync: {said}",
        seconds=seconds,
        aspect="16:9",
        first_frame=None,
        last_frame=None,
        units=LIPSYNC_UNITS_PER_SECOND * seconds,
        sound=True,  # the lines spoken over the face
    )
