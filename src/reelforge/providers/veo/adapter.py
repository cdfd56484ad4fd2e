"""The Veo adapter for the Gemini Developer API (research §1.1): ``predictLongRunning`` creates a
long-running operation, ``GET /v1beta/{operation name}`` polls it until ``done``.

Veo takes no idempotency key and has no way to list or search operations, so a submit is never
retried and an ambiguous one (timeout or 5xx after sending) cannot be reconciled by lookup:
:class:`AmbiguousSubmit` says so, and the operation name must be persisted as soon as submit
returns. Veo has no cancel either (:class:`Unsupported`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from ...generators.base import ShotRequest
from .._http import error_payload, retry_after
from ..base import Adapter
from ..config import ApiKeyCredentials, resolve_base_url
from ..errors import (
    AmbiguousSubmit,
    ModerationRejected,
    ProviderError,
    TaskFailed,
    Unsupported,
)
from ..state import (
    Expired,
    Failed,
    OutputRef,
    Running,
    Succeeded,
    TaskHandle,
    TaskState,
    WireRequest,
)
from .codes import GRPC_STATUS, error_for, is_moderation, retry_delay
from .options import VeoOptions
from .request import build_body

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
API_VERSION = "v1beta"
KEY_ENV_OPTIONS = (("GEMINI_API_KEY",),)
KEY_NAME = "gemini"  # `reel keys set gemini`, REELFORGE_GEMINI_BASE_URL
NO_RECONCILE = (
    "Veo takes no idempotency key and cannot list operations, so this submit cannot be "
    "reconciled by lookup; check usage in Google AI Studio before resubmitting"
)


class GeminiCredentials(ApiKeyCredentials):
    """A Gemini API key, sent as ``x-goog-api-key``."""

    key_name: ClassVar[str] = KEY_NAME
    key_env_options: ClassVar[tuple[tuple[str, ...], ...]] = KEY_ENV_OPTIONS


class VeoAdapter(Adapter):
    provider: ClassVar[str] = "google"
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL
    billing_unit: ClassVar[str] = "usd"  # Google reports no charge; the catalogue prices it
    can_cancel: ClassVar[bool] = False
    poll_interval: ClassVar[float] = 10.0  # the SDK's documented example
    no_reconcile: ClassVar[str] = NO_RECONCILE

    def __init__(
        self,
        *,
        credentials: GeminiCredentials | None = None,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        # Resolve the key first: a missing key should fail before any client is opened.
        self.credentials = credentials or GeminiCredentials.from_env()
        # The base URL is the host only, as google-genai's base_url; paths carry /v1beta.
        base = base_url or resolve_base_url(KEY_NAME, DEFAULT_BASE_URL)
        super().__init__(base_url=base, client=client, transport=transport, timeout=timeout)

    def auth_headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self.credentials.api_key}

    def build_request(
        self,
        request: ShotRequest,
        options: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> WireRequest:
        """``idempotency_key`` is accepted for the common contract but cannot be sent: the
        wire request carries none, so :meth:`ensure_submitted` submits without a lookup."""
        opts = VeoOptions.model_validate(dict(options or {}))
        model, body, warnings = build_body(request, opts)
        if idempotency_key:
            warnings.append("Veo has no idempotency key; a re-run submits a new operation")
        return self.wire_post(
            model=model,
            route="predictLongRunning",
            path=f"/{API_VERSION}/models/{model}:predictLongRunning",
            body=body,
            idempotency_key=None,
            warnings=warnings,
        )

    # -- errors ---------------------------------------------------------------------------------

    def error_from_response(
        self, response: httpx.Response, *, model: str = "", task_id: str | None = None
    ) -> ProviderError:
        payload: Any = error_payload(response)
        err = payload.get("error") if isinstance(payload, dict) else None
        err = err if isinstance(err, dict) else {}
        retry = retry_delay(err.get("details"))
        if retry is None:
            retry = retry_after(response.headers)
        return error_for(
            response.status_code,
            str(err["status"]) if err.get("status") else None,
            str(err.get("message", "")),
            retry_after=retry,
            provider=self.provider,
            model=model,
            task_id=task_id,
            payload=payload,
        )

    # -- submit, lookup, cancel -----------------------------------------------------------------

    async def submit(self, wire: WireRequest) -> TaskHandle:
        """Send once. An ambiguous outcome raises AmbiguousSubmit explaining that Veo cannot
        reconcile: the operation may exist and bill, and nothing can find it again."""
        try:
            return await super().submit(wire)
        except AmbiguousSubmit as exc:
            raise self.unreconcilable(exc, wire, self.no_reconcile) from exc

    def parse_submit(self, wire: WireRequest, payload: Any) -> TaskHandle:
        name = payload.get("name") if isinstance(payload, dict) else None
        if not isinstance(name, str) or not name:
            raise self.ambiguous(
                wire,
                f"submit answered without an operation name. {self.no_reconcile}",
                payload=payload,
            )
        return self.handle_for(wire, name)

    async def lookup(self, wire: WireRequest) -> TaskHandle | None:
        raise Unsupported(self.no_reconcile, provider=self.provider, model=wire.model)

    async def cancel(self, handle: TaskHandle) -> None:
        raise Unsupported(
            "Veo on the Gemini API has no cancel; the operation runs (and bills) to the end",
            provider=self.provider,
            model=handle.model,
            task_id=handle.task_id,
        )

    # -- polling ----------------------------------------------------------------------------------

    async def poll(self, handle: TaskHandle) -> TaskState:
        try:
            resp = await self.request(
                "GET",
                f"/{API_VERSION}/{handle.task_id}",
                model=handle.model,
                task_id=handle.task_id,
            )
        except ProviderError as exc:
            if exc.status == 404:  # the operation is gone (operations are kept for a while)
                return Expired(handle, raw=exc.payload if isinstance(exc.payload, dict) else {})
            raise
        return self.to_state(handle, self._operation(resp, handle, "Gemini"))

    def _operation(self, resp: httpx.Response, handle: TaskHandle, who: str) -> dict[str, Any]:
        """The operation object of a poll answer; anything else is worth asking again."""
        return self.json_object(
            resp, who, model=handle.model, task_id=handle.task_id, what="an operation object"
        )

    def to_state(self, handle: TaskHandle, data: dict[str, Any]) -> TaskState:
        """``done`` is the only state Google reports: not done is Running; done carries either
        ``error``, samples, or neither (a content filter removed every sample)."""
        if not data.get("done"):
            return Running(handle, raw=data)
        ctx: dict[str, Any] = {
            "provider": self.provider,
            "model": handle.model,
            "task_id": handle.task_id,
            "payload": data,
        }
        error = data.get("error")
        if isinstance(error, dict):
            code = error.get("code")
            status = error.get("status") or (
                GRPC_STATUS.get(code) if isinstance(code, int) else None
            )
            message = str(error.get("message", "")) or "operation failed"
            exc: ProviderError
            if is_moderation(message):
                exc = ModerationRejected(message, stage="output", code=status, **ctx)
            else:  # the task ran and failed: a new submit may succeed, this one will not
                exc = TaskFailed(f"{message} ({status or 'no status'})", code=status, **ctx)
            return Failed(handle, raw=data, error=exc)
        response = (data.get("response") or {}).get("generateVideoResponse") or {}
        samples = response.get("generatedSamples") or []
        outputs = tuple(
            OutputRef(url=s["video"]["uri"])
            for s in samples
            if isinstance(s, dict) and isinstance(s.get("video"), dict) and s["video"].get("uri")
        )
        if outputs:
            return Succeeded(handle, raw=data, outputs=outputs)
        return Failed(handle, raw=data, error=self._filtered(response, ctx))

    @staticmethod
    def _filtered(response: dict[str, Any], ctx: dict[str, Any]) -> ProviderError:
        count = response.get("raiMediaFilteredCount")
        reasons = [str(r) for r in response.get("raiMediaFilteredReasons") or []]
        detail = "; ".join(reasons) or "no reason given"
        # Filtered samples are not charged ("You will not be charged"), so the cost is zero.
        return ModerationRejected(
            f"done with no video: {count or 'all'} sample(s) removed by the content filter "
            f"({detail})",
            stage="output",
            cost=Decimal(0),
            code="RAI_MEDIA_FILTERED",  # our marker: Google sends no error here
            **ctx,
        )
