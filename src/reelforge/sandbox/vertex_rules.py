"""What the Vertex sandbox checks before it creates an operation: the caller's credentials, the
project and location in the path, and the ``predictLongRunning`` body (research §1.1, §1.2,
§1.5). Each check answers Google's (HTTP status, status string, message) or None.

The parameter rules shared with the Gemini API (durations, aspect ratios, resolutions, person
generation, sample count) are the Veo sandbox's; Vertex adds ``seed``, ``generateAudio``,
``storageUri`` and friends, Cloud Storage image inputs and STYLE reference images.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Any

from .veo_rules import PARAMETER_KEYS, Rejection, check_shape
from .veo_rules import _check_parameters as check_shared_parameters

MODELS = {
    "veo-2.0-generate-001",
    "veo-2.0-generate-exp",
    "veo-3.0-generate-001",
    "veo-3.0-fast-generate-001",
    "veo-3.1-generate-001",
    "veo-3.1-fast-generate-001",
    "veo-3.1-lite-generate-001",
    "veo-3.1-generate-preview",
    "veo-3.1-fast-generate-preview",
}
LOCATIONS = {"global", "us-central1", "us-east4", "us-west1", "europe-west4", "asia-northeast1"}
INSTANCE_KEYS = {"prompt", "image", "lastFrame", "referenceImages", "video", "mask"}
VERTEX_PARAMETER_KEYS = PARAMETER_KEYS | {
    "seed",
    "fps",
    "generateAudio",
    "storageUri",
    "compressionQuality",
    "resizeMode",
    "pubsubTopic",
}
STYLE_MODELS = {"veo-2.0-generate-exp"}  # STYLE reference images: Preview on this model only
SEED_MAX = 2**32 - 1
CREDENTIALS_HELP = (
    "Expected OAuth 2 access token, login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
MISSING_CREDENTIALS = f"Request is missing required authentication credential. {CREDENTIALS_HELP}"
BAD_CREDENTIALS = f"Request had invalid authentication credentials. {CREDENTIALS_HELP}"
BAD_KEY = "API key not valid. Please pass a valid API key."


def _same(sent: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def check_auth(
    headers: dict[str, str],
    query: dict[str, str],
    *,
    access_token: str,
    api_key: str,
    express: bool,
) -> Rejection | None:
    """A bearer token (project paths), or an API key in ``x-goog-api-key``/``?key=`` (express
    paths, and project paths [?]). Google answers a bad token with 401, a bad key with 400."""
    key = headers.get("x-goog-api-key") or query.get("key")
    auth = headers.get("authorization", "")
    if key:
        return None if _same(key, api_key) else (400, "INVALID_ARGUMENT", BAD_KEY)
    if express:  # no project in the path: only an API key says whose call this is
        return (401, "UNAUTHENTICATED", MISSING_CREDENTIALS)
    if not auth:
        return (401, "UNAUTHENTICATED", MISSING_CREDENTIALS)
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not _same(token.strip(), access_token):
        return (401, "UNAUTHENTICATED", BAD_CREDENTIALS)
    return None


def check_scope(project: str, location: str, model: str, *, own_project: str) -> Rejection | None:
    """The project must be the caller's and the location one Veo is served in."""
    resource = f"projects/{project}/locations/{location}/publishers/google/models/{model}"
    if project != own_project:
        return (
            403,
            "PERMISSION_DENIED",
            f"Permission 'aiplatform.endpoints.predict' denied on resource "
            f"'//aiplatform.googleapis.com/{resource}' (or it may not exist).",
        )
    if location not in LOCATIONS:
        return _bad(f"Location {location} is not supported for this model.")
    return None


def _bad(message: str) -> Rejection:
    return (400, "INVALID_ARGUMENT", message)


