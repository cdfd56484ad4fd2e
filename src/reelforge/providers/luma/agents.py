"""The Luma Agents API adapter for ``ray-3.2`` (docs.agents.lumalabs.ai, 2026; the official
``luma-agents`` Python SDK 0.3.0, 2026-06-08): a separate host from the Dream Machine API, one
submit endpoint for every kind of job, one poll endpoint.

- ``POST /generations`` with ``type`` ``video`` (text/image-to-video, extension by a prior
  generation's id), ``video_edit`` or ``video_reframe`` (both need a ``source`` video) →
  HTTP 201 and the Generation object.
- ``GET /generations/{id}`` → ``{id, created_at, model, state, type, failure_code?,
  failure_reason?, output?: [{type, url}]}``; states ``queued``, ``processing``, ``completed``,
  ``failed``. Output URLs are presigned for one hour; :meth:`LumaAgentsAdapter.download` reads
  the generation once more for a fresh URL when one has expired [?: re-signing on read assumed].
- Errors: the HTTP status is the machine-readable part, ``{"detail": ...}`` the message;
  asynchronous failures carry ``failure_code`` (``content_moderated``, ``generation_failed``,
  ``budget_exhausted``, …), mapped by :data:`FAILURE_CODES`.

``base_url`` means what the SDK means: host plus ``/v1`` (``https://agents.lumalabs.ai/v1``;
``REELFORGE_LUMA_AGENTS_BASE_URL`` overrides it). The key is ``LUMA_AGENTS_API_KEY`` (keys start
``luma-api-``) or `reel keys set luma-agents`, sent as ``Authorization: Bearer``. Every answer
carries ``X-API-Version`` (``2026-04-01`` when researched); it is informational and never sent.

There is no idempotency key, no listing, no cancel and no per-generation charge in the API: an
ambiguous submit cannot be reconciled (as on xAI), and ``Succeeded.charge`` is always None.
Input frames go inline (base64 ``data`` + ``media_type``), so local frames need no hosting.
"""

from __future__ import annotations

import base64
import math
import mimetypes
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, model_validator

from ...generators.base import ShotRequest
from .._http import error_payload, retry_after
from ..base import InProcessLookup
from ..config import resolve_keys
from ..errors import (
    ConcurrencyLimited,
    InvalidRequest,
    ModerationRejected,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    TaskFailed,
    TransientProviderError,
    build_error,
)
from ..state import (
    Failed,
    OutputRef,
    Queued,
    Running,
    Succeeded,
    TaskHandle,
    TaskState,
    WireRequest,
)
from .auth import LumaCredentials
from .codes import error_detail, http_error
from .models import ratio_pair

DEFAULT_BASE_URL = "https://agents.lumalabs.ai/v1"  # the luma-agents SDK's default
API_VERSION = "2026-04-01"  # the X-API-Version the research and docs saw
KEY_NAME = "luma-agents"  # `reel keys set luma-agents`, REELFORGE_LUMA_AGENTS_BASE_URL
KEY_ENV_OPTIONS: tuple[tuple[str, ...], ...] = (("LUMA_AGENTS_API_KEY",),)
GENERATIONS = "/generations"
MODELS: tuple[str, ...] = ("ray-3.2",)  # uni-1 / uni-1-max are image models
DEFAULT_MODEL = "ray-3.2"
DURATIONS: tuple[int, ...] = (5, 10)
RESOLUTIONS: tuple[str, ...] = ("540p", "720p", "1080p")
SHORT_SIDE = {"540p": 540, "720p": 720, "1080p": 1080}
ASPECT_RATIOS: tuple[str, ...] = ("9:16", "3:4", "1:1", "4:3", "16:9", "21:9")  # ray-3.2's six
EDIT_STRENGTHS = tuple(f"{k}_{n}" for k in ("adhere", "flex", "reimagine") for n in (1, 2, 3))
PROMPT_LIMIT = 6000
OUTPUT_TTL = 3600.0  # "Presigned URL (1hr expiry)"
OVERRUN_TOLERANCE_S = 0.5  # as the catalogue check: a shot a little over 5/10 s is trimmed
TYPES = {"generate": "video", "edit": "video_edit", "reframe": "video_reframe"}
PREFIXES = ("luma/", "lumaai/", "luma-")

