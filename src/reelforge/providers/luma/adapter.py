"""The Luma Dream Machine adapter (research §7): ``POST /generations/video`` → Generation,
``GET /generations/{id}`` (queued, dreaming, completed, failed + ``failure_reason``),
``GET /generations?limit&offset`` (list), ``DELETE /generations/{id}``.

The base URL means what the ``lumaai`` SDK's ``base_url`` means: it *includes* the API prefix
(default ``https://api.lumalabs.ai/dream-machine/v1``); paths start at ``/generations``.

Luma has no client idempotency key. The wire carries ours (never sent); an ambiguous submit is
reconciled by listing recent generations and matching the echoed ``request`` (model, prompt,
keyframes, shape, duration) — so a re-run of the same shot re-attaches to a live or completed
generation instead of paying twice. DELETE is Luma's only way to stop a generation: it erases
it, so :meth:`LumaAdapter.cancel` remembers the id and later polls report :class:`Canceled`.
Output URL lifetime is not documented [?]; :meth:`download` re-reads the generation once for a
fresh URL when a download answers "expired". Luma reports no charge (``charge`` is None).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import httpx

from ...generators.base import ShotRequest
from .._http import error_payload, retry_after
from ..base import Adapter
from ..errors import InvalidRequest, ProviderError, TransientProviderError
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
from .auth import LumaCredentials
from .codes import error_detail, failure_error, http_error
from .options import LumaOptions
from .request import build_body

DEFAULT_BASE_URL = "https://api.lumalabs.ai/dream-machine/v1"  # the lumaai SDK's default
GENERATIONS = "/generations"
ROUTE = "generations/video"
MATCH_FIELDS = ("model", "prompt", "keyframes", "aspect_ratio", "resolution", "duration", "loop")
LIST_LIMIT = 100


class LumaAdapter(Adapter):
    provider: ClassVar[str] = "luma"
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL
    billing_unit: ClassVar[str] = "usd"  # nothing reported per generation
    find_by: ClassVar[str] = "listing"
    can_cancel: ClassVar[bool] = True
    poll_interval: ClassVar[float] = 3.0  # the SDK examples poll every few seconds

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
        self.credentials = credentials or LumaCredentials.from_env()
        self._cancelled: set[str] = set()
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
        """``idempotency_key`` stays on the wire object only (Luma has no such field): it marks
        the request as reconcilable by listing."""
        opts = LumaOptions.model_validate(dict(options or {}))
        body, warnings = build_body(request, opts)
        return self.wire_post(
            model=body["model"],
            route=ROUTE,
            path=f"{GENERATIONS}/video",
            body=body,
            idempotency_key=idempotency_key,
            warnings=warnings,
        )

    # -- errors -----------------------------------------------------------------------------------

    def error_from_response(
        self, response: httpx.Response, *, model: str = "", task_id: str | None = None
    ) -> ProviderError:
        payload: Any = error_payload(response)
        return http_error(
            response.status_code,
            error_detail(payload),
            retry_after=retry_after(response.headers),
            provider=self.provider,
            model=model,
            task_id=task_id,
            payload=payload,
        )

    # -- submit and reconcile ---------------------------------------------------------------------

    def parse_submit(self, wire: WireRequest, payload: Any) -> TaskHandle:
        return self.handle_from(
            wire,
            payload,
            "id",
            missing="submit answered without a generation id; the generation may exist",
        )

    async def lookup(self, wire: WireRequest) -> TaskHandle | None:
        """The newest listed generation (not failed) whose echoed request matches ``wire``."""
        resp = await self.request(
            "GET", f"{GENERATIONS}?limit={LIST_LIMIT}&offset=0", model=wire.model
        )
        data = self.json_object(resp, "Luma", model=wire.model)
        found = [g for g in data.get("generations") or [] if _matches(g, wire.body)]
        if not found:
            return None
        newest = max(found, key=lambda g: str(g.get("created_at") or ""))
        return self.handle_for(wire, str(newest["id"]))

    # -- poll, cancel, download -------------------------------------------------------------------

    async def poll(self, handle: TaskHandle) -> TaskState:
        try:
            resp = await self.request(
                "GET", f"{GENERATIONS}/{handle.task_id}", model=handle.model, task_id=handle.task_id
            )
        except InvalidRequest as exc:
            if exc.status == 404 and handle.task_id in self._cancelled:
                return Canceled(handle, raw={"id": handle.task_id, "state": "deleted"})
            raise
        return self.to_state(handle, self.json_object(resp, "Luma", model=handle.model))

    async def cancel(self, handle: TaskHandle) -> None:
        """Stop a live generation (DELETE: Luma erases it). A finished one is left alone;
        erasing that is :meth:`delete`'s job."""
        state = await self.poll(handle)
        if state.terminal:
            return
        await self.delete(handle)
        self._cancelled.add(handle.task_id)

    async def delete(self, handle: TaskHandle) -> None:
        await self.request(
            "DELETE", f"{GENERATIONS}/{handle.task_id}", model=handle.model, task_id=handle.task_id
        )

    async def download(self, state: Succeeded, dest_dir: Path) -> list[Path]:
        """Download; if the URL has expired, read the generation again once for a fresh one."""
        return await self.download_refreshed(state, dest_dir)

    def to_state(self, handle: TaskHandle, data: dict[str, Any]) -> TaskState:
        state = str(data.get("state", "")).lower()
        ctx = self.task_context(handle, data)
        if state in ("queued", "pending"):
            return Queued(handle, raw=data)
        if state in ("dreaming", "processing", "running"):
            return Running(handle, raw=data)
        if state in ("completed", "succeeded", "success"):
            assets = data.get("assets") if isinstance(data.get("assets"), dict) else {}
            url = assets.get("video") if assets else None
            if not isinstance(url, str) or not url:  # "completed but empty" is a failure
                err = failure_error("generation completed with no video", **ctx)
                return Failed(handle, raw=data, error=err)
            return Succeeded(handle, raw=data, outputs=(OutputRef(url, "video"),))
        if state == "failed":
            reason = data.get("failure_reason")
            return Failed(handle, raw=data, error=failure_error(str(reason or ""), **ctx))
        if state in ("cancelled", "canceled", "deleted"):
            return Canceled(handle, raw=data)
        raise TransientProviderError(f"unknown Luma state {state!r}", **ctx)


def _matches(generation: Any, body: Mapping[str, Any]) -> bool:
    if not isinstance(generation, dict) or not generation.get("id"):
        return False
    if str(generation.get("state", "")).lower() == "failed":
        return False  # a failed generation is not worth re-attaching to
    echoed = generation.get("request")
    if not isinstance(echoed, dict):
        return False
    return all(echoed.get(f) == body.get(f) for f in MATCH_FIELDS)
