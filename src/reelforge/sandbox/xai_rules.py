"""What the xAI sandbox checks before it accepts a job (providers-2 §1.3-1.8): the Bearer key,
a JSON body (multipart is rejected), the model's durations, aspect ratios and resolutions, the
image / reference exclusions, and the price of a job in ``cost_in_usd_ticks``.

Errors are xAI's REST shape, ``{"code": "<gRPC status description>", "error": "<message>"}``;
a wrong key answers HTTP 400 "Client specified an invalid argument" as the real API does [3P].
Each check answers (HTTP status, body) or None.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from decimal import Decimal
from typing import Any

Rejection = tuple[int, dict[str, Any]]

INVALID = "Client specified an invalid argument"
UNAUTHENTICATED = "The request does not have valid authentication credentials for the operation"
PERMISSION = "The caller does not have permission to execute the specified operation"
EXHAUSTED = "Some resource has been exhausted"
NOT_FOUND = "Some requested entity (e.g., file or directory) was not found"
INTERNAL = "Internal error"

ASPECTS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3")
BASE = "grok-imagine-video"
V15 = (
    "grok-imagine-video-1.5",
    "grok-imagine-video-1.5-preview",
    "grok-imagine-video-1.5-2026-05-30",
)
# On the xAI API too (docs.x.ai video guide and model page): T2V and I2V only, refusing
# reference_images and last_frame [3P]; its 1080p is an upscale of 720p [DOC], not offered here.
LITE = "grok-imagine-video-1.5-lite"
RESOLUTIONS: dict[str, tuple[str, ...]] = {
    BASE: ("480p", "720p"),
    "grok-imagine-video-1.5": ("480p", "720p", "1080p"),
    "grok-imagine-video-1.5-preview": ("480p", "720p"),
    "grok-imagine-video-1.5-2026-05-30": ("480p", "720p"),
    LITE: ("480p", "720p"),
}
# USD per second by resolution, and per input image (providers-2 §1.8; 3P-sourced, volatile).
PRICES: dict[str, dict[str, Decimal]] = {
    BASE: {"480p": Decimal("0.05"), "720p": Decimal("0.07")},
    **{
        m: {"480p": Decimal("0.08"), "720p": Decimal("0.14"), "1080p": Decimal("0.25")} for m in V15
    },
    LITE: {"480p": Decimal("0.02")},  # 720p unknown [?]: price_ticks bills it at the 480p rate
}
IMAGE_PRICES: dict[str, Decimal] = {
    BASE: Decimal("0.002"),
    **{m: Decimal("0.01") for m in V15},
    LITE: Decimal(0),  # no input-image price found for lite [?]
}
TICKS_PER_USD = 10**10
DEFAULTS: dict[str, Any] = {"duration": 8, "aspect_ratio": "16:9", "resolution": "480p"}


def error(status: int, message: str, code: str = INVALID) -> Rejection:
    return status, {"code": code, "error": message}


def check_auth(header: str | None, api_key: str) -> Rejection | None:
    if not header:
        return error(401, "No API key provided. Send Authorization: Bearer <key>.", UNAUTHENTICATED)
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme != "Bearer" or not hmac.compare_digest(token, api_key):
        hint = f"{token[:2]}***{token[-2:]}" if len(token) > 4 else "***"
        msg = f"Incorrect API key provided: {hint}. You can obtain an API key from the console."
        return error(400, msg)
    return None


def read_json(content_type: str, body: bytes) -> dict[str, Any] | Rejection:
    """JSON only: multipart (the OpenAI SDK's shape) and anything else is rejected."""
    if not content_type.startswith("application/json"):
        return error(415, f"Unsupported Content-Type {content_type!r}: send application/json")
    try:
        data = json.loads(body or b"null")
    except ValueError as exc:
        return error(400, f"Failed to deserialize the JSON body: {exc}")
    if not isinstance(data, dict):
        return error(400, "The JSON body must be an object")
    return data


def decode_data_uri(value: Any) -> bytes | None:
    """The bytes of a ``data:…;base64,`` URI; None for anything else (no network here)."""
    if not isinstance(value, str) or not value.startswith("data:"):
        return None
    head, _, data = value.partition(",")
    if not head.endswith(";base64"):
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def check_common(body: dict[str, Any]) -> Rejection | None:
    model = body.get("model")
    if model not in RESOLUTIONS:
        return error(
            404, f"The model {model!r} does not exist or your team has no access.", NOT_FOUND
        )
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return error(400, "prompt must be a non-empty string")
    if "seed" in body or "n" in body:
        return error(400, "Unknown field: video generation takes no seed or n")
    return None


def check_generation(body: dict[str, Any]) -> Rejection | None:
    """Fills the defaults (8 s, 16:9, 480p) into ``body`` and answers the first problem."""
    if problem := check_common(body):
        return problem
    for key, value in DEFAULTS.items():
        body.setdefault(key, value)
    model = body["model"]
    duration = body["duration"]
    if not isinstance(duration, int) or isinstance(duration, bool) or not 1 <= duration <= 15:
        return error(400, "duration must be an integer between 1 and 15 seconds")
    if body["aspect_ratio"] not in ASPECTS:
        return error(400, f"aspect_ratio must be one of {list(ASPECTS)}")
    if body["resolution"] not in RESOLUTIONS[model]:
        return error(400, f"resolution {body['resolution']!r} is not supported by {model}")
    refs = body.get("reference_images")
    if refs is not None:
        if "image" in body:
            return error(400, "image and reference_images cannot be used together")
        if not isinstance(refs, list) or not 1 <= len(refs) <= 7:
            return error(400, "reference_images takes 1 to 7 images")
        if body["resolution"] == "1080p":
            return error(400, "1080p is not supported for reference-to-video")
    for item in [body.get("image"), body.get("last_frame"), *(refs or [])]:
        if item is None:
            continue
        if not isinstance(item, dict) or decode_data_uri(item.get("url")) is None:
            return error(400, "images must be {url: data:...;base64,...} in the sandbox")
    if "last_frame" in body and model == BASE:
        return error(400, f"last_frame is not supported by {model}")
    for name in ("reference_images", "last_frame"):
        if name in body and model == LITE:  # the API's wording, as a client reports it [3P]
            return error(400, f"`{name}` is not supported for this model.")
    audios = body.get("reference_audios")
    if audios is not None:
        if model != "grok-imagine-video-1.5":
            return error(400, f"reference_audios is not supported by {model}")
        if not isinstance(audios, list) or len(audios) > 3:
            return error(400, "reference_audios takes at most 3 voices")
    return None


def check_source(body: dict[str, Any], *, extension: bool) -> Rejection | None:
    if problem := check_common(body):
        return problem
    if body["model"] != BASE:
        return error(400, f"{body['model']} does not support video edits or extensions")
    video = body.get("video")
    if not isinstance(video, dict) or not (video.get("url") or video.get("file_id")):
        return error(400, "video: {url} or {file_id} is required")
    if video.get("url") and video.get("file_id"):
        return error(400, "video.url and video.file_id are exclusive")
    if extension:
        body.setdefault("duration", 6)
        duration = body["duration"]
        if not isinstance(duration, int) or isinstance(duration, bool) or not 1 <= duration <= 10:
            return error(400, "an extension adds 1 to 10 seconds")
    return None


def price_ticks(model: str, resolution: str, seconds: float, images: int) -> int:
    usd = PRICES[model].get(resolution, PRICES[model]["480p"]) * Decimal(str(seconds))
    usd += IMAGE_PRICES[model] * images
    return int(usd * TICKS_PER_USD)
