"""The Runway adapter (research §5): ``POST /v1/{text,image,video}_to_video`` → ``{id}``,
``GET /v1/tasks/{id}`` (PENDING, THROTTLED, RUNNING, SUCCEEDED, FAILED, CANCELLED),
``DELETE /v1/tasks/{id}`` (cancel a live task; delete a finished one).

The base URL means what the ``runwayml`` SDK's ``base_url`` means: the host only; paths carry
``/v1``. Runway has **no client idempotency key and no task listing**, so an ambiguous submit
(timeout after sending, 5xx, a body without an id) cannot be reconciled: it raises
:class:`AmbiguousSubmit` and a human checks the dashboard before resubmitting. Output URLs
expire within 24-48 h; :meth:`RunwayAdapter.download` fetches the task again for fresh URLs
once when a download answers "expired". Charges are the task's reported ``cost.credits``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import httpx

from ...generators.base import ShotRequest
from .._http import error_payload, retry_after
from ..base import Adapter
from ..errors import ProviderError, TransientProviderError
from ..state import (
    Canceled,
    Failed,
    OutputRef,
    Queued,
    Running,
    Succeeded,
    TaskHandle,
    TaskState,
    WireRequest,
)
from .auth import RunwayCredentials
from .codes import failure_error, http_error
from .models import API_VERSION, SOURCE_VIDEO_MODELS
from .options import RunwayOptions
from .request import build_body

DEFAULT_BASE_URL = "https://api.dev.runwayml.com"  # the SDK's default; paths carry /v1
TASKS = "/v1/tasks"
OUTPUT_LIFETIME = 24 * 3600  # URLs expire "within 24-48 hours": assume the short end


class RunwayAdapter(Adapter):
    provider: ClassVar[str] = "runway"
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL
    billing_unit: ClassVar[str] = "credit"  # cost.credits; $0.01 each [?] (§5.4)
    can_cancel: ClassVar[bool] = True
    poll_interval: ClassVar[float] = 6.0  # the SDK waiter's pace
    # Models sent ShotRequest.source_video; the catalogue check refuses it on any other route.
    source_video_models: ClassVar[tuple[str, ...]] = SOURCE_VIDEO_MODELS

    def __init__(
        self,
        *,
        credentials: RunwayCredentials | None = None,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        api_version: str = API_VERSION,
    ) -> None:
        # Resolve the key first: a missing key should fail before any client is opened.
        self.credentials = credentials or RunwayCredentials.from_env()
        self.api_version = api_version
        super().__init__(base_url=base_url, client=client, transport=transport, timeout=timeout)

    def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.credentials.api_secret}",
            "X-Runway-Version": self.api_version,
        }

    def build_request(
        self,
        request: ShotRequest,
        options: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> WireRequest:
        """``idempotency_key`` is accepted for the common signature but not sent: Runway has no
        such field, so the wire carries None (ensure_submitted then always submits once)."""
        opts = RunwayOptions.model_validate(dict(options or {}))
        route, body, warnings = build_body(request, opts)
        return self.wire_post(
            model=body["model"],
            route=route,
            path=f"/v1/{route}",
            body=body,
            idempotency_key=None,
            warnings=warnings,
        )

    # -- errors -----------------------------------------------------------------------------------

    def error_from_response(
        self, response: httpx.Response, *, model: str = "", task_id: str | None = None
    ) -> ProviderError:
        payload: Any = error_payload(response)
        message = ""
        if isinstance(payload, dict):
            err = payload.get("error") or payload.get("message") or ""
            message = str(err.get("message", err) if isinstance(err, dict) else err)
            issues = payload.get("issues")
            if isinstance(issues, list) and issues:
                first = issues[0] if isinstance(issues[0], dict) else {}
                where = ".".join(str(p) for p in first.get("path", []))
                message += f": {where} {first.get('message', '')}".rstrip()
        return http_error(
            response.status_code,
            message,
            retry_after=retry_after(response.headers),
            provider=self.provider,
            model=model,
            task_id=task_id,
            payload=payload,
        )

    # -- submit -----------------------------------------------------------------------------------

    def parse_submit(self, wire: WireRequest, payload: Any) -> TaskHandle:
        return self.handle_from(
            wire,
            payload,
            "id",
            missing="submit answered without a task id; the task may exist (Runway has no key "
            "to look it up by: check the dashboard before resubmitting)",
        )

    async def lookup(self, wire: WireRequest) -> TaskHandle | None:
        """Never reached (no idempotency key on the wire; base.reconcile raises Unsupported)."""
        return None

    # -- poll, cancel, download -------------------------------------------------------------------

    async def poll(self, handle: TaskHandle) -> TaskState:
        resp = await self.request(
            "GET", f"{TASKS}/{handle.task_id}", model=handle.model, task_id=handle.task_id
        )
        return self.to_state(handle, self.json_object(resp, "Runway", model=handle.model))

    async def cancel(self, handle: TaskHandle) -> None:
        """Cancel a live task. A finished one is left alone: DELETE on it erases the task and
        its outputs, which is :meth:`delete`'s job."""
        state = await self.poll(handle)
        if state.terminal:
            return
        await self.delete(handle)

    async def delete(self, handle: TaskHandle) -> None:
        await self.request(
            "DELETE", f"{TASKS}/{handle.task_id}", model=handle.model, task_id=handle.task_id
        )

    async def download(self, state: Succeeded, dest_dir: Path) -> list[Path]:
        """Download; if the URLs have expired, fetch the task again once for fresh ones."""
        return await self.download_refreshed(state, dest_dir)

    def to_state(self, handle: TaskHandle, data: dict[str, Any]) -> TaskState:
        status = str(data.get("status", "")).upper()
        cost = data.get("cost")
        credits = cost.get("credits") if isinstance(cost, dict) else None
        charge = Decimal(str(credits)) if isinstance(credits, int | float) else None
        ctx = self.task_context(handle, data, charge)
        if status in ("PENDING", "THROTTLED"):  # THROTTLED: queued behind the concurrency cap
            return Queued(handle, raw=data)
        if status == "RUNNING":
            progress = data.get("progress")
            value = float(progress) if isinstance(progress, int | float) else None
            return Running(handle, raw=data, progress=value)
        if status in ("SUCCEEDED", "SUCCEED", "SUCCESS"):
            urls = [u for u in data.get("output") or [] if isinstance(u, str) and u]
            if not urls:  # "succeeded but empty" is a failure, not a success
                err = failure_error(None, "task succeeded with no output", **ctx)
                return Failed(handle, raw=data, error=err)
            expires = time.time() + OUTPUT_LIFETIME
            outputs = tuple(OutputRef(u, "video", None, expires) for u in urls)
            return Succeeded(handle, raw=data, outputs=outputs, charge=charge)
        if status == "FAILED":
            code = data.get("failureCode")
            error = failure_error(
                str(code) if code else None, str(data.get("failure") or "task failed"), **ctx
            )
            return Failed(handle, raw=data, error=error)
        if status in ("CANCELLED", "CANCELED"):
            return Canceled(handle, raw=data)
        raise TransientProviderError(f"unknown Runway status {status!r}", **ctx)
