"""The xAI Grok Imagine video adapter (providers-2 §1): JSON-only REST, three submit endpoints
(generations, edits, extensions) answering ``{request_id}``, one poll endpoint.

``base_url`` means what xAI's OpenAI-style clients mean: scheme, host and ``/v1``
(``https://api.x.ai/v1``; override with ``REELFORGE_XAI_BASE_URL``). Keys: ``XAI_API_KEY`` or
`reel keys set xai`.

Every poll answer carries the exact charge, ``usage.cost_in_usd_ticks`` (1 tick = 1e-10 USD),
converted exactly to Decimal USD. A ``done`` job with ``video.respect_moderation: false`` and no
URL is a late moderation block, and it is billed: the Failed state's error carries the charge.

There is no idempotency key, no listing and no cancel upstream. The idempotency key we are given
is never sent; it maps a submit to its ``request_id`` inside this process only, so a re-run in
the same process re-attaches, and an ambiguous submit cannot be reconciled at all (reconcile
raises AmbiguousSubmit again rather than let a caller pay twice).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from ...generators.base import ShotRequest
from .._http import retry_after
from ..base import InProcessLookup
from ..config import resolve_keys
from ..errors import ModerationRejected, ProviderError, TransientProviderError
from ..state import (
    Expired,
    Failed,
    OutputRef,
    Queued,
    Running,
    Succeeded,
    TaskHandle,
    TaskState,
    WireRequest,
)
from .codes import error_for, job_error
from .options import XaiOptions
from .request import PATHS, build_body

DEFAULT_BASE_URL = "https://api.x.ai/v1"
KEY_ENV_OPTIONS: tuple[tuple[str, ...], ...] = (("XAI_API_KEY",),)
TICKS_PER_USD = 10**10  # usage.cost_in_usd_ticks: 1 tick = 1e-10 USD [SDK: xai-sdk cost.py]
OUTPUT_TTL = 24 * 3600.0  # vidgen.x.ai URLs: "valid 24 h" per the SDK docstring; docs: "temporary"
PENDING = ("pending", "queued", "in_progress", "processing")
DONE = ("done", "completed", "succeeded")


def ticks_to_usd(ticks: Any) -> Decimal | None:
    """``cost_in_usd_ticks`` as exact Decimal USD (500000000 → 0.05); None when absent."""
    if ticks is None or isinstance(ticks, bool):
        return None
    try:
        value = Decimal(str(ticks))
    except ArithmeticError:
        return None
    if not value.is_finite():
        return None
    return (value / TICKS_PER_USD).normalize() if value else Decimal(0)


class XaiAdapter(InProcessLookup):
    provider: ClassVar[str] = "xai"
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL
    key_env: ClassVar[tuple[tuple[str, ...], ...]] = KEY_ENV_OPTIONS
    billing_unit: ClassVar[str] = "usd"  # exact, from usage.cost_in_usd_ticks
    can_cancel: ClassVar[bool] = False  # no cancel endpoint: Adapter.cancel raises Unsupported
    poll_interval: ClassVar[float] = 5.0  # vercel/ai polls every 5 s; the SDK every 1 s
    no_reconcile: ClassVar[str] = (
        "xAI has no idempotency key and no job listing: an ambiguous submit cannot be "
        "reconciled; check the xAI console before resubmitting"
    )

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        # Resolve the key first: a missing key should fail before any client is opened.
        self.api_key = api_key or next(iter(resolve_keys(self.provider, self.key_env).values()))
        super().__init__(base_url=base_url, client=client, transport=transport, timeout=timeout)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    # -- request ---------------------------------------------------------------------------------

    def build_request(
        self,
        request: ShotRequest,
        options: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> WireRequest:
        opts = self.parse_options(XaiOptions, options, model=request.model, label="xAI")
        model, op, body, warnings = build_body(request, opts)
        return self.wire_post(
            model=model,
            route=op,
            path=PATHS[op],
            body=body,
            idempotency_key=idempotency_key,  # never sent: xAI has none
            warnings=warnings,
        )

    # -- submit (never retried; InProcessLookup remembers it) ------------------------------------

    def parse_submit(self, wire: WireRequest, payload: Any) -> TaskHandle:
        return self.handle_from(
            wire,
            payload,
            "request_id",
            missing="submit answered without a request_id; the job may exist",
        )

    def error_from_response(
        self, response: httpx.Response, *, model: str = "", task_id: str | None = None
    ) -> ProviderError:
        try:
            payload = response.json()
        except ValueError:
            payload = {"error": response.text[:500]}
        return error_for(
            response.status_code,
            payload,
            retry_after=retry_after(response.headers),
            provider=self.provider,
            model=model,
            task_id=task_id,
        )

    # -- poll ------------------------------------------------------------------------------------

    async def poll(self, handle: TaskHandle) -> TaskState:
        resp = await self.request(
            "GET", f"/videos/{handle.task_id}", model=handle.model, task_id=handle.task_id
        )
        if resp.status_code == 202 and not resp.content.strip():
            return Queued(handle)  # a port reads HTTP 202 (maybe empty) as pending [3P] [?]
        return self.to_state(handle, self.json_object(resp, "xAI", model=handle.model))

    def to_state(self, handle: TaskHandle, data: dict[str, Any]) -> TaskState:
        status = str(data.get("status") or "").lower()
        raw_usage = data.get("usage")
        usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
        charge = ticks_to_usd(usage.get("cost_in_usd_ticks"))
        raw_video = data.get("video")
        video: dict[str, Any] = raw_video if isinstance(raw_video, dict) else {}
        ctx: dict[str, Any] = {
            "provider": self.provider,
            "model": str(data.get("model") or handle.model),
            "task_id": handle.task_id,
            "cost": charge,
            "payload": data,
        }
        if status in PENDING:
            progress = data.get("progress")
            if isinstance(progress, int | float) and progress > 0:
                return Running(handle, raw=data, progress=min(float(progress), 100.0) / 100)
            return Queued(handle, raw=data)
        if status in DONE:
            url = str(video.get("url") or "")
            if video.get("respect_moderation") is False or not url:
                # Late moderation: "successful" with no video, and billed [SDK; 3P].
                message = "the generated video was blocked by xAI moderation (billed)"
                if video.get("respect_moderation") is not False:
                    message = "the job finished without a video URL"
                error = ModerationRejected(message, stage="output", **ctx)
                return Failed(handle, raw=data, error=error)
            return Succeeded(handle, raw=data, outputs=(self.output(video),), charge=charge)
        if status == "failed":
            return Failed(handle, raw=data, error=job_error(data.get("error"), **ctx))
        if status == "expired":
            return Expired(handle, raw=data)
        # The SDK warns and keeps polling on unknown statuses; a transient error does the same.
        raise TransientProviderError(f"unknown video status {status!r}", **ctx)

    def output(self, video: Mapping[str, Any]) -> OutputRef:
        duration = video.get("duration")
        expires: float | None = time.time() + OUTPUT_TTL
        file_output = video.get("file_output")
        if isinstance(file_output, dict):
            for name in ("public_url_expires_at", "expires_at"):
                value = file_output.get(name)
                if isinstance(value, int | float):
                    expires = float(value)
                    break
        return OutputRef(
            url=str(video["url"]),
            duration=float(duration) if isinstance(duration, int | float) else None,
            expires_at=expires,
        )
