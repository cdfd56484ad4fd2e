"""What the MiniMax sandbox checks before it accepts a task: the key and the body (research
§6.1-6.3). Each check answers MiniMax's (status code, message) or None."""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from typing import Any

from ..providers.minimax.models import V1_MODELS, V2_MODELS

Rejection = tuple[int, str]

V1_FIELDS = {
    "model",
    "prompt",
    "prompt_optimizer",
    "fast_pretreatment",
    "first_frame_image",
    "last_frame_image",
    "subject_reference",
    "duration",
    "resolution",
    "callback_url",
    "aigc_watermark",
}
V2_FIELDS = {"model", "content", "resolution", "duration", "ratio", "aigc_watermark"}
V2_ROLES = {
    "image_url": {"first_frame", "last_frame", "reference_image"},
    "video_url": {"reference_video"},
    "audio_url": {"reference_audio"},
}
DATA_URL = re.compile(r"^data:image/(png|jpeg|jpg|webp);base64,(.+)$", re.S)
AUTH_FAIL = (1004, "login fail: Please carry the API secret key in the 'Authorization' field")


def check_auth(header: str | None, *, api_key: str) -> Rejection | None:
    scheme, _, token = (header or "").partition(" ")
    if scheme != "Bearer" or not token or not hmac.compare_digest(token, api_key):
        return AUTH_FAIL
    return None


def _bad(message: str) -> Rejection:
    return (2013, f"invalid params, {message}")


def _check_image(url: Any, what: str) -> Rejection | None:
    if not isinstance(url, str) or not url:
        return _bad(f"{what} must be a non-empty string")
    if url.startswith(("http://", "https://")):
        return None
    m = DATA_URL.match(url)
    if m is None:
        return _bad(f"{what} must be a URL or a data:image/<fmt>;base64, URI")
    try:
        base64.b64decode(m.group(2), validate=True)
    except (ValueError, binascii.Error):
        return _bad(f"{what} is not valid base64")
    return None


def check_v1(body: Any) -> Rejection | None:
    if not isinstance(body, dict):
        return _bad("request body must be a JSON object")
    if unknown := sorted(set(body) - V1_FIELDS):
        return _bad(f"unknown field {unknown[0]}")
    model = body.get("model")
    if model not in V1_MODELS:
        return _bad(f"model {model!r} is not supported")
    spec = V1_MODELS[model]
    prompt = body.get("prompt", "")
    if not isinstance(prompt, str) or len(prompt) > 2000:
        return _bad("prompt must be a string of at most 2000 characters")
    first, last = body.get("first_frame_image"), body.get("last_frame_image")
    for key, value in (("first_frame_image", first), ("last_frame_image", last)):
        if value is not None and (problem := _check_image(value, key)):
            return problem
    if first is not None and not spec.i2v:
        return _bad(f"{model} does not accept first_frame_image")
    if first is None and not spec.t2v:
        return _bad(f"{model} requires first_frame_image")
    if last is not None and (first is None or not spec.last_frame):
        return _bad("last_frame_image needs first_frame_image and a model that takes it")
    if not prompt and first is None:
        return _bad("prompt is required")
    refs = body.get("subject_reference")
    if refs is not None:
        if not spec.subject_reference:
            return _bad(f"{model} does not accept subject_reference")
        if not isinstance(refs, list) or len(refs) != 1 or not isinstance(refs[0], dict):
            return _bad("subject_reference takes exactly one item")
        if problem := _check_image(refs[0].get("image"), "subject_reference.image"):
            return problem
    resolution = body.get("resolution", next(iter(spec.resolutions)))
    if resolution not in spec.resolutions:
        return _bad(f"resolution must be one of {list(spec.resolutions)} for {model}")
    duration = body.get("duration", 6)
    if duration not in spec.resolutions[resolution] or isinstance(duration, bool):
        allowed = list(spec.resolutions[resolution])
        return _bad(f"duration must be one of {allowed} at {resolution} for {model}")
    for flag in ("prompt_optimizer", "fast_pretreatment", "aigc_watermark"):
        if flag in body and not isinstance(body[flag], bool):
            return _bad(f"{flag} must be a boolean")
    return None


def _check_content(content: Any) -> Rejection | None:
    if not isinstance(content, list) or not content:
        return _bad("content is required")
    roles: list[str] = []
    texts = 0
    for item in content:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "text":
            texts += 1
            if not isinstance(item.get("text"), str):
                return _bad("text must be a string")
            continue
        if kind not in V2_ROLES:
            return _bad(f"content type {kind!r} is not supported")
        role = item.get("role")
        if role not in V2_ROLES[kind]:
            return _bad(f"role {role!r} is not valid for {kind}")
        url = (item.get(kind) or {}).get("url")
        if kind == "image_url" and (problem := _check_image(url, "image_url.url")):
            return problem
        if kind != "image_url" and not isinstance(url, str):
            return _bad(f"{kind}.url must be a string")
        roles.append(role)
    frames = [r for r in roles if r in ("first_frame", "last_frame")]
    refs = [r for r in roles if r not in frames]
    if texts > 1:
        return _bad("at most one text item")
    if frames and refs:
        return _bad("frames and references cannot be mixed")
    if frames.count("first_frame") > 1 or frames.count("last_frame") > 1:
        return _bad("at most one first_frame and one last_frame")
    if "last_frame" in frames and "first_frame" not in frames:
        return _bad("last_frame requires first_frame")
    limits = {"reference_image": 9, "reference_video": 3, "reference_audio": 3}
    for role, limit in limits.items():
        if refs.count(role) > limit:
            return _bad(f"at most {limit} {role} items")
    if "reference_audio" in refs and len(set(refs)) == 1:
        return _bad("reference_audio needs a reference_image or reference_video")
    if not texts and not frames:
        return _bad("a text prompt is required")
    return None


def check_v2(body: Any) -> Rejection | None:
    if not isinstance(body, dict):
        return _bad("request body must be a JSON object")
    if unknown := sorted(set(body) - V2_FIELDS):
        return _bad(f"unknown field {unknown[0]}")
    model = body.get("model")
    if model not in V2_MODELS:
        return _bad(f"model {model!r} is not supported")
    spec = V2_MODELS[model]
    if problem := _check_content(body.get("content")):
        return problem
    lo, hi = spec.durations
    duration = body.get("duration", lo)
    if not isinstance(duration, int) or isinstance(duration, bool) or not lo <= duration <= hi:
        return _bad(f"duration must be an integer in [{lo}, {hi}]")
    if body.get("resolution", spec.resolutions[0]) not in spec.resolutions:
        return _bad(f"resolution must be one of {list(spec.resolutions)}")
    ratio = body.get("ratio")
    if ratio is not None and ratio not in (*spec.ratios, "adaptive"):
        return _bad(f"ratio must be one of {['adaptive', *spec.ratios]}")
    media = [i for i in body["content"] if i.get("type") != "text"]
    if ratio == "adaptive" and not media:
        return _bad("ratio adaptive is not valid for text-to-video")
    if "aigc_watermark" in body and not isinstance(body["aigc_watermark"], bool):
        return _bad("aigc_watermark must be a boolean")
    return None
