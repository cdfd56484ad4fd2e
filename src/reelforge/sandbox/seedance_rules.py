"""What the Seedance sandbox checks before it accepts a task: the key and the body (research
§4.1-4.4). Each check answers ModelArk's (HTTP status, error code, message) or None."""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from typing import Any

from ..providers.seedance.models import MODELS, RATIOS

Rejection = tuple[int, str, str]

TOP_LEVEL = {
    "model",
    "content",
    "ratio",
    "duration",
    "frames",
    "resolution",
    "seed",
    "camera_fixed",
    "watermark",
    "generate_audio",
    "return_last_frame",
    "service_tier",
    "execution_expires_after",
    "draft",
    "callback_url",
}
ROLES = {"first_frame", "last_frame", "reference_image"}
DATA_URL = re.compile(r"^data:image/(png|jpeg|jpg|webp|bmp|gif|tiff|heic|heif);base64,(.+)$", re.S)


def check_auth(header: str | None, *, api_key: str) -> Rejection | None:
    scheme, _, token = (header or "").partition(" ")
    if scheme != "Bearer" or not token or not hmac.compare_digest(token, api_key):
        return (401, "AuthenticationError", "The API key in the request is missing or invalid.")
    return None


def _bad(message: str, param: str = "") -> Rejection:
    code = f"InvalidParameter.{param}" if param else "InvalidParameter"
    return (
        400,
        code,
        f"The parameter `{param or 'body'}` specified in the request is not valid: {message}",
    )


def _check_url(url: Any) -> Rejection | None:
    if not isinstance(url, str) or not url:
        return _bad("image_url.url must be a non-empty string", "content")
    if url.startswith(("http://", "https://")):
        return None
    m = DATA_URL.match(url)
    if m is None:
        return _bad("image_url.url must be a URL or a data:image/<fmt>;base64, URI", "content")
    try:
        base64.b64decode(m.group(2), validate=True)
    except (ValueError, binascii.Error):
        return _bad("image data URI is not valid base64", "content")
    return None


def _check_content(model: str, content: Any) -> Rejection | None:
    spec = MODELS[model]
    if not isinstance(content, list) or not content:
        return (400, "MissingParameter", "The request is missing the required parameter `content`.")
    roles: list[str] = []
    texts = 0
    for item in content:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "text":
            texts += 1
            if not isinstance(item.get("text"), str):
                return _bad("text must be a string", "content")
        elif kind == "image_url":
            role = item.get("role", "first_frame")
            if role not in ROLES:
                return _bad(f"unknown image role {role!r}", "content")
            if problem := _check_url((item.get("image_url") or {}).get("url")):
                return problem
            roles.append(role)
        else:
            return _bad(f"content type {kind!r} is not supported here", "content")
    frames = [r for r in roles if r != "reference_image"]
    refs = len(roles) - len(frames)
    if texts > 1:
        return _bad("at most one text item", "content")
    if frames and refs:
        return _bad("first/last frames and reference images cannot be combined", "content")
    if frames.count("first_frame") > 1 or frames.count("last_frame") > 1:
        return _bad("at most one first_frame and one last_frame", "content")
    if "last_frame" in frames and "first_frame" not in frames:
        return _bad("last_frame requires first_frame", "content")
    if frames and not spec.i2v:
        return _bad(f"{model} does not accept images", "content")
    if "last_frame" in frames and not spec.last_frame:
        return _bad(f"{model} does not accept a last_frame", "content")
    if refs > spec.max_references:
        return _bad(f"{model} takes at most {spec.max_references} reference images", "content")
    if not roles and not spec.t2v:
        return _bad(f"{model} needs an image", "content")
    if not texts and not frames:
        return _bad("a text prompt is required", "content")
    return None


def check_body(body: Any) -> Rejection | None:
    if not isinstance(body, dict):
        return _bad("request body must be a JSON object")
    if unknown := sorted(set(body) - TOP_LEVEL):
        return _bad(f"unknown field {unknown[0]!r}", unknown[0])
    model = body.get("model")
    if not model:
        return (400, "MissingParameter", "The request is missing the required parameter `model`.")
    if model not in MODELS:
        return (
            404,
            "InvalidEndpointOrModel.NotFound",
            f"The model or endpoint {model} does not exist or you do not have access to it.",
        )
    spec = MODELS[model]
    if problem := _check_content(model, body.get("content")):
        return problem
    ratio = body.get("ratio", "16:9")
    if ratio not in RATIOS and ratio != "adaptive":
        return _bad(f"ratio must be one of {sorted(RATIOS)} or adaptive", "ratio")
    duration = body.get("duration", 5)
    lo, hi = spec.durations
    ok = isinstance(duration, int) and not isinstance(duration, bool)
    if not ok or not (lo <= duration <= hi or (duration == -1 and spec.auto_duration)):
        return _bad(f"duration must be an integer in [{lo}, {hi}]", "duration")
    if body.get("resolution", spec.resolutions[0]) not in spec.resolutions:
        return _bad(f"resolution must be one of {list(spec.resolutions)}", "resolution")
    for flag in ("camera_fixed", "watermark", "generate_audio", "return_last_frame", "draft"):
        if flag in body and not isinstance(body[flag], bool):
            return _bad(f"{flag} must be a boolean", flag)
    if body.get("generate_audio") and not spec.audio:
        return _bad(f"{model} does not generate audio", "generate_audio")
    if body.get("service_tier", "default") not in ("default", "flex"):
        return _bad("service_tier must be default or flex", "service_tier")
    seed = body.get("seed", -1)
    if not isinstance(seed, int) or isinstance(seed, bool) or not -1 <= seed <= 2**32 - 1:
        return _bad("seed must be an integer in [-1, 2^32-1]", "seed")
    expires = body.get("execution_expires_after", 172800)
    if not isinstance(expires, int) or not 3600 <= expires <= 259200:
        return _bad("execution_expires_after must be in [3600, 259200]", "execution_expires_after")
    return None