Ratio = Literal["9:16", "3:4", "1:1", "4:3", "16:9", "21:9"]
Strength = Literal[
    "adhere_1", "adhere_2", "adhere_3", "flex_1", "flex_2", "flex_3",
    "reimagine_1", "reimagine_2", "reimagine_3",
]  # fmt: skip

# failure_code → exception (the docs' "Asynchronous failures" table).
FAILURE_CODES: dict[str, type[ProviderError]] = {
    "content_moderated": ModerationRejected,
    "generation_failed": TaskFailed,  # internal model error: retrying the request may work
    "budget_exhausted": QuotaExceeded,  # funds ran out mid-generation
    "output_not_found": TaskFailed,
    "image_too_large": InvalidRequest,
    "unsupported_format": InvalidRequest,
    "corrupt_input": InvalidRequest,
    "invalid_request": InvalidRequest,
    "rate_limited": RateLimited,
}
# A content_moderated reason naming the output means the generated clip was blocked [?: the
# docs describe the code as "prompt or input image"; output-side wording is assumed].
OUTPUT_WORDS = ("output", "generated video", "result")


def agents_credentials(env: Mapping[str, str] | None = None) -> LumaCredentials:
    return LumaCredentials(resolve_keys(KEY_NAME, KEY_ENV_OPTIONS, env)["LUMA_AGENTS_API_KEY"])


class LumaAgentsOptions(BaseModel):
    """Options for one Agents API job; extra="forbid" so a typo fails loudly."""

    model_config = ConfigDict(extra="forbid")

    model_name: str | None = None  # overrides ShotRequest.model
    mode: str | None = None  # accepted from catalogue routes and ignored
    sound: bool | None = None  # ray-3.2 makes silent video: accepted, warned about
    operation: Literal["generate", "edit", "reframe"] = "generate"
    start_frame_url: str | None = None  # a hosted first frame instead of the shot's file
    end_frame_url: str | None = None
    start_frame_generation_id: str | None = None  # extend forward from this generation
    end_frame_generation_id: str | None = None  # extend backward into this generation
    source_generation_id: str | None = None  # the video an edit / reframe works on...
    source_url: str | None = None  # ... or a hosted video (with source_media_type)
    source_media_type: str = "video/mp4"
    aspect_ratio: Ratio | None = None  # None: nearest to the shot (reframe: the target)
    resolution: Literal["540p", "720p", "1080p"] | None = None  # None: covers the shot
    duration: Literal["5s", "10s"] | None = None  # None: the shot's, nearest allowed
    loop: bool | None = None
    hdr: bool | None = None
    exr_export: bool | None = None
    edit_strength: Strength | None = None
    edit_auto_controls: bool | None = None  # default for edits when no strength is given
    user_id: str | None = None  # your end-user's opaque id (abuse attribution)

    @model_validator(mode="after")
    def _coherent(self) -> LumaAgentsOptions:
        for slot in ("start_frame", "end_frame"):
            if getattr(self, f"{slot}_url") and getattr(self, f"{slot}_generation_id"):
                raise ValueError(f"{slot}: pass a URL or a generation id, not both")
        if self.source_generation_id and self.source_url:
            raise ValueError("source_generation_id and source_url are exclusive")
        if self.operation != "generate" and not (self.source_generation_id or self.source_url):
            raise ValueError(
                f"operation {self.operation!r} needs source_generation_id or source_url"
            )
        if self.edit_strength and self.edit_auto_controls:
            raise ValueError("edit_strength and edit_auto_controls are exclusive")
        return self


# -- the request body (pure, apart from reading the shot's frame files) -------------------------


def _bad(message: str, model: str) -> InvalidRequest:
    return InvalidRequest(message, provider=KEY_NAME, model=model)