def _check_media(value: Any, name: str, kinds: tuple[str, ...]) -> Rejection | None:
    """``{bytesBase64Encoded | gcsUri, mimeType}``: exactly one source (a union on the wire)."""
    if not isinstance(value, dict):
        return _bad(f"{name} must be an object with bytesBase64Encoded or gcsUri and mimeType")
    if unknown := set(value) - {"bytesBase64Encoded", "gcsUri", "mimeType"}:
        return _bad(f'Invalid JSON payload received. Unknown name "{sorted(unknown)[0]}" at {name}')
    sources = [k for k in ("bytesBase64Encoded", "gcsUri") if value.get(k)]
    if len(sources) != 1:
        return _bad(f"{name} needs exactly one of bytesBase64Encoded and gcsUri")
    if not str(value.get("mimeType", "")).startswith(kinds):
        return _bad(f"{name}.mimeType must be one of {', '.join(kinds)}*")
    if "gcsUri" in sources and not str(value["gcsUri"]).startswith("gs://"):
        return _bad(f"{name}.gcsUri must be a gs:// URI")
    if "bytesBase64Encoded" in sources:
        try:
            base64.b64decode(str(value["bytesBase64Encoded"]), validate=True)
        except (ValueError, binascii.Error):
            return _bad(f"{name}.bytesBase64Encoded is not valid base64")
    return None


def check_body(model: str, body: Any, *, resource: str) -> Rejection | None:
    if model not in MODELS:
        return (404, "NOT_FOUND", f"Publisher Model `{resource}` was not found or your project "
                "does not have access to it.")  # fmt: skip
    if problem := check_shape(body, {"instances", "parameters", "labels"}, INSTANCE_KEYS):
        return problem
    inst, params = body["instances"][0], body.get("parameters") or {}
    if unknown := set(params) - VERTEX_PARAMETER_KEYS:
        return _bad(f'Invalid JSON payload received. Unknown name "{sorted(unknown)[0]}"')
    return (
        _check_instance(model, inst)
        or check_shared_parameters(model, params, inst)
        or _check_vertex_parameters(model, params)
    )


def _check_instance(model: str, inst: dict[str, Any]) -> Rejection | None:
    prompt = inst.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        return _bad("prompt must be a string")
    if not prompt and "image" not in inst:
        return _bad("prompt is required")
    for name in ("image", "lastFrame"):
        if name in inst and (problem := _check_media(inst[name], name, ("image/",))):
            return problem
    if "video" in inst and (problem := _check_media(inst["video"], "video", ("video/",))):
        return problem
    if "lastFrame" in inst and "image" not in inst:
        return _bad("lastFrame is only supported for image to video: image is required")
    refs = inst.get("referenceImages")
    if refs is None:
        return None
    if "image" in inst or "lastFrame" in inst or "video" in inst:
        return _bad("image, video and lastFrame are not allowed with referenceImages")
    if not isinstance(refs, list) or not refs:
        return _bad("referenceImages must be a non-empty list")
    kinds = {str(r.get("referenceType", "")).upper() if isinstance(r, dict) else "" for r in refs}
    if kinds - {"ASSET", "STYLE"} or len(kinds) != 1:
        return _bad("referenceImages[].referenceType must be ASSET or STYLE, not mixed")
    if kinds == {"STYLE"} and (model not in STYLE_MODELS or len(refs) != 1):
        return _bad(f"style reference images take 1 image and only {sorted(STYLE_MODELS)[0]}")
    if len(refs) > 3:
        return _bad("referenceImages takes at most 3 asset images")
    for i, ref in enumerate(refs):
        if problem := _check_media(ref.get("image"), f"referenceImages[{i}].image", ("image/",)):
            return problem
    return None


def _check_vertex_parameters(model: str, params: dict[str, Any]) -> Rejection | None:
    if "seed" in params:
        seed = params["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
            return _bad(f"seed must be an integer between 0 and {SEED_MAX}")
    if "generateAudio" in params:
        if not isinstance(params["generateAudio"], bool):
            return _bad("generateAudio must be a boolean")
        if params["generateAudio"] and not model.startswith("veo-3"):
            return _bad(f"`generateAudio` isn't supported by {model}.")
    if "storageUri" in params:
        uri = params["storageUri"]
        if not isinstance(uri, str) or not uri.startswith("gs://") or len(uri) <= len("gs://"):
            return _bad("storageUri must be a Cloud Storage URI (gs://bucket/prefix)")
    return None
