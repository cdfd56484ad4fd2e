"""The Kling adapter for the v1 task API (research §3): text2video and image2video, Omni
(omni-video, picked by the wire model) and lip sync."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

import httpx

from ...generators.base import ShotRequest
from ..base import Adapter
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
from .auth import KlingCredentials
from .codes import error_for, response_error
from .lipsync import MODEL as LIPSYNC_MODEL
from .lipsync import ROUTE as LIPSYNC_ROUTE
from .lipsync import LipSyncInput, build_lipsync_body
from .omni import build_omni_body, is_omni
from .options import KlingOptions
from .request import build_body, model_name

DEFAULT_BASE_URL = "https://api-singapore.klingai.com"
OUTPUT_LIFETIME = 30 * 24 * 3600  # Kling deletes outputs after 30 days
# Words in task_status_msg that mean a late content-policy rejection rather than a crash.
MODERATION_HINTS = ("risk", "moderation", "content security", "policy", "sensitive", "audit")


def to_decimal(value: Any) -> Decimal | None:
    """A numeric field (number or string) as Decimal; None when absent or not a number."""
    try:
        return None if value in (None, "") else Decimal(str(value))
    except InvalidOperation:
        return None


LIST_PAGE = 500  # Kling's list takes pageSize up to 500 [?] (research: `pageNum`, `pageSize`)


class KlingAdapter(Adapter):
    provider: ClassVar[str] = "kling"
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL
    billing_unit: ClassVar[str] = "unit"  # Kling resource-pack units (final_unit_deduction)
    find_by: ClassVar[str] = "key"
    can_poll_many: ClassVar[bool] = True  # the task list: up to LIST_PAGE tasks a request
    can_cancel: ClassVar[bool] = False
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
        # Resolve keys first: a missing key should fail before any client is opened.
        self.credentials = credentials or KlingCredentials.from_env()
        super().__init__(base_url=base_url, client=client, transport=transport, timeout=timeout)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.bearer()}"}

    def build_request(
        self,
        request: ShotRequest,
        options: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> WireRequest:
        opts = KlingOptions.model_validate(dict(options or {}))
        # The wire model picks the endpoint: Omni models have their own (research §3.4).
        if is_omni(model_name(request, opts)):
            route, body, warnings = build_omni_body(request, opts, idempotency_key)
        elif opts.video_url or opts.element_ids:
            raise InvalidRequest(
                "video_url and element_ids are Omni options (kling-video-* models)",
                provider=self.provider,
                model=model_name(request, opts),
            )
        else:
            route, body, warnings = build_body(request, opts, idempotency_key)
        return self.wire_post(
            model=body["model_name"],
            route=route,
            path=f"/v1/videos/{route}",
            body=body,
            idempotency_key=body["external_task_id"],
            warnings=warnings,
        )

    def build_lipsync_request(
        self,
        source: LipSyncInput | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> WireRequest:
        """A lip-sync task for an existing video; submit, poll and download it like a shot."""
        given = source if isinstance(source, LipSyncInput) else LipSyncInput.model_validate(source)
        body = build_lipsync_body(given, idempotency_key)
        return self.wire_post(
            model=LIPSYNC_MODEL,
            route=LIPSYNC_ROUTE,
            path=f"/v1/videos/{LIPSYNC_ROUTE}",
            body=body,
            idempotency_key=body["external_task_id"],
        )

    async def lip_sync(
        self,
        source: LipSyncInput | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        timeout: float = 900.0,
        interval: float | None = None,
    ) -> TaskState:
        """Submit (or re-attach to) a lip-sync task and wait for it to end."""
        wire = self.build_lipsync_request(source, idempotency_key=idempotency_key)
        handle = await self.ensure_submitted(wire)
        return await self.wait(handle, timeout=timeout, interval=interval)

    def error_from_response(
        self, response: httpx.Response, *, model: str = "", task_id: str | None = None
    ) -> ProviderError:
        return response_error(response, provider=self.provider, model=model, task_id=task_id)

    def _data(self, payload: Any, model: str) -> dict[str, Any]:
        """Some gateways answer HTTP 200 with a non-zero ``code`` and no data: check the code
        first, so that surfaces as its mapped error rather than a malformed answer."""
        code = payload.get("code", 0) if isinstance(payload, dict) else None
        if isinstance(payload, dict) and code not in (0, None):
            message = str(payload.get("message", ""))
            code_int = code if isinstance(code, int) else None
            raise error_for(200, code_int, message, provider="kling", model=model, payload=payload)
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise TransientProviderError(
                "Kling answered without a data object",
                provider="kling",
                model=model,
                payload=payload,
            )
        return payload["data"]

    def parse_submit(self, wire: WireRequest, payload: Any) -> TaskHandle:
        data = self._data(payload, wire.model)
        return self.handle_for(wire, str(data["task_id"]))

    async def lookup(self, wire: WireRequest) -> TaskHandle | None:
        """Kling's query path takes either the task id or our external_task_id."""
        try:
            resp = await self.request(
                "GET", f"/v1/videos/{wire.route}/{wire.idempotency_key}", model=wire.model
            )
        except InvalidRequest as exc:
            if exc.status == 404:  # no task carries that key: the submit never landed
                return None
            raise
        data = self._data(self.json_body(resp, "Kling", model=wire.model), wire.model)
        return self.handle_for(wire, str(data["task_id"]))

    async def poll(self, handle: TaskHandle) -> TaskState:
        resp = await self.request(
            "GET",
            f"/v1/videos/{handle.route}/{handle.task_id}",
            model=handle.model,
            task_id=handle.task_id,
        )
        data = self._data(self.json_body(resp, "Kling", model=handle.model), handle.model)
        return self.to_state(handle, data)

    async def poll_many(self, handles: Sequence[TaskHandle]) -> dict[str, TaskState]:
        """Poll through the task list (newest first, LIST_PAGE a page): 1,000 tasks in flight
        cost two requests a round instead of 1,000. Tasks not listed are left out."""
        states: dict[str, TaskState] = {}
        by_route: dict[str, dict[str, TaskHandle]] = {}
        for h in handles:
            by_route.setdefault(h.route, {})[h.task_id] = h
        for route, wanted in by_route.items():
            model = next(iter(wanted.values())).model
            for page in range(1, len(wanted) // LIST_PAGE + 3):
                query = f"?pageNum={page}&pageSize={LIST_PAGE}"
                resp = await self.request("GET", f"/v1/videos/{route}{query}", model=model)
                payload = self.json_body(resp, "Kling", model=model)
                ok = isinstance(payload, dict) and payload.get("code", 0) in (0, None)
                items = payload.get("data") if ok else None
                if not isinstance(items, list):
                    self._data(payload, model)  # raises the mapped error or a malformed answer
                    break
                for item in items:
                    handle = (
                        wanted.get(str(item.get("task_id"))) if isinstance(item, dict) else None
                    )
                    if handle is not None:
                        states[handle.task_id] = self.to_state(handle, item)
                if len(items) < LIST_PAGE or all(t in states for t in wanted):
                    break
        return states

    def to_state(self, handle: TaskHandle, data: dict[str, Any]) -> TaskState:
        status = str(data.get("task_status", "")).lower()
        charge = to_decimal(data.get("final_unit_deduction"))
        if status == "submitted":
            return Queued(handle, raw=data)
        if status == "processing":
            return Running(handle, raw=data)
        # Relays pass through foreign spellings ("succeeded"); accept them rather than loop.
        if status in ("succeed", "succeeded", "success"):
            created = (data.get("updated_at") or data.get("created_at") or 0) / 1000
            videos = (data.get("task_result") or {}).get("videos") or []
            outputs = tuple(
                OutputRef(
                    url=v["url"],
                    duration=float(v["duration"]) if v.get("duration") else None,
                    expires_at=created + OUTPUT_LIFETIME if created else None,
                )
                for v in videos
                if v.get("url")
            )
            if not outputs:  # "succeeded but empty" is a failure, not a success
                empty = TaskFailed(
                    "task succeeded with no video", **self.task_context(handle, data, charge)
                )
                return Failed(handle, raw=data, error=empty)
            return Succeeded(handle, raw=data, outputs=outputs, charge=charge)
        if status == "failed":
            msg = str(data.get("task_status_msg") or "task failed")
            ctx = self.task_context(handle, data, charge)
            if any(h in msg.lower() for h in MODERATION_HINTS):
                return Failed(
                    handle, raw=data, error=ModerationRejected(msg, stage="output", **ctx)
                )
            return Failed(handle, raw=data, error=TaskFailed(msg, **ctx))
        raise TransientProviderError(
            f"unknown Kling task_status {status!r}", **self.task_context(handle, data)
        )
