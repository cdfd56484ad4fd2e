"""The MiniMax adapter: the v1 Hailuo API and the v2 MiniMax-H3 API (research §6), chosen by
model. ``HailuoAdapter`` and ``MiniMaxH3Adapter`` pin one version; ``MiniMaxAdapter`` drives both
(the catalogue's ``minimax-api`` channel carries Hailuo and H3 routes).

v1: ``POST /v1/video_generation`` → ``task_id``; ``GET /v1/query/video_generation?task_id=``
(Preparing/Queueing/Processing/Success/Fail) → ``file_id``; ``GET /v1/files/retrieve?file_id=``
→ ``file.download_url``. Errors ride in ``base_resp`` on HTTP 200.
v2: ``POST /v2/video_generation`` → ``task_id``; ``GET /v2/query/video_generation/{task_id}`` →
``task {status, content.url, usage, error}``; HTTP error statuses with an ``error`` envelope.

MiniMax has **no idempotency key and no task listing** in the sources read, so an ambiguous
submit cannot be reconciled: it raises :class:`AmbiguousSubmit` and a human decides. There is
no cancel endpoint either (v2 reports ``cancelled`` but no way to ask for it was found).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from ...generators.base import ShotRequest
from .._http import error_payload, retry_after
from ..base import Adapter
from ..errors import ProviderError, TaskFailed, TransientProviderError
from ..state import (
    Canceled,
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
from .auth import MiniMaxCredentials
from .codes import TRANSIENT_AT_SUBMIT, code_from_message, error_for
from .models import OUTPUT_LIFETIME, V1_DEFAULT, V2_DEFAULT, api_version
from .options import MiniMaxOptions
from .request import bad, build_v1_body, build_v2_body, model_name

DEFAULT_BASE_URL = "https://api.minimax.io"  # international; China: api.minimaxi.com
CHINA_BASE_URL = "https://api.minimaxi.com"
V1_CREATE, V1_QUERY, V1_FILES = "/v1/video_generation", "/v1/query/video_generation", "/v1/files"
V2_CREATE, V2_QUERY = "/v2/video_generation", "/v2/query/video_generation"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _task_error(error: ProviderError) -> ProviderError:
    """A failed task's error: an "internal error" code means the task ran and failed (a new
    submit may succeed), not a transient read error that polling again would clear."""
    if not isinstance(error, TransientProviderError):
        return error
    return TaskFailed(
        error.message,
        provider=error.provider,
        model=error.model,
        task_id=error.task_id,
        cost=error.cost,
        payload=error.payload,
        code=error.code,
        status=error.status,
    )


class MiniMaxAdapter(Adapter):
    provider: ClassVar[str] = "minimax"
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL
    billing_unit: ClassVar[str] = "second"  # v2 usage.total_seconds; v1 reports none
    can_cancel: ClassVar[bool] = False
    poll_interval: ClassVar[float] = 10.0  # vercel/ai's default
    versions: ClassVar[tuple[str, ...]] = ("v1", "v2")

    def __init__(
        self,
        *,
        credentials: MiniMaxCredentials | None = None,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.credentials = credentials or MiniMaxCredentials.from_env()
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
        """``idempotency_key`` is accepted for the common signature but not sent: MiniMax has
        no such field, so the wire carries None."""
        opts = MiniMaxOptions.model_validate(dict(options or {}))
        model = model_name(request, opts)
        if not model:
            wanted = opts.model_name or request.model
            if wanted not in ("", "previz"):
                raise bad(f"{wanted!r} is not a MiniMax video model this adapter knows", wanted)
            model = V1_DEFAULT if "v1" in self.versions else V2_DEFAULT
        version = api_version(model)
        if version not in self.versions:
            raise bad(
                f"{model} is a {version} model; {type(self).__name__} speaks {self.versions}", model
            )
        if version == "v1":
            body, warnings = build_v1_body(request, opts, model)
            path = V1_CREATE
        else:
            body, warnings = build_v2_body(request, opts, model)
            path = V2_CREATE
        return self.wire_post(
            model=model,
            route=version,
            path=path,
            body=body,
            idempotency_key=None,
            warnings=warnings,
        )

    # -- errors -----------------------------------------------------------------------------------

    def error_from_response(
        self, response: httpx.Response, *, model: str = "", task_id: str | None = None
    ) -> ProviderError:
        payload = error_payload(response)
        code, message = None, ""
        if isinstance(payload, dict):
            err, base = payload.get("error"), payload.get("base_resp")
            if isinstance(err, dict):  # v2 envelope: the code is in the message, "... (2013)"
                message = str(err.get("message") or "")
                code = code_from_message(message)
            elif isinstance(base, dict):  # v1 envelope on an error status
                code, message = _int(base.get("status_code")), str(base.get("status_msg") or "")
        return error_for(
            response.status_code,
            code,
            message,
            retry_after=retry_after(response.headers),
            provider=self.provider,
            model=model,
            task_id=task_id,
            payload=payload,
        )

    def _base_resp_error(
        self, data: dict[str, Any], *, model: str, task_id: str | None = None
    ) -> ProviderError | None:
        """The mapped error when a v1 body's ``base_resp.status_code`` is non-zero."""
        base = data.get("base_resp")
        if not isinstance(base, dict):
            return None
        code = _int(base.get("status_code"))
        if not code:
            return None
        return error_for(
            200,
            code,
            str(base.get("status_msg") or ""),
            provider=self.provider,
            model=model,
            task_id=task_id,
            payload=data,
        )

    # -- submit -----------------------------------------------------------------------------------

    def parse_submit(self, wire: WireRequest, payload: Any) -> TaskHandle:
        data = payload if isinstance(payload, dict) else {}
        error = self._base_resp_error(data, model=wire.model)
        if error is not None and not data.get("task_id"):
            if error.code in TRANSIENT_AT_SUBMIT:  # timeout/internal: the task may exist
                raise self.ambiguous(
                    wire,
                    f"submit answered {error.message}; the task may exist and cannot be "
                    "looked up (MiniMax has no idempotency key): check before resubmitting",
                    payload=payload,
                    code=error.code,
                )
            raise error
        return self.handle_from(
            wire,
            payload,
            "task_id",
            missing="submit answered without a task_id; the task may exist",
        )

    async def lookup(self, wire: WireRequest) -> TaskHandle | None:
        return None  # no key and no listing: never reached (reconcile refuses without a key)

    # -- poll -------------------------------------------------------------------------------------

    async def poll(self, handle: TaskHandle) -> TaskState:
        if handle.route == "v2":
            path = f"{V2_QUERY}/{quote(handle.task_id, safe='')}"
            resp = await self.request("GET", path, model=handle.model, task_id=handle.task_id)
            return self.v2_state(handle, self.json_object(resp, "MiniMax", model=handle.model))
        path = f"{V1_QUERY}?task_id={quote(handle.task_id, safe='')}"
        resp = await self.request("GET", path, model=handle.model, task_id=handle.task_id)
        data = self.json_object(resp, "MiniMax", model=handle.model)
        status = str(data.get("status") or "")
        if not status:
            error = self._base_resp_error(data, model=handle.model, task_id=handle.task_id)
            raise error or TransientProviderError(
                "MiniMax query answered without a status", **self.task_context(handle, data)
            )
        if status.lower() == "success":
            return await self._v1_succeeded(handle, data)
        return self.v1_state(handle, data)

    def v1_state(self, handle: TaskHandle, data: dict[str, Any]) -> TaskState:
        status = str(data.get("status") or "").lower()
        if status in ("preparing", "queueing", "queued", "submitted"):
            return Queued(handle, raw=data)
        if status in ("processing", "running"):
            return Running(handle, raw=data)
        if status in ("fail", "failed"):
            error = self._base_resp_error(data, model=handle.model, task_id=handle.task_id)
            if error is None:
                msg = str(data.get("error_message") or "task failed")  # field name [?]
                error = error_for(200, None, msg, **self.task_context(handle, data))
            return Failed(handle, raw=data, error=_task_error(error))
        raise TransientProviderError(
            f"unknown MiniMax status {status!r}", **self.task_context(handle, data)
        )

    async def _v1_succeeded(self, handle: TaskHandle, data: dict[str, Any]) -> TaskState:
        file_id = data.get("file_id")
        if not file_id:
            raise TransientProviderError(
                "task succeeded without a file_id", **self.task_context(handle, data)
            )
        path = f"{V1_FILES}/retrieve?file_id={quote(str(file_id), safe='')}"
        resp = await self.request("GET", path, model=handle.model, task_id=handle.task_id)
        meta = self.json_object(resp, "MiniMax", model=handle.model)
        if error := self._base_resp_error(meta, model=handle.model, task_id=handle.task_id):
            raise error
        file = _dict(meta.get("file"))
        url = file.get("download_url") or file.get("backup_download_url")
        if not url:
            raise TransientProviderError(
                "file retrieval answered without a download_url", **self.task_context(handle, meta)
            )
        created = file.get("created_at")
        start = float(created) if isinstance(created, int | float) else time.time()
        out = OutputRef(str(url), "video", None, start + OUTPUT_LIFETIME)
        return Succeeded(handle, raw={**data, "file": file}, outputs=(out,), charge=None)

    def v2_state(self, handle: TaskHandle, data: dict[str, Any]) -> TaskState:
        task = _dict(data.get("task")) or data
        status = str(task.get("status") or "").lower()
        usage = _dict(task.get("usage"))
        seconds = usage.get("total_seconds")  # billed seconds; input seconds included [?]
        charge = Decimal(str(seconds)) if isinstance(seconds, int | float) else None
        ctx = self.task_context(handle, data, charge)
        if status in ("queued", "pending", "submitted"):
            return Queued(handle, raw=data)
        if status in ("running", "processing"):
            return Running(handle, raw=data)
        if status in ("succeeded", "succeed", "success"):
            url = _dict(task.get("content")).get("url")
            if not url:
                raise TransientProviderError("task succeeded without a content.url", **ctx)
            duration = task.get("duration")
            dur = float(duration) if isinstance(duration, int | float) else None
            out = OutputRef(str(url), "video", dur, time.time() + OUTPUT_LIFETIME)
            return Succeeded(handle, raw=data, outputs=(out,), charge=charge)
        if status == "failed":
            err = _dict(task.get("error"))
            code = _int(err.get("code"))
            msg = str(err.get("message") or "task failed")
            return Failed(handle, raw=data, error=_task_error(error_for(200, code, msg, **ctx)))
        if status in ("cancelled", "canceled"):
            return Canceled(handle, raw=data)
        if status == "expired":
            return Expired(handle, raw=data)
        raise TransientProviderError(f"unknown MiniMax-H3 status {status!r}", **ctx)


class HailuoAdapter(MiniMaxAdapter):
    """The v1 Hailuo API only (Hailuo 2.3 / 2.3-Fast / 02 and the 01 series)."""

    versions: ClassVar[tuple[str, ...]] = ("v1",)


class MiniMaxH3Adapter(MiniMaxAdapter):
    """The v2 MiniMax-H3 API only."""

    versions: ClassVar[tuple[str, ...]] = ("v2",)
