"""The fal.ai queue adapter (research §8): ``POST {queue}/{endpoint id}`` answers a
``request_id`` and status/response/cancel URLs; status is IN_QUEUE, IN_PROGRESS or COMPLETED
(there is no FAILED: a COMPLETED status carrying ``error`` is a failure, and its result GET
answers an HTTP error such as 422 ``content_policy_violation``).

The returned URLs are used only when they sit on the configured queue host; otherwise the
adapter builds them from the endpoint id (``{owner}/{alias}/requests/{id}``, as fal-client's
``AppId`` does). The ``Key`` header never goes to a host taken from a response body.
fal has no idempotency key and no way to list requests, so an ambiguous submit cannot be
reconciled: persist the handle as soon as submit returns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from ...generators.base import ShotRequest
from .._http import error_payload, origin, retry_after
from ..base import Adapter
from ..config import resolve_base_url, resolve_keys
from ..errors import AmbiguousSubmit, ProviderError, TransientProviderError, Unsupported
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
from .codes import detail_text, error_for
from .request import FalOptions, build_body

DEFAULT_BASE_URL = "https://queue.fal.run"  # fal-client's queue host (FAL_QUEUE_RUN_HOST)
KEY_ENV_OPTIONS = (("FAL_KEY",), ("FAL_KEY_ID", "FAL_KEY_SECRET"))
KEY_NAME = "fal"
NAMESPACES = ("workflows", "comfy")
CANCELLED_TYPES = ("request_cancelled", "cancelled")
NO_RECONCILE = (
    "fal takes no idempotency key and cannot list queue requests, so this submit cannot be "
    "reconciled; check the fal dashboard before resubmitting"
)


@dataclass(frozen=True)
class FalCredentials:
    key: str  # FAL_KEY, or "id:secret"

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("FalCredentials needs a key")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> FalCredentials:
        keys = resolve_keys(KEY_NAME, KEY_ENV_OPTIONS, env)
        if "FAL_KEY" in keys:
            return cls(keys["FAL_KEY"])
        return cls(f"{keys['FAL_KEY_ID']}:{keys['FAL_KEY_SECRET']}")

    def __repr__(self) -> str:
        return "FalCredentials(key=***)"


def app_path(endpoint_id: str) -> str:
    """``{owner}/{alias}`` of an endpoint id (namespaced apps keep their prefix)."""
    parts = endpoint_id.strip("/").split("/")
    keep = 3 if parts[0] in NAMESPACES else 2
    return "/".join(parts[:keep])


class FalAdapter(Adapter):
    provider: ClassVar[str] = "fal"
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL
    billing_unit: ClassVar[str] = "usd"
    can_cancel: ClassVar[bool] = True
    poll_interval: ClassVar[float] = 3.0  # the SDK's 0.1 s is too eager for video

    def __init__(
        self,
        *,
        credentials: FalCredentials | None = None,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.credentials = credentials or FalCredentials.from_env()
        base = base_url or resolve_base_url(KEY_NAME, DEFAULT_BASE_URL)
        super().__init__(base_url=base, client=client, transport=transport, timeout=timeout)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Key {self.credentials.key}"}

    def build_request(
        self,
        request: ShotRequest,
        options: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> WireRequest:
        opts = FalOptions.model_validate(dict(options or {}))
        model, endpoint, body, warnings = build_body(request, opts)
        if idempotency_key:
            warnings.append("fal has no idempotency key; a re-run submits a new request")
        return self.wire_post(
            model=model,
            route=endpoint,
            path=f"/{endpoint}",
            body=body,
            idempotency_key=None,
            warnings=warnings,
        )

    # -- errors ---------------------------------------------------------------------------------

    def error_from_response(
        self, response: httpx.Response, *, model: str = "", task_id: str | None = None
    ) -> ProviderError:
        return self._error(response, model=model, task_id=task_id)

    def _error(
        self,
        response: httpx.Response,
        *,
        model: str = "",
        task_id: str | None = None,
        stage: str = "input",
    ) -> ProviderError:
        payload: Any = error_payload(response)
        body = payload if isinstance(payload, dict) else {}
        message, item_type = detail_text(body.get("detail"))
        error_type = body.get("error_type") or item_type or response.headers.get("x-fal-error-type")
        return error_for(
            response.status_code,
            str(error_type) if error_type else None,
            message,
            retry_after=retry_after(response.headers),
            stage=stage,
            provider=self.provider,
            model=model,
            task_id=task_id,
            payload=payload,
        )

    # -- submit, lookup, cancel -----------------------------------------------------------------

    async def submit(self, wire: WireRequest) -> TaskHandle:
        try:
            return await super().submit(wire)
        except AmbiguousSubmit as exc:
            raise self.unreconcilable(exc, wire, NO_RECONCILE) from exc

    def parse_submit(self, wire: WireRequest, payload: Any) -> TaskHandle:
        rid = payload.get("request_id") if isinstance(payload, dict) else None
        if not isinstance(rid, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", rid):
            raise self.ambiguous(
                wire, f"submit answered without a request_id. {NO_RECONCILE}", payload=payload
            )
        return TaskHandle(self.provider, wire.model, self._app_from(payload, wire.route, rid), rid)

    def _app_from(self, payload: dict[str, Any], endpoint: str, rid: str) -> str:
        """The app path from the returned status URL when it is on our queue host and names this
        request; else the endpoint id's ``{owner}/{alias}`` (never a foreign host)."""
        url = payload.get("status_url")
        base_path = httpx.URL(self.base_url).path.rstrip("/")
        if isinstance(url, str):
            try:
                u = httpx.URL(url)
                same = origin(u) == origin(self.base_url)
            except (httpx.InvalidURL, ValueError):
                same = False
            if same:
                m = re.fullmatch(
                    rf"{re.escape(base_path)}/(.+)/requests/{re.escape(rid)}/status", u.path
                )
                if m and ".." not in m.group(1):
                    return m.group(1)
        return app_path(endpoint)

    async def lookup(self, wire: WireRequest) -> TaskHandle | None:
        raise Unsupported(NO_RECONCILE, provider=self.provider, model=wire.model)

    def _req(self, handle: TaskHandle, suffix: str = "") -> str:
        return f"/{handle.route}/requests/{handle.task_id}{suffix}"

    async def cancel(self, handle: TaskHandle) -> None:
        """``PUT …/cancel``: 202 CANCELLATION_REQUESTED, or 400 ALREADY_COMPLETED (no error:
        the next poll reports the finished request)."""
        try:
            await self.request(
                "PUT", self._req(handle, "/cancel"), model=handle.model, task_id=handle.task_id
            )
        except ProviderError as exc:
            payload = exc.payload if isinstance(exc.payload, dict) else {}
            if exc.status == 400 and payload.get("status") == "ALREADY_COMPLETED":
                return
            raise

    # -- polling --------------------------------------------------------------------------------

    async def poll(self, handle: TaskHandle) -> TaskState:
        ctx: dict[str, Any] = {
            "provider": self.provider,
            "model": handle.model,
            "task_id": handle.task_id,
        }
        resp = await self.request(
            "GET", self._req(handle, "/status?logs=0"), model=handle.model, task_id=handle.task_id
        )
        data = self._json(resp, handle)
        status = data.get("status")
        if status == "IN_QUEUE":
            pos = data.get("queue_position")
            return Queued(handle, raw=data, position=pos if isinstance(pos, int) else None)
        if status == "IN_PROGRESS":
            return Running(handle, raw=data)
        if status != "COMPLETED":
            raise TransientProviderError(f"unknown fal status {status!r}", payload=data, **ctx)
        if data.get("error") or data.get("error_type"):
            return await self._completed_with_error(handle, data, ctx)
        result = await self.client.request(
            "GET", self.base_url + self._req(handle), headers=self.auth_headers()
        )
        if result.status_code >= 400:
            err = self._error(result, model=handle.model, task_id=handle.task_id, stage="output")
            if err.retryable:  # e.g. 504 after COMPLETED: fetch again, do not fail the job
                raise err
            return Failed(handle, raw=data, error=err)
        out = self._json(result, handle)
        video = out.get("video")
        url = video.get("url") if isinstance(video, dict) else None
        if not isinstance(url, str) or not url:
            raise TransientProviderError("COMPLETED result has no video.url", payload=out, **ctx)
        return Succeeded(handle, raw={"status": data, "result": out}, outputs=(OutputRef(url),))

    async def _completed_with_error(
        self, handle: TaskHandle, data: dict[str, Any], ctx: dict[str, Any]
    ) -> TaskState:
        etype = str(data.get("error_type") or "")
        if etype in CANCELLED_TYPES:
            return Canceled(handle, raw=data)
        message = str(data.get("error") or etype)
        err = error_for(200, etype or None, message, stage="output", payload=data, **ctx)
        return Failed(handle, raw=data, error=err)

    def _json(self, resp: httpx.Response, handle: TaskHandle) -> dict[str, Any]:
        return self.json_object(
            resp, "fal", model=handle.model, task_id=handle.task_id, what="an object"
        )
