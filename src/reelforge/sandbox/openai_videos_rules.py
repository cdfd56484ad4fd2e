"""What the OpenAI-videos sandbox checks before it accepts a job (research §2.1-2.3): the Bearer
key, the multipart (or JSON) create form, the model's seconds and sizes, and that an input
image is exactly the requested size. Each check answers (HTTP status, error object) or None."""

from __future__ import annotations

import base64
import binascii
import hmac
import io
import json
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

Rejection = tuple[int, dict[str, Any]]

SORA_SECONDS = ("4", "8", "12")
GROK_SECONDS = tuple(str(s) for s in range(1, 16))
SORA_SIZES = ("720x1280", "1280x720")
SORA_PRO_SIZES = (*SORA_SIZES, "1024x1792", "1792x1024")
GROK_SIZES = ("1280x720", "720x1280", "720x720", "848x480", "480x848", "480x480")
MODELS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sora-2": (SORA_SECONDS, SORA_SIZES),
    "sora-2-2025-10-06": (SORA_SECONDS, SORA_SIZES),
    "sora-2-2025-12-08": (SORA_SECONDS, SORA_SIZES),
    "sora-2-pro": (SORA_SECONDS, SORA_PRO_SIZES),
    "sora-2-pro-2025-10-06": (SORA_SECONDS, SORA_PRO_SIZES),
    "grok-imagine-video": (GROK_SECONDS, GROK_SIZES),
    "grok-imagine-video-1.5": (GROK_SECONDS, GROK_SIZES),
}
DEFAULTS = {"model": "sora-2", "seconds": "4", "size": "720x1280"}
IMAGE_MISMATCH = "Inpaint image must match the requested width and height"


def error(
    status: int,
    message: str,
    *,
    type: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
) -> Rejection:
    return status, {"error": {"message": message, "type": type, "param": param, "code": code}}


def check_auth(header: str | None, api_key: str) -> Rejection | None:
    if not header:
        return error(401, "You didn't provide an API key (Authorization: Bearer).")
    scheme, _, token = header.partition(" ")
    if scheme != "Bearer" or not hmac.compare_digest(token.strip(), api_key):
        return error(401, "Incorrect API key provided.", code="invalid_api_key")
    return None


@dataclass
class FilePart:
    filename: str
    content_type: str
    data: bytes


def parse_multipart(content_type: str, body: bytes) -> dict[str, str | FilePart]:
    """multipart/form-data → {name: text | FilePart}, with the stdlib ``email`` parser."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    msg = BytesParser(policy=HTTP).parsebytes(head + body)
    if not msg.is_multipart():
        raise ValueError("body is not multipart")
    fields: dict[str, str | FilePart] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data = part.get_payload(decode=True)
        payload = data if isinstance(data, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            fields[name] = payload.decode("utf-8")
        else:
            fields[name] = FilePart(filename, part.get_content_type(), payload)
    return fields


def _data_url(value: str) -> FilePart:
    head, _, data = value.partition(",")
    if not head.startswith("data:") or not head.endswith(";base64"):
        raise ValueError("image_url must be a base64 data URL in the sandbox (no network)")
    return FilePart("image", head[5:].split(";")[0], base64.b64decode(data, validate=True))


def read_form(content_type: str, body: bytes) -> dict[str, Any] | Rejection:
    """The create form from multipart or JSON (``input_reference: {image_url}``)."""
    try:
        if content_type.startswith("multipart/form-data"):
            form: dict[str, Any] = dict(parse_multipart(content_type, body))
        elif content_type.startswith("application/json"):
            form = json.loads(body or b"{}")
            if not isinstance(form, dict):
                return error(400, "body must be a JSON object")
            ref = form.get("input_reference")
            if isinstance(ref, dict) and isinstance(ref.get("image_url"), str):
                form["input_reference"] = _data_url(ref["image_url"])
            elif isinstance(ref, str):
                return error(
                    400,
                    "Invalid type for 'input_reference': expected a file, but got a string instead",
                    code="invalid_type",
                    param="input_reference",
                )
        else:
            return error(415, f"unsupported Content-Type {content_type!r}")
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        return error(400, f"could not parse the request body: {exc}")
    return form


def image_size(data: bytes) -> tuple[int, int] | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except (UnidentifiedImageError, OSError):
        return None


def check_create(form: dict[str, Any]) -> Rejection | None:
    """Fills defaults into ``form`` and answers the first problem, if any."""
    for key, value in DEFAULTS.items():
        form.setdefault(key, value)
    prompt = form.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return error(400, "Missing required parameter: 'prompt'.", param="prompt")
    model = form["model"]
    if model not in MODELS:
        return error(400, f"Invalid model {model!r}.", code="invalid_value", param="model")
    seconds, sizes = MODELS[model]
    if not isinstance(form["seconds"], str) or form["seconds"] not in seconds:
        msg = f"Invalid value for 'seconds': must be one of {list(seconds)} (a string)."
        return error(400, msg, code="invalid_value", param="seconds")
    if form["size"] not in sizes:
        msg = f"Invalid value for 'size': {model} supports {list(sizes)}."
        return error(400, msg, code="invalid_value", param="size")
    ref = form.get("input_reference")
    if ref is not None:
        if not isinstance(ref, FilePart):
            return error(400, "input_reference must be a file", code="invalid_type")
        got = image_size(ref.data)
        if got is None:
            return error(400, "input_reference is not an image", param="input_reference")
        if f"{got[0]}x{got[1]}" != form["size"]:
            return error(400, IMAGE_MISMATCH, code="invalid_value", param="input_reference")
    return None
