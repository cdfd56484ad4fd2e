"""What the Veo sandbox checks before it creates an operation: the API key and the
``predictLongRunning`` body (research §1.1, §1.2, §1.5). Each check answers Google's
(HTTP status, status string, message) or None."""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Any

Rejection = tuple[int, str, str]

MODELS = {
    "veo-3.1-generate-preview",
    "veo-3.1-fast-generate-preview",
    "veo-3.1-lite-generate-preview",
    "veo-3.0-generate-001",
    "veo-3.0-fast-generate-001",
    "veo-2.0-generate-001",
}
INSTANCE_KEYS = {"prompt", "image", "lastFrame", "referenceImages", "video"}
PARAMETER_KEYS = {
    "sampleCount",
    "durationSeconds",
    "aspectRatio",
    "resolution",
    "personGeneration",
    "negativePrompt",
    "enhancePrompt",
}
# Accepted by Vertex only: the Gemini API refuses them (the SDK raises before sending).
VERTEX_ONLY = {"seed", "fps", "generateAudio", "storageUri", "compressionQuality", "resizeMode"}
UNREGISTERED = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
BAD_KEY = "API key not valid. Please pass a valid API key."


def check_key(header: str | None, query: str | None, api_key: str) -> Rejection | None:
    """The key in ``x-goog-api-key`` or ``?key=``; Google answers a wrong key with 400."""
    sent = header or query
    if not sent:
        return (403, "PERMISSION_DENIED", UNREGISTERED)
    if not hmac.compare_digest(sent.encode(), api_key.encode()):
        return (400, "INVALID_ARGUMENT", BAD_KEY)
    return None


def durations(model: str) -> tuple[int, ...]:
    return (5, 6, 7, 8) if model.startswith("veo-2") else (4, 6, 8)


def _bad(message: str) -> Rejection:
    return (400, "INVALID_ARGUMENT", message)


def _check_image(value: Any, name: str) -> Rejection | None:
    if not isinstance(value, dict):
        return _bad(f"{name} must be an object with bytesBase64Encoded and mimeType")
    if "gcsUri" in value:
        return _bad(f"{name}.gcsUri isn't supported by the Gemini API; send inline bytes")
    if set(value) - {"bytesBase64Encoded", "mimeType"}:
        return _bad(f"Invalid JSON payload received. Unknown name in {name}")
    if value.get("mimeType") not in ("image/png", "image/jpeg", "image/webp"):
        return _bad(f"{name}.mimeType must be image/png, image/jpeg or image/webp")
    try:
        base64.b64decode(str(value.get("bytesBase64Encoded", "")), validate=True)
    except (ValueError, binascii.Error):
        return _bad(f"{name}.bytesBase64Encoded is not valid base64")
    if not value.get("bytesBase64Encoded"):
        return _bad(f"{name}.bytesBase64Encoded is empty")
    return None


def check_shape(body: Any, top_keys: set[str], instance_keys: set[str]) -> Rejection | None:
    """A ``predictLongRunning`` body's shape: only ``top_keys``, exactly one instance holding
    only ``instance_keys``, and parameters (if any) an object."""
    if not isinstance(body, dict) or set(body) - top_keys:
        return _bad("Invalid JSON payload received: expected instances and parameters")
    instances, params = body.get("instances"), body.get("parameters") or {}
    if not isinstance(instances, list) or len(instances) != 1 or not isinstance(instances[0], dict):
        return _bad("instances must hold exactly one instance")
    if not isinstance(params, dict):
        return _bad("parameters must be an object")
    if unknown := set(instances[0]) - instance_keys:
        return _bad(f'Invalid JSON payload received. Unknown name "{sorted(unknown)[0]}"')
    return None


def check_body(model: str, body: Any) -> Rejection | None:
    if model not in MODELS:
        return (
            404,
            "NOT_FOUND",
            f"models/{model} is not found for API version v1beta, or is not supported for "
            "predictLongRunning.",
        )
    if problem := check_shape(body, {"instances", "parameters"}, INSTANCE_KEYS):
        return problem
    inst, params = body["instances"][0], body.get("parameters") or {}
    if vertex := set(params) & VERTEX_ONLY:
        return _bad(f"`{sorted(vertex)[0]}` isn't supported by this model.")
    if unknown := set(params) - PARAMETER_KEYS:
        return _bad(f'Invalid JSON payload received. Unknown name "{sorted(unknown)[0]}"')
    return _check_instance(inst) or _check_parameters(model, params, inst)


def _check_instance(inst: dict[str, Any]) -> Rejection | None:
    prompt = inst.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        return _bad("prompt must be a string")
    if not prompt and "image" not in inst:
        return _bad("prompt is required")
    for name in ("image", "lastFrame"):
        if name in inst and (problem := _check_image(inst[name], name)):
            return problem
    if "lastFrame" in inst and "image" not in inst:
        return _bad("lastFrame is only supported for image to video: image is required")
    refs = inst.get("referenceImages")
    if refs is not None:
        if "image" in inst or "lastFrame" in inst or "video" in inst:
            return _bad("image, video and lastFrame are not allowed with referenceImages")
        if not isinstance(refs, list) or not 1 <= len(refs) <= 3:
            return _bad("referenceImages takes 1 to 3 images")
        for i, ref in enumerate(refs):
            if not isinstance(ref, dict) or str(ref.get("referenceType", "")).upper() != "ASSET":
                return _bad(f"referenceImages[{i}].referenceType must be ASSET on the Gemini API")
            if problem := _check_image(ref.get("image"), f"referenceImages[{i}].image"):
                return problem
    return None


def _check_parameters(model: str, params: dict[str, Any], inst: dict[str, Any]) -> Rejection | None:
    duration = params.get("durationSeconds", 8)
    allowed = durations(model)
    if isinstance(duration, bool) or not isinstance(duration, int) or duration not in allowed:
        return _bad(f"durationSeconds must be one of {list(allowed)}, got {duration!r}")
    if params.get("aspectRatio", "16:9") not in ("16:9", "9:16"):
        return _bad("aspectRatio must be 16:9 or 9:16")
    resolutions = ("720p", "1080p", "4k") if model.startswith("veo-3.1") else ("720p", "1080p")
    if params.get("resolution", "720p") not in resolutions:
        return _bad(f"resolution must be one of {list(resolutions)} for {model}")
    person = params.get("personGeneration", "allow_all")
    if person not in ("dont_allow", "allow_adult", "allow_all"):
        return _bad("personGeneration must be dont_allow, allow_adult or allow_all")
    count = params.get("sampleCount", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 4:
        return _bad("sampleCount must be between 1 and 4")
    for name in ("negativePrompt",):
        if name in params and not isinstance(params[name], str):
            return _bad(f"{name} must be a string")
    return None