def model_name(request: ShotRequest, options: LumaAgentsOptions, warnings: list[str]) -> str:
    asked = options.model_name or request.model
    name = asked
    for prefix in PREFIXES:
        if name.removeprefix(prefix) in MODELS:
            name = name.removeprefix(prefix)
    if name in MODELS:
        return name
    warnings.append(f"{asked} is not a Luma Agents video model; used {DEFAULT_MODEL}")
    return DEFAULT_MODEL


def nearest_ratio(width: int, height: int) -> str:
    want = width / height
    return min(
        ASPECT_RATIOS, key=lambda r: abs(math.log(ratio_pair(r)[0] / ratio_pair(r)[1] / want))
    )


def resolution_for(width: int, height: int, warnings: list[str]) -> str:
    """The smallest resolution covering the shot's short side, else 1080p (upscaled later)."""
    short = min(width, height)
    for name in RESOLUTIONS:
        if SHORT_SIDE[name] >= short:
            return name
    warnings.append(f"{width}x{height} is above 1080p; sent as 1080p")
    return RESOLUTIONS[-1]


def inline_image(path: Path) -> dict[str, str]:
    mime = mimetypes.guess_type(str(path))[0] or "image/png"
    return {"data": base64.b64encode(Path(path).read_bytes()).decode("ascii"), "media_type": mime}


def _frame(
    url: str | None, generation_id: str | None, local: Path | None, slot: str, model: str
) -> dict[str, str] | None:
    if generation_id:
        return {"generation_id": generation_id}
    if url:
        if not url.startswith(("https://", "http://")):
            raise _bad(f"{slot}_url must be an http(s) URL Luma can fetch, got {url[:40]!r}", model)
        return {"url": url}
    return inline_image(local) if local is not None else None


def compose_prompt(request: ShotRequest, model: str) -> str:
    prompt = request.prompt
    if request.camera not in ("", "static"):
        prompt += f" Camera: {request.camera.replace('_', ' ')}."
    prompt = prompt.strip()
    if not prompt:
        raise _bad("prompt: Luma Agents needs a prompt (1-6000 characters)", model)
    if len(prompt) > PROMPT_LIMIT:
        raise _bad(f"prompt: {len(prompt)} characters; the limit is {PROMPT_LIMIT}", model)
    return prompt


def wire_duration(
    request: ShotRequest, options: LumaAgentsOptions, anchored: bool, model: str, w: list[str]
) -> str:
    """The nearest allowed length (ties round up: the editor trims); 10 s is text-to-video
    only: no anchor frames, no loop, no HDR (docs; replicate/luma ray-3.2 page [3P])."""
    allowed = (5,) if anchored or options.loop or options.hdr else DURATIONS
    if options.duration:
        if int(options.duration[:-1]) not in allowed:
            raise _bad("duration 10s is text-to-video only (no frames, loop or hdr)", model)
        return options.duration
    secs = request.duration
    if secs > max(allowed) + OVERRUN_TOLERANCE_S:
        why = "with frames, loop or hdr only 5 s" if len(allowed) == 1 else "5 or 10 s"
        raise _bad(f"duration {secs:.2f} s: ray-3.2 makes {why}", model)
    chosen = min(allowed, key=lambda d: (abs(d - secs), -d))
    if abs(chosen - secs) >= 1 / max(request.fps, 1):
        w.append(f"duration {secs:.2f} s sent as {chosen}s")
    return f"{chosen}s"


def _source(options: LumaAgentsOptions) -> dict[str, str]:
    if options.source_generation_id:
        return {"generation_id": options.source_generation_id}
    return {"url": str(options.source_url), "media_type": options.source_media_type}


