"""The Seedance adapter for the BytePlus ModelArk content-generation task API (research §4).

Seedance has **no client idempotency key**. A submit is sent once and never retried; when its
outcome is unknown (timeout after sending, 5xx, a body that is not JSON) the adapter lists the
account's recent tasks for the model and looks for the one this request made: created no earlier
than the submit (less ``clock_skew``) and matching the request's fingerprint (model, ratio,
resolution, duration, audio, tier, seed; and the prompt text where the listing echoes it, which
the real service does not). Exactly one match is attached to; none or several raise
:class:`AmbiguousSubmit` — a human decides, because a second submit pays twice. A re-run in a
new process cannot re-attach (no key to look up): ``ensure_submitted`` always submits.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx

from ...generators.base import ShotRequest
from .._http import error_payload, retry_after
from ..base import Adapter
from ..errors import (
    AmbiguousSubmit,
    ModerationRejected,
    ProviderError,
    TaskFailed,
    TransientProviderError,
    Unsupported,
)
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
from .auth import SeedanceCredentials
from .codes import error_for, is_moderation, moderation_stage
from .options import SeedanceOptions
from .request import build_body

DEFAULT_BASE_URL = "https://ark.ap-southeast.bytepluses.com/api/v3"  # BytePlus ModelArk
VOLCENGINE_BASE_URL = "https://ark.cn-beijing.volces.com/api/v3"  # Volcengine Ark (China)
TASKS = "/contents/generations/tasks"
OUTPUT_LIFETIME = 24 * 3600  # task data and video_url are kept 24 h
ROUTE = "contents/generations/tasks"
# Fields the task query/list echoes that must equal what we sent to count as "ours".
FINGERPRINT_FIELDS = ("resolution", "duration", "generate_audio", "service_tier", "seed")


def fingerprint(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def prompt_text(content: Any) -> str | None:
    if not isinstance(content, list):
        return None
    texts = [c.get("text") for c in content if isinstance(c, dict) and c.get("type") == "text"]
    return str(texts[0]) if texts else None


class SeedanceAdapter(Adapter):
    provider: ClassVar[str] = "seedance"
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL
    billing_unit: ClassVar[str] = "token"  # usage.completion_tokens
    find_by: ClassVar[str] = "listing"
    can_cancel: ClassVar[bool] = True  # queued tasks only
    poll_interval: ClassVar[float] = 5.0
    reconcile_attempts: int = 3  # listings tried after an ambiguous submit
    reconcile_delay: float = 2.0  # seconds between them (a create may list late)
    clock_skew: float = 5.0  # seconds of allowed clock difference with the service

    def __init__(
        self,
        *,
        credentials: SeedanceCredentials | None = None,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        # Resolve the key first: a missing key should fail before any client is opened.
        self.credentials = credentials or SeedanceCredentials.from_env()
        super().__init__(base_url=base_url, client=client, transport=transport, timeout=timeout)
        self._sent_at: dict[str, float] = {}  # body fingerprint → when this adapter sent it

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.bearer()}"}

    def build_request(
        self,
        request: ShotRequest,
        options: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> WireRequest:
        """``idempotency_key`` is accepted for the common signature but not sent: Seedance has
        no such field, so the wire carries None and reconciliation goes by fingerprint."""
        opts = SeedanceOptions.model_validate(dict(options or {}))
        body, warnings = build_body(request, opts)
        return self.wire_post(
            model=body["model"],
            route=ROUTE,
            path=TASKS,
            body=body,
            idempotency_key=None,
            warnings=warnings,
        )

    # -- errors -----------------------------------------------------------------------------------

    def error_from_response(
        self, response: httpx.Response, *, model: str = "", task_id: str | None = None
    ) -> ProviderError:
        payload = error_payload(response)
        err = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(err, dict):
            code, message = err.get("code"), err.get("message", "")
        else:  # relays sometimes answer with a top-level message
            code = None
            message = payload.get("message", "") if isinstance(payload, dict) else ""
        return error_for(
            response.status_code,
            str(code) if code else None,
            str(message),
            retry_after=retry_after(response.headers),
            provider=self.provider,
            model=model,
            task_id=task_id,
            payload=payload,
        )

    # -- submit and reconcile ---------------------------------------------------------------------

    def parse_submit(self, wire: WireRequest, payload: Any) -> TaskHandle:
        return self.handle_from(
            wire, payload, "id", missing="submit answered without a task id; the task may exist"
        )

    async def submit(self, wire: WireRequest) -> TaskHandle:
        """Send once; on an ambiguous outcome, try to find the task by fingerprint."""
        started = time.time()
        self._sent_at[fingerprint(wire.body)] = started
        try:
            return await super().submit(wire)
        except AmbiguousSubmit as exc:
            try:
                found = await self._find_after(wire, started, attempts=self.reconcile_attempts)
            except AmbiguousSubmit:
                raise
            except ProviderError:
                raise exc from None
            if found is not None:
                return found
            raise self.ambiguous(
                wire,
                f"{exc.message}; no task created since the submit matches this request, so it "
                "may or may not exist: check the console before resubmitting",
                payload=exc.payload,
                code=exc.code,
                status=exc.status,
            ) from exc

    async def reconcile(
        self, wire: WireRequest, *, since: float | None = None
    ) -> TaskHandle | None:
        """The task ``wire`` created, found by fingerprint among tasks created since ``since``
        (default: when this adapter sent it). None if none; AmbiguousSubmit if several."""
        since = since if since is not None else self._sent_at.get(fingerprint(wire.body))
        if since is None:
            raise Unsupported(
                "Seedance has no idempotency key: reconcile needs the submit time (since=)",
                provider=self.provider,
                model=wire.model,
            )
        return await self._find_after(wire, since, attempts=1)

    async def lookup(self, wire: WireRequest) -> TaskHandle | None:
        return await self.reconcile(wire)

    async def find_submitted(self, wire: WireRequest, *, since: float) -> TaskHandle | None:
        return await self.reconcile(wire, since=since)

    async def ensure_submitted(self, wire: WireRequest) -> TaskHandle:
        """No key to look a task up by, so this always submits (once)."""
        return await self.submit(wire)

    def matches(self, wire: WireRequest, item: Mapping[str, Any], since: float) -> bool:
        body = wire.body
        if item.get("model") != body["model"]:
            return False
        created = item.get("created_at")
        if not isinstance(created, int | float) or created < since - self.clock_skew:
            return False
        if body.get("ratio") not in (None, "adaptive") and item.get("ratio") != body["ratio"]:
            return False
        for key in FINGERPRINT_FIELDS:
            if key == "duration" and body.get(key) == -1:  # the model chose; echoed as chosen
                continue
            if key in body and key in item and item[key] != body[key]:
                return False
        echoed = prompt_text(item.get("content"))  # not echoed by the real service
        return echoed is None or echoed == prompt_text(body["content"])

    async def _find_after(
        self, wire: WireRequest, since: float, *, attempts: int
    ) -> TaskHandle | None:
        for attempt in range(max(1, attempts)):
            if attempt:
                await asyncio.sleep(self.reconcile_delay)
            query = urlencode({"page_num": 1, "page_size": 100, "filter.model": wire.model})
            resp = await self.request("GET", f"{TASKS}?{query}", model=wire.model)
            items = self.json_object(resp, "Seedance", model=wire.model).get("items") or []
            found = [i for i in items if isinstance(i, dict) and self.matches(wire, i, since)]
            if len(found) > 1:
                ids = ", ".join(str(i.get("id")) for i in found)
                raise self.ambiguous(
                    wire,
                    f"{len(found)} recent tasks match this request ({ids}); cannot tell which "
                    "is ours",
                    payload=found,
                )
            if found:
                return self.handle_for(wire, str(found[0]["id"]))
        return None

    # -- poll and cancel --------------------------------------------------------------------------

    async def poll(self, handle: TaskHandle) -> TaskState:
        resp = await self.request(
            "GET", f"{TASKS}/{handle.task_id}", model=handle.model, task_id=handle.task_id
        )
        return self.to_state(handle, self.json_object(resp, "Seedance", model=handle.model))

    async def cancel(self, handle: TaskHandle) -> None:
        """Cancel a queued task. A running one cannot be stopped (Unsupported); a finished one
        is left alone, because DELETE on a finished task erases its record and output URL."""
        state = await self.poll(handle)
        if state.terminal:
            return
        if isinstance(state, Running):
            raise Unsupported(
                "Seedance cancels only queued tasks; this one is running and bills to the end",
                provider=self.provider,
                model=handle.model,
                task_id=handle.task_id,
            )
        await self.request(
            "DELETE", f"{TASKS}/{handle.task_id}", model=handle.model, task_id=handle.task_id
        )

    def to_state(self, handle: TaskHandle, data: dict[str, Any]) -> TaskState:
        status = str(data.get("status", "")).lower()
        usage = data.get("usage") or {}
        tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
        charge = Decimal(str(tokens)) if isinstance(tokens, int | float) else None
        ctx = self.task_context(handle, data, charge)
        if status in ("queued", "pending", "submitted"):
            return Queued(handle, raw=data)
        if status in ("running", "processing"):
            return Running(handle, raw=data)
        if status in ("succeeded", "succeed", "success"):
            return self._succeeded(handle, data, charge, ctx)
        if status == "failed":
            raw_err = data.get("error")
            err: dict[str, Any] = raw_err if isinstance(raw_err, dict) else {}
            code = str(err.get("code")) if err.get("code") else None
            msg = str(err.get("message") or "task failed")
            text = f"{msg} (Seedance code {code})" if code else msg
            if is_moderation(code, msg):
                stage = moderation_stage(code, msg)
                return Failed(
                    handle, raw=data, error=ModerationRejected(text, stage=stage, code=code, **ctx)
                )
            return Failed(handle, raw=data, error=TaskFailed(text, code=code, **ctx))
        if status in ("cancelled", "canceled"):
            return Canceled(handle, raw=data)
        if status == "expired":
            return Expired(handle, raw=data)
        raise TransientProviderError(f"unknown Seedance status {status!r}", **ctx)

    def _succeeded(
        self, handle: TaskHandle, data: dict[str, Any], charge: Decimal | None, ctx: dict[str, Any]
    ) -> TaskState:
        content = data.get("content") or {}
        updated = data.get("updated_at") or data.get("created_at") or 0
        expires = float(updated) + OUTPUT_LIFETIME if updated else None
        duration = data.get("duration")
        outputs: list[OutputRef] = []
        if content.get("video_url"):
            secs = float(duration) if isinstance(duration, int | float) and duration > 0 else None
            outputs.append(OutputRef(str(content["video_url"]), "video", secs, expires))
        if not outputs:  # "succeeded but empty" is a failure, not a success
            return Failed(handle, raw=data, error=TaskFailed("task succeeded with no video", **ctx))
        if content.get("last_frame_url"):
            outputs.append(OutputRef(str(content["last_frame_url"]), "image", None, expires))
        return Succeeded(handle, raw=data, outputs=tuple(outputs), charge=charge)
