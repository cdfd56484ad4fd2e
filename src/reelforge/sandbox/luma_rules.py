"""What the Luma sandbox refuses, and how: Bearer auth and ``POST /generations/video`` body
validation from the same vocabularies the adapter uses (research §7, lumaai 1.21.0 types).

Each check returns None or ``(status, detail)``; answers are ``{"detail": ...}`` [?: the
research gives no error envelope]."""

from __future__ import annotations

from typing import Any

from ..providers.luma.models import ASPECT_RATIOS, MODELS, RESOLUTIONS

Problem = tuple[int, str]
DURATIONS = ("5s", "9s")
KNOWN = {
    "model",
    "prompt",
    "generation_type",
    "keyframes",
    "aspect_ratio",
    "resolution",
    "duration",
    "loop",
    "concepts",
    "callback_url",
}


def check_auth(authorization: str | None, *, api_key: str) -> Problem | None:
    if not authorization or not authorization.startswith("Bearer "):
        return (401, "Not authenticated")
    if authorization.removeprefix("Bearer ").strip() != api_key:
        return (401, "Invalid API key")
    return None


def _keyframe_problem(slot: str, frame: Any, known_ids: set[str]) -> Problem | None:
    if not isinstance(frame, dict):
        return (422, f"keyframes.{slot}: expected an object")
    kind = frame.get("type")
    if kind == "image":
        url = frame.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return (400, f"keyframes.{slot}.url: must be an http(s) image URL")
        return None
    if kind == "generation":
        gen_id = frame.get("id")
        if not isinstance(gen_id, str) or not gen_id:
            return (422, f"keyframes.{slot}.id: field required")
        if gen_id not in known_ids:
            return (400, f"keyframes.{slot}: generation {gen_id} not found or not completed")
        return None
    return (422, f"keyframes.{slot}.type: expected 'image' or 'generation'")


def check_body(body: Any, completed_ids: set[str]) -> Problem | None:
    if not isinstance(body, dict):
        return (422, "body: expected an object")
    extra = sorted(set(body) - KNOWN)
    if extra:
        return (422, f"{extra[0]}: extra fields not permitted")
    if body.get("model") not in MODELS:
        return (422, f"model: unexpected value {body.get('model')!r}; permitted: {MODELS}")
    if body.get("generation_type", "video") != "video":
        return (422, "generation_type: expected 'video'")
    prompt = body.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        return (422, "prompt: expected a string")
    keyframes = body.get("keyframes")
    if keyframes is not None:
        if not isinstance(keyframes, dict) or not set(keyframes) <= {"frame0", "frame1"}:
            return (422, "keyframes: expected {frame0, frame1}")
        for slot, frame in keyframes.items():
            if problem := _keyframe_problem(slot, frame, completed_ids):
                return problem
    if not prompt and not keyframes:
        return (400, "prompt is required")
    if "aspect_ratio" in body and body["aspect_ratio"] not in ASPECT_RATIOS:
        return (422, f"aspect_ratio: unexpected value {body['aspect_ratio']!r}")
    if "resolution" in body and body["resolution"] not in RESOLUTIONS:
        return (422, f"resolution: unexpected value {body['resolution']!r}")
    if "duration" in body and body["duration"] not in DURATIONS:
        return (422, f"duration: unexpected value {body['duration']!r}; expected '5s' or '9s'")
    if "loop" in body and not isinstance(body["loop"], bool):
        return (422, "loop: expected a boolean")
    return None