def build_body(
    request: ShotRequest, options: LumaAgentsOptions
) -> tuple[str, str, dict[str, Any], list[str]]:
    """(model, type, JSON body, warnings). Raises InvalidRequest before anything is spent."""
    warnings: list[str] = []
    model = model_name(request, options, warnings)
    kind = TYPES[options.operation]
    body: dict[str, Any] = {"model": model, "type": kind, "prompt": compose_prompt(request, model)}
    video: dict[str, Any] = {}
    if options.user_id:
        body["user_id"] = options.user_id
    if options.resolution:
        video["resolution"] = options.resolution
    else:
        video["resolution"] = resolution_for(request.width, request.height, warnings)
    hdr_ok = video["resolution"] in ("720p", "1080p")
    if options.hdr and (not hdr_ok or kind == "video_reframe"):
        raise _bad("hdr: needs 720p or 1080p and is not offered for reframe", model)
    if options.exr_export and not options.hdr:
        raise _bad("exr_export: requires hdr=true", model)
    if options.loop and kind != "video":
        raise _bad("loop: only for generation (type video)", model)
    for flag in ("hdr", "exr_export", "loop"):
        if getattr(options, flag) is not None:
            video[flag] = getattr(options, flag)

    if kind == "video":
        start = _frame(
            options.start_frame_url,
            options.start_frame_generation_id,
            request.first_frame,
            "start_frame",
            model,
        )
        end = _frame(
            options.end_frame_url,
            options.end_frame_generation_id,
            request.last_frame,
            "end_frame",
            model,
        )
        chained = bool(options.start_frame_generation_id or options.end_frame_generation_id)
        if options.hdr and chained:
            raise _bad("hdr: an extension is standard dynamic range only [3P]", model)
        video["duration"] = wire_duration(request, options, bool(start or end), model, warnings)
        for slot, frame in (("start_frame", start), ("end_frame", end)):
            if frame is not None:
                video[slot] = frame
        body["aspect_ratio"] = options.aspect_ratio or _ratio(request, warnings)
    else:
        body["source"] = _source(options)
        if request.first_frame or request.last_frame:
            warnings.append(f"{kind} takes the source video, not the shot's frames; dropped")
        if kind == "video_edit":
            if options.edit_strength:
                video["edit"] = {"strength": options.edit_strength}
            elif options.edit_auto_controls is False:
                raise _bad("edit: without auto_controls an edit_strength is needed", model)
            else:
                video["edit"] = {"auto_controls": True}  # the docs' recommended default
            warnings.append("an edit keeps the source's aspect ratio and length")
        else:
            ratio = options.aspect_ratio or _ratio(request, warnings)
            if video["resolution"] == "1080p" and ratio in ("9:16", "3:4"):
                raise _bad(f"resolution 1080p: not yet offered for a {ratio} reframe", model)
            body["aspect_ratio"] = ratio
            warnings.append("a reframe keeps the source's length")
    body["video"] = video
    if options.sound or (options.sound is None and (request.dialogue or request.sound)):
        warnings.append("ray-3.2 makes silent video; sound dropped")
    if request.seed:
        warnings.append("Luma Agents takes no seed; not repeatable")
    return model, kind, body, warnings


def _ratio(request: ShotRequest, warnings: list[str]) -> str:
    ratio = nearest_ratio(request.width, request.height)
    w, h = ratio_pair(ratio)
    if w * request.height != h * request.width:
        warnings.append(f"{request.width}x{request.height} shot sent as {ratio}")
    return ratio


# -- errors ---------------------------------------------------------------------------------------


def failure_error(code: Any, reason: Any, **ctx: Any) -> ProviderError:
    """A failed generation's ``failure_code`` (and ``failure_reason``) as the exception."""
    cls = FAILURE_CODES.get(str(code or ""), TaskFailed)
    text = f"{reason or 'generation failed'} (Luma Agents failure_code {code or 'none'})"
    output = any(w in str(reason or "").lower() for w in OUTPUT_WORDS)
    return build_error(cls, text, stage="output" if output else "input", code=code, **ctx)


# -- the adapter ----------------------------------------------------------------------------------


