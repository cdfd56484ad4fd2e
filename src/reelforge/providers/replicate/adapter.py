"""The Replicate predictions adapter (research §9): ``POST /v1/models/{owner}/{name}/predictions``
(or ``/v1/predictions`` with a ``version``) creates a prediction; ``GET /v1/predictions/{id}``
polls starting → processing → succeeded | failed | canceled; ``POST …/cancel`` cancels.

Replicate deletes API outputs one hour after the prediction (``OUTPUT_TTL``): outputs carry that
expiry, and a late download raises :class:`OutputExpired` without asking. Replicate takes no
idempotency key; an ambiguous submit is reconciled by listing recent predictions and matching the
model and the exact input (a rerun of the same shot sends the same input).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx

from ...generators.base import ShotRequest
from .._http import error_payload, retry_after
from ..base import Adapter
from ..config import resolve_base_url, resolve_keys
from ..errors import (
    ModerationRejected,
    OutputExpired,
    ProviderError,
    TaskFailed,
    TransientProviderError,
)
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
from .codes import error_for, is_moderation
from .request import ReplicateOptions, build_input

DEFAULT_BASE_URL = "https://api.replicate.com"  # as replicate-python's base_url; paths carry /v1
KEY_ENV_OPTIONS = (("REPLICATE_API_TOKEN",),)
KEY_NAME = "replicate"
OUTPUT_TTL = 3600.0  # "inputs, outputs, files and logs of API predictions are deleted after 1 h"
LOOKUP_PAGES = 3


@dataclass(frozen=True)
class ReplicateCredentials:
    token: str

    def __post_init__(self) -> None:
        if not self.token:
            raise ValueError("ReplicateCredentials needs a token")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReplicateCredentials:
        return cls(resolve_keys(KEY_NAME, KEY_ENV_OPTIONS, env)["REPLICATE_API_TOKEN"])

    def __repr__(self) -> str:
        return "ReplicateCredentials(token=***)"


def epoch(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class ReplicateAdapter(Adapter):
    provider: ClassVar[str] = "replicate"
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL
    billing_unit: ClassVar[str] = "usd"
    find_by: ClassVar[str] = "listing"
    can_cancel: ClassVar[bool] = True
    poll_interval: ClassVar[float] = 2.0
    output_ttl: ClassVar[float] = OUTPUT_TTL

    def __init__(
        self,
        *,
        credentials: ReplicateCredentials | None = None,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.credentials = credentials or ReplicateCredentials.from_env()
        base = base_url or resolve_base_url(KEY_NAME, DEFAULT_BASE_URL)
        super().__init__(base_url=base, client=client, transport=transport, timeout=timeout)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.token}"}

    def build_request(
        self,
        request: ShotRequest,
        options: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> WireRequest:
        opts = ReplicateOptions.model_validate(dict(options or {}))
        model, inp, warnings = build_input(request, opts)
        if ":" in model:
            path, body = "/v1/predictions", {"version": model, "input": inp}
        else:
            path, body = f"/v1/models/{model}/predictions", {"input": inp}
        return self.wire_post(
            model=model,
            route="predictions",
            path=path,
            body=body,
            idempotency_key=idempotency_key,
            warnings=warnings,
        )

    def error_from_response(
        self, response: httpx.Response, *, model: str = "", task_id: str | None = None
    ) -> ProviderError:
        payload: Any = error_payload(response)
        body = payload if isinstance(payload, dict) else {}
        return error_for(
            response.status_code,
            str(body.get("title") or ""),
            str(body.get("detail") or ""),
            retry_after=retry_after(response.headers),
            provider=self.provider,
            model=model,
            task_id=task_id,
            payload=payload,
        )

    # -- submit, lookup, cancel -----------------------------------------------------------------

    def parse_submit(self, wire: WireRequest, payload: Any) -> TaskHandle:
        pid = payload.get("id") if isinstance(payload, dict) else None
        if not isinstance(pid, str) or not pid.isalnum():
            raise TransientProviderError(
                "submit answered without a prediction id; reconcile before resubmitting",
                provider=self.provider,
                model=wire.model,
                payload=payload,
            )
        return self.handle_for(wire, pid)

    async def lookup(self, wire: WireRequest) -> TaskHandle | None:
        """The newest live prediction of this model with exactly this input, created within the
        output lifetime (older ones have lost their outputs anyway)."""
        path: str | None = "/v1/predictions"
        model = wire.model.split(":", 1)[0]
        for _ in range(LOOKUP_PAGES):
            if path is None:
                break
            resp = await self.request("GET", path, model=wire.model)
            page = resp.json() if resp.content else {}
            for item in page.get("results") or []:
                created = epoch(item.get("created_at"))
                if (
                    isinstance(item, dict)
                    and item.get("model") == model
                    and item.get("input") == wire.body["input"]
                    and item.get("status") not in ("failed", "canceled")
                    and created is not None
                    and time.time() - created < self.output_ttl
                ):
                    return self.parse_submit(wire, item)
            nxt = page.get("next")
            path = None
            if isinstance(nxt, str) and nxt.startswith(self.base_url + "/v1/predictions"):
                path = nxt[len(self.base_url) :]  # a cursor on our own host only
        return None

    async def cancel(self, handle: TaskHandle) -> None:
        await self.request(
            "POST",
            f"/v1/predictions/{handle.task_id}/cancel",
            model=handle.model,
            task_id=handle.task_id,
        )

    # -- polling --------------------------------------------------------------------------------

    async def poll(self, handle: TaskHandle) -> TaskState:
        resp = await self.request(
            "GET", f"/v1/predictions/{handle.task_id}", model=handle.model, task_id=handle.task_id
        )
        data = self.json_body(resp, "Replicate", model=handle.model, task_id=handle.task_id)
        return self.to_state(handle, data if isinstance(data, dict) else {})

    def to_state(self, handle: TaskHandle, data: dict[str, Any]) -> TaskState:
        ctx = self.task_context(handle, data)
        status = data.get("status")
        if status == "starting":
            return Queued(handle, raw=data)
        if status == "processing":
            return Running(handle, raw=data)
        if status == "canceled":
            return Canceled(handle, raw=data)
        if status == "failed":
            message = str(data.get("error") or "prediction failed")
            err: ProviderError
            if is_moderation(message):
                err = ModerationRejected(message, stage="output", code="E005", **ctx)
            else:
                err = TaskFailed(message, **ctx)
            return Failed(handle, raw=data, error=err)
        if status != "succeeded":
            raise TransientProviderError(f"unknown Replicate status {status!r}", **ctx)
        output = data.get("output")
        urls = [output] if isinstance(output, str) else output if isinstance(output, list) else []
        urls = [u for u in urls if isinstance(u, str) and u]
        done = epoch(data.get("completed_at"))
        if data.get("data_removed") or not urls:
            return Failed(
                handle,
                raw=data,
                error=OutputExpired(
                    "Replicate removed this prediction's output (kept 1 hour after it ran)", **ctx
                ),
            )
        expires = None if done is None else done + self.output_ttl
        return Succeeded(
            handle, raw=data, outputs=tuple(OutputRef(u, expires_at=expires) for u in urls)
        )

    async def download(self, state: Succeeded, dest_dir: Path) -> list[Path]:
        now = time.time()
        for out in state.outputs:
            if out.expires_at is not None and now >= out.expires_at:
                raise OutputExpired(
                    f"output expired {now - out.expires_at:.0f} s ago (Replicate keeps 1 hour)",
                    provider=self.provider,
                    model=state.handle.model,
                    task_id=state.handle.task_id,
                )
        return await super().download(state, dest_dir)
