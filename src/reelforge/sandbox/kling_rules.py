"""What the Kling sandbox checks before it accepts a task: the token and the body (research
§3.1, §3.3, §3.7). Each check answers Kling's (HTTP status, code, message) or None."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any

Rejection = tuple[int, int, str]

MODELS = {
    "kling-v3",
    "kling-v2-6",
    "kling-v2-5-turbo",
    "kling-v2-1",
    "kling-v2-1-master",
    "kling-v2-master",
    "kling-v1-6",
    "kling-v1-5",
    "kling-v1",
}
SOUND_MODELS = {"kling-v2-6", "kling-v3"}
CAMERA_TYPES = {"simple", "down_back", "forward_up", "right_turn_forward", "left_turn_forward"}
CAMERA_KEYS = {"horizontal", "vertical", "pan", "tilt", "roll", "zoom"}


def _unb64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def check_auth(
    header: str | None, *, access_key: str, secret_key: str, api_key: str | None
) -> Rejection | None:
    """An API key as Bearer, or an HS256 JWT with iss = access key, signed with the secret."""
    if not header:
        return (401, 1001, "Authorization is empty")
    scheme, _, token = header.partition(" ")
    if scheme != "Bearer" or not token:
        return (401, 1002, "Authorization is invalid")
    if api_key and hmac.compare_digest(token, api_key):
        return None
    parts = token.split(".")
    if len(parts) != 3:
        return (401, 1002, "Authorization is invalid")
    try:
        head = json.loads(_unb64url(parts[0]))
        claims = json.loads(_unb64url(parts[1]))
        sig = _unb64url(parts[2])
    except (ValueError, binascii.Error):
        return (401, 1002, "Authorization is invalid")
    want = hmac.new(secret_key.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    if head.get("alg") != "HS256" or not hmac.compare_digest(sig, want):
        return (401, 1000, "Authorization failed: signature mismatch")
    if claims.get("iss") != access_key:
        return (401, 1000, "Authorization failed: unknown access key")
    now = time.time()
    if claims.get("nbf", 0) > now:
        return (401, 1003, "Authorization is not yet valid")
    if claims.get("exp", 0) <= now:
        return (401, 1004, "Authorization has expired")
    return None


def _bad(message: str) -> Rejection:
    return (400, 1201, message)


def _check_image(value: Any, name: str) -> Rejection | None:
    if not isinstance(value, str) or not value:
        return _bad(f"{name} must be a URL or base64 string")
    if value.startswith(("http://", "https://")):
        return None
    if value.startswith("data:"):
        return _bad(f"{name}: base64 must not carry a data: prefix")
    try:
        base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        return _bad(f"{name} is neither a URL nor valid base64")
    return None


def check_body(route: str, body: Any) -> Rejection | None:
    if not isinstance(body, dict):
        return (400, 1200, "request body must be a JSON object")
    model = body.get("model_name", "kling-v1")
    if model not in MODELS:
        return (404, 1203, f"model {model!r} not found")
    prompt = body.get("prompt", "")
    if route == "text2video" and not prompt and not body.get("multi_shot"):
        return _bad("prompt is required")
    if not isinstance(prompt, str) or len(prompt) > 2500:
        return _bad("prompt must be a string of at most 2500 characters")
    if body.get("mode", "std") not in ("std", "pro", "4k"):
        return _bad("mode must be std or pro")
    duration = body.get("duration", "5")
    allowed = [str(d) for d in range(3, 16)] if model == "kling-v3" else ["5", "10"]
    if not isinstance(duration, str) or duration not in allowed:  # Kling wants a *string*
        return _bad(f"duration must be one of {allowed} (a string)")
    if body.get("aspect_ratio", "16:9") not in ("16:9", "9:16", "1:1"):
        return _bad("aspect_ratio must be 16:9, 9:16 or 1:1")
    sound = body.get("sound", "off")
    if sound not in ("on", "off") or (sound == "on" and model not in SOUND_MODELS):
        return _bad(f"sound={sound!r} is not supported by {model}")
    cfg = body.get("cfg_scale")
    if cfg is not None and (not isinstance(cfg, int | float) or not 0 <= cfg <= 1):
        return _bad("cfg_scale must be in [0, 1]")
    if "camera_control" in body and (problem := _check_camera(body["camera_control"])):
        return problem
    if route == "image2video":
        if not body.get("image") and not body.get("image_tail"):
            return _bad("image or image_tail is required")
        for name in ("image", "image_tail"):
            if name in body and (problem := _check_image(body[name], name)):
                return problem
    ext = body.get("external_task_id")
    if ext is not None and (not isinstance(ext, str) or not ext):
        return _bad("external_task_id must be a non-empty string")
    return None


def _check_camera(cc: Any) -> Rejection | None:
    if not isinstance(cc, dict) or cc.get("type") not in CAMERA_TYPES:
        return _bad("camera_control.type is invalid")
    config = cc.get("config")
    if cc["type"] != "simple":
        return None if config is None else _bad("only simple camera_control takes a config")
    if not isinstance(config, dict) or set(config) - CAMERA_KEYS:
        return _bad("camera_control.config is invalid")
    nonzero = [k for k, v in config.items() if v]
    if len(nonzero) != 1 or not all(-10 <= v <= 10 for v in config.values()):
        return _bad("simple camera_control needs exactly one non-zero value in [-10, 10]")
    return None