class LumaAgentsAdapter(InProcessLookup):
    # `provider` names the base-URL variable and labels errors: REELFORGE_LUMA_AGENTS_BASE_URL.
    provider: ClassVar[str] = KEY_NAME
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL
    billing_unit: ClassVar[str] = "usd"  # nothing reported per generation
    can_cancel: ClassVar[bool] = False  # two endpoints only: create and get
    poll_interval: ClassVar[float] = 2.0  # the quickstart polls every 2 s
    no_reconcile: ClassVar[str] = (
        "Luma Agents has no idempotency key and no generation listing: an ambiguous "
        "submit cannot be reconciled; check the Luma dashboard before resubmitting"
    )

    def __init__(
        self,
        *,
        credentials: LumaCredentials | None = None,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        # Resolve the key first: a missing key should fail before any client is opened.
        self.credentials = credentials or agents_credentials()
        super().__init__(base_url=base_url, client=client, transport=transport, timeout=timeout)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.api_key}"}

    def build_request(
        self,
        request: ShotRequest,
        options: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> WireRequest:
        """``idempotency_key`` stays on the wire object only (the API has none)."""
        opts = self.parse_options(
            LumaAgentsOptions, options, model=request.model, label="Luma Agents"
        )
        model, kind, body, warnings = build_body(request, opts)
        return self.wire_post(
            model=model,
            route=kind,
            path=GENERATIONS,
            body=body,
            idempotency_key=idempotency_key,
            warnings=warnings,
        )

    def error_from_response(
        self, response: httpx.Response, *, model: str = "", task_id: str | None = None
    ) -> ProviderError:
        payload = error_payload(response)
        message = error_detail(payload)
        ctx: dict[str, Any] = {"provider": self.provider, "model": model, "task_id": task_id}
        if response.status_code == 429 and "concurrent" in message.lower():
            # The concurrent-jobs limit: a slot frees when one of our generations ends.
            text = f"{message} (Luma Agents HTTP 429)"
            return ConcurrencyLimited(text, status=429, payload=payload, **ctx)
        return http_error(
            response.status_code,
            message,
            retry_after=retry_after(response.headers),
            payload=payload,
            **ctx,
        )

    # -- submit (never retried; InProcessLookup remembers it) ------------------------------------

    def parse_submit(self, wire: WireRequest, payload: Any) -> TaskHandle:
        return self.handle_from(
            wire,
            payload,
            "id",
            missing="submit answered without a generation id; the generation may exist",
        )

    # -- poll and download ------------------------------------------------------------------------

    async def poll(self, handle: TaskHandle) -> TaskState:
        resp = await self.request(
            "GET", f"{GENERATIONS}/{handle.task_id}", model=handle.model, task_id=handle.task_id
        )
        return self.to_state(handle, self.json_object(resp, "Luma Agents", model=handle.model))

    def to_state(self, handle: TaskHandle, data: dict[str, Any]) -> TaskState:
        state = str(data.get("state") or "").lower()
        ctx = self.task_context(handle, data)
        if state == "queued":
            return Queued(handle, raw=data)
        if state == "processing":
            return Running(handle, raw=data)
        if state == "completed":
            outputs = data.get("output") if isinstance(data.get("output"), list) else []
            videos = [
                o
                for o in outputs or []
                if isinstance(o, dict) and o.get("url") and str(o.get("type", "video")) == "video"
            ]
            if not videos:  # "completed but empty" is a failure, not a success
                empty = TaskFailed("generation completed with no video output", **ctx)
                return Failed(handle, raw=data, error=empty)
            expires = time.time() + OUTPUT_TTL
            refs = tuple(OutputRef(str(o["url"]), "video", expires_at=expires) for o in videos)
            return Succeeded(handle, raw=data, outputs=refs[:1])
        if state == "failed":
            error = failure_error(data.get("failure_code"), data.get("failure_reason"), **ctx)
            return Failed(handle, raw=data, error=error)
        raise TransientProviderError(f"unknown Luma Agents state {state!r}", **ctx)

    async def download(self, state: Succeeded, dest_dir: Path) -> list[Path]:
        """Download; if the presigned URL has expired, read the generation once for a fresh one."""
        return await self.download_refreshed(state, dest_dir)
