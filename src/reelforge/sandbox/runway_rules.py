"""What the Runway sandbox refuses, and how: auth (Bearer + ``X-Runway-Version``) and body
validation per model and endpoint, from the same model table the adapter uses (research §5.2).

Each check returns None or ``(status, message, issues)``; issues follow the API's validation
error shape ``[{"path": [...], "message": ...}]`` [?: shape not in the research]."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ..providers.runway.models import API_VERSION, MODELS, TARGET_ASPECTS, VIDEO_LIMIT, ModelSpec

Problem = tuple[int, str, list[dict[str, Any]]]
VALIDATION = "Validation of body failed"


def check_auth(authorization: str | None, version: str | None, *, api_key: str) -> Problem | None:
    if not authorization or not authorization.startswith("Bearer "):
        return (401, "No API key provided in the Authorization header", [])
    if authorization.removeprefix("Bearer ").strip() != api_key:
        return (401, "Invalid API key", [])
    if version is None:
        return (400, "Missing X-Runway-Version header", [])
    if version != API_VERSION:
        return (400, f"Unsupported API version {version!r}", [])
    return None


def _issue(path: str, message: str) -> Problem:
    return (400, VALIDATION, [{"path": path.split("."), "message": message}])


def _image_problem(spec: ModelSpec, images: Any) -> Problem | None:
    if isinstance(images, str):
        images = [{"uri": images, "position": "first"}]
    if not isinstance(images, list) or not images:
        return _issue("promptImage", "Required")
    positions = [i.get("position", "first") if isinstance(i, dict) else None for i in images]
    if any(not isinstance(i, dict) or not str(i.get("uri", "")) for i in images):
        return _issue("promptImage", "Each image needs a uri")
    if "last" in positions and not spec.last_frame:
        return _issue("promptImage.position", "Invalid enum value. Expected 'first'")
    if "first" not in positions:
        return _issue(
            "promptImage", "This model does not support generating with only a last frame"
        )
    if len(positions) != len(set(positions)):
        return _issue("promptImage", "Duplicate positions")
    return None


def data_uri_bytes(uri: str, kind: str) -> bytes | None:
    """The payload of a ``data:<kind>/...;base64,`` URI; None when it is not one."""
    head, _, payload = uri.partition(",")
    if not (head.startswith(f"data:{kind}/") and head.endswith(";base64")):
        return None
    try:
        return base64.b64decode(payload, validate=True)
    except binascii.Error:
        return None


def _video_problem(field: str, uri: Any) -> Problem | None:
    """An input video: an https URL, a runway:// upload, or a base64 video data URI ≤16 MB."""
    if not isinstance(uri, str) or not uri:
        return _issue(field, "Required")
    if uri.startswith(("https://", "runway://")):
        return None  # not fetched: the sandbox has no network
    if not uri.startswith("data:"):
        return _issue(field, "Expected an HTTPS URL, a Runway upload URI or a data URI")
    data = data_uri_bytes(uri, "video")
    if data is None:
        return _issue(field, "Invalid data URI: expected data:video/<type>;base64,<data>")
    if len(data) > VIDEO_LIMIT:
        return _issue(field, "Video data URIs must be at most 16MB; upload larger files")
    return None


def _keyframes_problem(keyframes: Any) -> Problem | None:
    if not isinstance(keyframes, list):
        return _issue("keyframes", "Expected array")
    if len(keyframes) > 5:
        return _issue("keyframes", "Array must contain at most 5 element(s)")
    for i, frame in enumerate(keyframes):
        if not isinstance(frame, dict) or not str(frame.get("uri") or ""):
            return _issue(f"keyframes.{i}.uri", "Required")
        if ("at" in frame) == ("seconds" in frame):
            return _issue(f"keyframes.{i}", "Expected exactly one of 'at' and 'seconds'")
    return None


def check_body(route: str, body: Any) -> Problem | None:
    if not isinstance(body, dict):
        return _issue("body", "Expected object")
    model = body.get("model")
    spec = MODELS.get(str(model))
    if spec is None:
        return _issue("model", f"Invalid enum value: {model!r}")
    ratios: tuple[str, ...] = ()
    if route == "text_to_video":
        ratios = spec.t2v_ratios
    elif route == "image_to_video":
        ratios = spec.i2v_ratios
    if (route == "video_to_video" and not spec.v2v) or (route != "video_to_video" and not ratios):
        return _issue("model", f"{model} is not available on /v1/{route}")
    text = body.get("promptText")
    if route == "text_to_video" and not text:
        return _issue("promptText", "Required")
    if text is not None and (
        not isinstance(text, str) or len(text.encode("utf-16-le")) // 2 > spec.max_prompt
    ):
        return _issue("promptText", f"String must contain at most {spec.max_prompt} character(s)")
    if route == "image_to_video" and (problem := _image_problem(spec, body.get("promptImage"))):
        return problem
    if route == "video_to_video" and (
        problem := _video_problem(spec.video_field, body.get(spec.video_field))
    ):
        return problem
    if "ratio" in body and route != "video_to_video" and body["ratio"] not in ratios:
        return _issue("ratio", f"Invalid enum value. Expected {' | '.join(ratios)}")
    if route != "video_to_video" and "ratio" not in body and not spec.i2v_resolution:
        return _issue("ratio", "Required")
    if spec.duration_sent and "duration" in body:
        if body["duration"] not in spec.durations or isinstance(body["duration"], bool):
            return _issue("duration", f"Expected one of {list(spec.durations)}")
    elif spec.duration_sent and model == "gen4.5":
        return _issue("duration", "Required")
    if "audio" in body and (not spec.audio or not isinstance(body["audio"], bool)):
        return _issue("audio", "Unrecognized key(s) in object: 'audio'")
    if "seed" in body:
        seed = body["seed"]
        if not spec.seed or not isinstance(seed, int) or not 0 <= seed <= 4294967295:
            return _issue("seed", "Expected an integer between 0 and 4294967295")
    refs = body.get("references") or []
    if len(refs) > spec.references:
        return _issue("references", f"Array must contain at most {spec.references} element(s)")
    if "negativePrompt" in body and not spec.negative_prompt:
        return _issue("negativePrompt", "Unrecognized key(s) in object: 'negativePrompt'")
    if "keyframes" in body and (problem := _keyframes_problem(body["keyframes"])):
        return problem
    aspect = body.get("targetAspectRatio")
    if aspect is not None and aspect not in TARGET_ASPECTS:
        return _issue(
            "targetAspectRatio", f"Invalid enum value. Expected {' | '.join(TARGET_ASPECTS)}"
        )
    return None
