"""Kling's model-path API (the vendor's "new standard", mid-2026; research §3.5).

Not the v1 task API renamed but another contract:

- ``POST /text-to-video/{model}`` with ``{prompt, settings, options}`` and
  ``POST /image-to-video/{model}`` with ``{contents: [...], settings, options}``; the model is a
  path segment, there is no ``model_name``, ``mode``, ``negative_prompt`` or ``camera_control``.
- ``settings``: ``resolution`` (720p/1080p/4k), ``aspect_ratio`` (text-to-video only),
  ``duration`` (an *integer*), ``audio`` (``native``/``off``), ``multi_shot`` (default *true*:
  Kling may cut a clip into several shots unless told not to).
- ``options``: ``external_task_id`` (unique per account: a second create with it is refused
  with 1201), ``callback_url``, ``watermark_info``.
- One ``GET /tasks?task_ids=a,b`` (or ``external_task_ids=``) for every task, at most 20 ids a
  request; an unknown id is simply absent from ``data``. States ``submitted``, ``processing``,
  ``succeeded``, ``failed``; videos in ``outputs[]``; the charge in ``billing[]``.
- API key only: an AK/SK JWT is refused (401, code 1002).

Sources: the vendor's pages copied in aself101/kling-api ``docs/api`` (2026-09-20:
kling-omni-3.0-t2v.md, kling-omni-3.0-i2v.md, error codes, concurrency, pricing) and that
library's live notes (20-id cap, duplicate-key 1201, AK/SK 1002); inference-sh kling_helper.py.
Error codes are the v1 table (the same vendor page serves both).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field

from ...generators.base import ShotRequest
from ..base import Adapter
from ..config import base_url_env, resolve_base_url, resolve_keys
from ..errors import (
    InvalidRequest,
    ModerationRejected,
    ProviderError,
    TaskFailed,
    TransientProviderError,
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
from .adapter import DEFAULT_BASE_URL, MODERATION_HINTS, OUTPUT_LIFETIME, to_decimal
from .auth import KlingCredentials
from .codes import error_for, response_error
from .options import ShotPrompt
from .request import camera_phrase, image_field, nearest_aspect, wire_duration

# The same host serves both APIs; its own variable lets a sandbox (or a relay) stand in for the
# model-path API alone. Unset, the v1 override (REELFORGE_KLING_BASE_URL) applies to both.
BASE_URL_ENV = base_url_env("kling-model-path")  # REELFORGE_KLING_MODEL_PATH_BASE_URL
KEY_ENV_OPTIONS = (("KLING_API_KEY",),)  # no AK/SK: the model-path API refuses JWTs
DEFAULT_MODEL = "kling-3.0"
PROMPT_LIMIT = 3072  # Kling 3.0 (2500 recommended)
QUERY_BATCH = 20  # ids per GET /tasks: the vendor's cap, undocumented (aself101, live) [?]
RESOLUTIONS = {"720p": 720, "1080p": 1080, "4k": 2160}
ROUTES = ("text-to-video", "image-to-video")


@dataclass(frozen=True)
class PathModel:
    """What one path model accepts (vendor page per model; only Kling 3.0 is catalogued)."""

    durations: tuple[int, int]
    resolutions: tuple[str, ...]
    audio: bool
    last_frame: bool
    elements_max: int


PATH_MODELS: dict[str, PathModel] = {
    "kling-3.0": PathModel((3, 15), ("720p", "1080p", "4k"), True, True, 3),
}


class PathElement(BaseModel):
    """A Kling element (made beforehand with the Element API), named in the prompt as @name."""

    model_config = ConfigDict(extra="forbid")
    element_id: str = Field(min_length=1)
    name: str = Field(pattern=r"^[A-Za-z0-9_]+$", max_length=32)


class KlingModelPathOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_name: str | None = None  # the path model; default kling-3.0
    sound: bool | None = None  # None: on when the shot has dialogue or a sound cue
    resolution: Literal["720p", "1080p", "4k"] | None = None  # None: from the shot's size
    aspect_ratio: Literal["16:9", "9:16", "1:1"] | None = None  # None: nearest to width/height
    duration: int | None = Field(default=None, ge=1)  # None: the shot's, rounded up
    image_url: str | None = None  # first/last frame as URLs instead of base64
    image_tail_url: str | None = None
    # Shots in Kling's prompt syntax ("shot n, m, words;"); durations must sum to the clip's.
    multi_prompt: list[ShotPrompt] | None = Field(default=None, max_length=6)
    multi_shot: bool = False  # let Kling cut the clip into shots itself (the wire default)
    elements: list[PathElement] | None = Field(default=None, max_length=3)
    watermark: bool | None = None
    callback_url: str | None = None


def _refuse(message: str, model: str) -> InvalidRequest:
    return InvalidRequest(message, provider="kling", model=model)


def units_charged(billing: Any) -> Decimal | None:
    """Resource-pack units deducted, from ``billing[]``. A ``cash`` entry is money from the
    account balance (CNY or USD), not units: then no charge is reported and the catalogue's
    quote stands (the raw answer keeps the figure)."""
    if not isinstance(billing, list) or not billing:
        return None
    total = Decimal(0)
    for entry in billing:
        if not isinstance(entry, dict) or entry.get("charge_type") != "unit":
            return None
        amount = to_decimal(entry.get("amount"))
        if amount is None:
            return None
        total += amount
    return total


def wire_resolution(spec: PathModel, model: str, width: int, height: int, w: list[str]) -> str:
    """The smallest resolution covering the shot's short side, else the largest (as the
    catalogue plans it, so the charge matches the quote)."""
    short = min(width, height)
    allowed = sorted(spec.resolutions, key=RESOLUTIONS.__getitem__)
    chosen = next((r for r in allowed if RESOLUTIONS[r] >= short), allowed[-1])
    if RESOLUTIONS[chosen] != short:
        w.append(f"{width}x{height} sent as {chosen} ({model} makes {', '.join(allowed)})")
    return chosen


def _prompt(request: ShotRequest, opts: KlingModelPathOptions, sound: bool, w: list[str]) -> str:
    prompt = request.prompt + camera_phrase(request.camera)
    if sound:
        lines = " ".join(f'{line.speaker} says: "{line.text}"' for line in request.dialogue)
        extra = " ".join(
            p for p in (lines, f"Sound: {request.sound}." if request.sound else "") if p
        )
        prompt = f"{prompt} {extra}".strip()
    if opts.multi_prompt:
        # The shots replace the prompt: Kling reads the shot list, not free text around it.
        w.append("multi_prompt replaces the shot's prompt")
        prompt = " ".join(
            f"shot {i}, {p.duration}, {p.prompt};" for i, p in enumerate(opts.multi_prompt, 1)
        )
    return prompt


def build_body(
    request: ShotRequest, opts: KlingModelPathOptions, idempotency_key: str | None
) -> tuple[str, str, dict[str, Any], list[str]]:
    """The route, the path model, the JSON body and adjustment warnings. Pure but for reading
    frame images; every documented limit is checked before anything is sent."""
    warnings: list[str] = []
    model = opts.model_name or DEFAULT_MODEL
    spec = PATH_MODELS.get(model)
    if spec is None:
        raise _refuse(
            f"unknown Kling model-path model {model!r}; this adapter knows "
            f"{', '.join(PATH_MODELS)}",
            model,
        )
    first = opts.image_url or (
        image_field(request.first_frame, model) if request.first_frame else None
    )
    last = opts.image_tail_url or (
        image_field(request.last_frame, model) if request.last_frame else None
    )
    if last and not first:
        raise _refuse("last_frame needs a first_frame (last-frame-only is not supported)", model)
    if last and not spec.last_frame:
        raise _refuse(f"{model} takes no last_frame", model)
    elements = list(opts.elements or ())
    if elements and not first:
        raise _refuse("elements are image-to-video only: give a first_frame too", model)
    if len(elements) > spec.elements_max:
        raise _refuse(f"{model} takes at most {spec.elements_max} elements", model)
    if len({e.name for e in elements}) != len(elements):
        raise _refuse("element names must be unique (each is an @name in the prompt)", model)

    wanted = opts.sound if opts.sound is not None else bool(request.sound or request.dialogue)
    if wanted and not spec.audio:
        warnings.append(f"{model} makes no sound; sound dropped")
    sound = wanted and spec.audio
    prompt = _prompt(request, opts, sound, warnings)
    if len(prompt) > PROMPT_LIMIT:
        raise _refuse(f"prompt is {len(prompt)} characters; Kling takes {PROMPT_LIMIT}", model)
    if not prompt and not first:
        raise _refuse("prompt is empty: text-to-video needs one", model)
    for e in elements:
        if f"@{e.name}" not in prompt:
            warnings.append(f"element @{e.name} is not named in the prompt")

    lo, hi = spec.durations
    seconds = float(opts.duration) if opts.duration else request.duration
    duration = int(wire_duration(model, seconds, warnings, list(range(lo, hi + 1))))
    if opts.multi_prompt and sum(p.duration for p in opts.multi_prompt) != duration:
        total = sum(p.duration for p in opts.multi_prompt)
        raise _refuse(f"multi_prompt durations sum to {total} s, the clip is {duration} s", model)
    if opts.resolution is not None and opts.resolution not in spec.resolutions:
        raise _refuse(f"{model} makes {', '.join(spec.resolutions)}, not {opts.resolution}", model)
    settings: dict[str, Any] = {
        "resolution": opts.resolution
        or wire_resolution(spec, model, request.width, request.height, warnings),
        "duration": duration,
        # The wire default is true (Kling cuts the clip itself); a shot is one shot unless asked.
        "multi_shot": bool(opts.multi_prompt) or opts.multi_shot,
    }
    if spec.audio:
        settings["audio"] = "native" if sound else "off"

    if request.elements and any(e.references for e in request.elements):
        warnings.append("element reference images are not sent (Kling needs element ids)")
    if request.seed:
        warnings.append("Kling has no seed; the render is not repeatable")
    options: dict[str, Any] = {"external_task_id": idempotency_key or f"rf-{uuid.uuid4().hex}"}
    if opts.watermark is not None:
        options["watermark_info"] = {"enabled": opts.watermark}
    if opts.callback_url:
        options["callback_url"] = opts.callback_url

    if not first:
        settings["aspect_ratio"] = opts.aspect_ratio or nearest_aspect(
            request.width, request.height
        )
        return (
            "text-to-video",
            model,
            {"prompt": prompt, "settings": settings, "options": options},
            warnings,
        )
    if opts.aspect_ratio:
        warnings.append("image-to-video takes its shape from the first frame; aspect_ratio dropped")
    contents: list[dict[str, Any]] = [{"type": "prompt", "text": prompt}] if prompt else []
    contents.append({"type": "first_frame", "url": first})
    if last:
        contents.append({"type": "last_frame", "url": last})
    contents += [{"type": "element", "element_id": e.element_id, "id": e.name} for e in elements]
    body = {"contents": contents, "settings": settings, "options": options}
    return "image-to-video", model, body, warnings


class KlingModelPathAdapter(Adapter):
    provider: ClassVar[str] = "kling"
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL
    billing_unit: ClassVar[str] = "unit"  # resource-pack units, from billing[] (charge_type unit)
    find_by: ClassVar[str] = "key"  # GET /tasks?external_task_ids=<our key>
    can_poll_many: ClassVar[bool] = True  # GET /tasks?task_ids=a,b,… (QUERY_BATCH a request)
    can_cancel: ClassVar[bool] = False  # no cancel endpoint is documented
    poll_interval: ClassVar[float] = 5.0

    def __init__(
        self,
        *,
        credentials: KlingCredentials | None = None,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        # Resolve the key first: a missing key fails before any client is opened.
        if credentials is None:
            credentials = KlingCredentials(
                api_key=resolve_keys("kling", KEY_ENV_OPTIONS)["KLING_API_KEY"]
            )
        if not credentials.api_key:
            raise ValueError(
                "Kling's model-path API takes an API key only (KLING_API_KEY); "
                "access/secret-key JWTs are refused with code 1002"
            )
        self.credentials = credentials
        base = base_url or resolve_base_url(
            "kling-model-path", resolve_base_url(self.provider, DEFAULT_BASE_URL)
        )
        super().__init__(base_url=base, client=client, transport=transport, timeout=timeout)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.api_key}"}

    def build_request(
        self,
        request: ShotRequest,
        options: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> WireRequest:
        opts = KlingModelPathOptions.model_validate(dict(options or {}))
        route, model, body, warnings = build_body(request, opts, idempotency_key)
        return self.wire_post(
            model=model,
            route=route,
            path=f"/{route}/{model}",
            body=body,
            idempotency_key=body["options"]["external_task_id"],
            warnings=warnings,
        )

    def error_from_response(
        self, response: httpx.Response, *, model: str = "", task_id: str | None = None
    ) -> ProviderError:
        return response_error(response, provider=self.provider, model=model, task_id=task_id)

    def _data(self, payload: Any, model: str, task_id: str | None = None) -> Any:
        """The envelope's ``data``; a non-zero ``code`` on HTTP 200 (relays) raises its error."""
        if isinstance(payload, dict) and payload.get("code", 0) not in (0, None):
            code = payload["code"]
            raise error_for(
                200,
                code if isinstance(code, int) else None,
                str(payload.get("message", "")),
                provider=self.provider,
                model=model,
                task_id=task_id,
                payload=payload,
            )
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict | list):
            raise TransientProviderError(
                "Kling answered without a data object",
                provider=self.provider,
                model=model,
                task_id=task_id,
                payload=payload,
            )
        return payload["data"]

    def parse_submit(self, wire: WireRequest, payload: Any) -> TaskHandle:
        data = self._data(payload, wire.model)
        if not isinstance(data, dict) or not data.get("id"):
            raise TransientProviderError(
                "Kling's create answer has no task id", provider=self.provider, model=wire.model
            )
        return self.handle_for(wire, str(data["id"]))

    async def submit(self, wire: WireRequest) -> TaskHandle:
        """Send once. A 1201 "already exists" for our external_task_id means an earlier submit
        of this very request landed (the key is derived from it): attach to that task."""
        try:
            return await super().submit(wire)
        except InvalidRequest as exc:
            if exc.code != 1201 or "already exist" not in exc.message or not wire.idempotency_key:
                raise
            found = await self.lookup(wire)
            if found is None:
                raise
            return found

    async def _tasks(self, query: str, model: str, task_id: str | None = None) -> list[Any]:
        resp = await self.request("GET", f"/tasks?{query}", model=model, task_id=task_id)
        payload = self.json_body(resp, "Kling", model=model, task_id=task_id)
        data = self._data(payload, model, task_id)
        if not isinstance(data, list):
            raise TransientProviderError(
                "Kling's task query answered without a list",
                provider=self.provider,
                model=model,
                task_id=task_id,
                payload=payload,
            )
        return [item for item in data if isinstance(item, dict)]

    async def lookup(self, wire: WireRequest) -> TaskHandle | None:
        """The task carrying our external_task_id; None when Kling lists none."""
        key = str(wire.idempotency_key)
        items = await self._tasks(f"external_task_ids={quote(key, safe='')}", wire.model)
        for item in items:
            if str(item.get("external_id", "")) == key and item.get("id"):
                return self.handle_for(wire, str(item["id"]))
        return None

    async def poll(self, handle: TaskHandle) -> TaskState:
        query = f"task_ids={quote(handle.task_id, safe='')}"
        for item in await self._tasks(query, handle.model, handle.task_id):
            if str(item.get("id")) == handle.task_id:
                return self.to_state(handle, item)
        # Kling answers 200 with an empty list for an id it does not know.
        raise InvalidRequest(
            "Kling lists no such task",
            provider=self.provider,
            model=handle.model,
            task_id=handle.task_id,
            status=404,
        )

    async def poll_many(self, handles: Sequence[TaskHandle]) -> dict[str, TaskState]:
        """Up to QUERY_BATCH tasks a request: 1,000 tasks in flight cost 50 requests a round
        instead of 1,000. Tasks not listed are left out (the caller polls them alone)."""
        wanted = {h.task_id: h for h in handles}
        ids = list(wanted)
        states: dict[str, TaskState] = {}
        for start in range(0, len(ids), QUERY_BATCH):
            chunk = ids[start : start + QUERY_BATCH]
            query = "task_ids=" + ",".join(quote(i, safe="") for i in chunk)
            for item in await self._tasks(query, wanted[chunk[0]].model):
                handle = wanted.get(str(item.get("id")))
                if handle is not None:
                    states[handle.task_id] = self.to_state(handle, item)
        return states

    def to_state(self, handle: TaskHandle, item: dict[str, Any]) -> TaskState:
        status = str(item.get("status", "")).lower()
        charge = units_charged(item.get("billing"))
        ctx = self.task_context(handle, item, charge)
        if status == "submitted":
            return Queued(handle, raw=item)
        if status == "processing":
            return Running(handle, raw=item)
        # "succeed" is the v1 spelling; a relay mixing the two must not loop forever.
        if status in ("succeeded", "succeed"):
            updated = (item.get("update_time") or item.get("create_time") or 0) / 1000
            outputs = tuple(
                OutputRef(
                    url=str(o["url"]),
                    duration=float(seconds) if (seconds := to_decimal(o.get("duration"))) else None,
                    expires_at=updated + OUTPUT_LIFETIME if updated else None,
                )
                for o in item.get("outputs") or []
                if isinstance(o, dict) and o.get("type", "video") == "video" and o.get("url")
            )
            if not outputs:  # "succeeded but empty" is a failure, not a success
                return Failed(
                    handle, raw=item, error=TaskFailed("task succeeded with no video", **ctx)
                )
            return Succeeded(handle, raw=item, outputs=outputs, charge=charge)
        if status == "failed":
            msg = str(item.get("message") or "task failed")
            if any(h in msg.lower() for h in MODERATION_HINTS):
                return Failed(
                    handle, raw=item, error=ModerationRejected(msg, stage="output", **ctx)
                )
            return Failed(handle, raw=item, error=TaskFailed(msg, **ctx))
        raise TransientProviderError(f"unknown Kling task status {status!r}", **ctx)
