"""What the Runway sandbox refuses, and how: auth (Bearer + ``X-Runway-Version``) and body
validation per model and endpoint, from the same model table the adapter uses (research §5.2).

Each check returns None or ``(status, message, issues)``; issues follow the API's validation
error shape ``[{"path": [...], "message": ...}]`` [?: shape not in the research]."""

from __future__ import annotations

from typing import Any

from ..providers.runway.models import API_VERSION, MODELS, ModelSpec

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
    if route == "video_to_video" and not str(body.get(spec.video_field) or ""):
        return _issue(spec.video_field, "Required")
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
    if len(body.get("keyframes") or []) > 5:
        return _issue("keyframes", "Array must contain at most 5 element(s)")
    return None
