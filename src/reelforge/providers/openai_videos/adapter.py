"""The adapter for any server honouring the OpenAI videos contract (research §2): OpenAI's own
(retired 2026-09-24), OpenAI-shaped gateways, and reelforge's sandbox.

``base_url`` means what the ``openai`` SDK means by it: scheme, host and ``/v1``. There is no
idempotency key upstream, so an ambiguous submit is reconciled by listing recent videos and
matching our fingerprint (prompt, model, seconds, size — or the remix source).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from ...generators.base import ShotRequest
from .._http import error_payload
from ..base import Adapter
from ..config import resolve_keys
from ..errors import (
    AmbiguousSubmit,
    InvalidRequest,
    ModerationRejected,
    ProviderError,
    TaskFailed,
    TransientProviderError,
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
from .codes import error_for, is_moderation, retry_after
from .options import OpenAIVideosOptions
from .request import build_form

DEFAULT_BASE_URL = "https://api.openai.com/v1"
KEY_ENV_OPTIONS: tuple[tuple[str, ...], ...] = (("OPENAI_API_KEY",),)
CLOCK_SKEW = 120.0  # seconds of server/client clock difference tolerated when matching
LIST_LIMIT = 100
LIST_PAGES = 10
RUNNING = ("in_progress", "processing", "running")
DONE = ("completed", "succeeded", "success", "done")


def fingerprint(route: str, model: str, body: Mapping[str, Any], source: str = "") -> str:
    fields = {k: body.get(k) for k in ("prompt", "seconds", "size")}
    blob = json.dumps([route, model, source, fields], sort_keys=True).encode()
    return "rf-" + hashlib.sha256(blob).hexdigest()[:32]


class OpenAIVideosAdapter(Adapter):
    provider: ClassVar[str] = "openai"
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL
    key_env: ClassVar[tuple[tuple[str, ...], ...]] = KEY_ENV_OPTIONS
    billing_unit: ClassVar[str] = "usd"  # nothing is reported; the catalogue prices per second
    find_by: ClassVar[str] = "listing"
    can_cancel: ClassVar[bool] = True
    poll_interval: ClassVar[float] = 10.0  # the guide suggests 10-20 s

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        reconcile_window: float = 6 * 3600.0,
    ) -> None:
        # Resolve the key first: a missing key should fail before any client is opened.
        self.api_key = api_key or next(iter(resolve_keys(self.provider, self.key_env).values()))
        super().__init__(base_url=base_url, client=client, transport=transport, timeout=timeout)
        self.reconcile_window = reconcile_window
        self._submitted_at: dict[str, float] = {}  # idempotency key → when its submit began
        self._ambiguous: set[str] = set()
        self._canceled: set[str] = set()

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
        opts = OpenAIVideosOptions.model_validate(dict(options or {}))
        route, body, warnings = build_form(request, opts)
        model = str(body.get("model") or opts.model_name or request.model)
        source = opts.remix_video_id or ""
        path = f"/videos/{source}/remix" if route == "remix" else "/videos"
        return self.wire_post(
            model=model,
            route=route,
            path=path,
            body=body,
            # Never sent (the contract has none): it names the fingerprint for reconcile.
            idempotency_key=idempotency_key or fingerprint(route, model, body, source),
            warnings=warnings,
        )

    def send_kwargs(self, wire: WireRequest) -> dict[str, Any]:
        """Remix is JSON; create is always multipart/form-data (a file part when an image)."""
        if wire.route == "remix":
            return {"json": wire.body}
        parts: dict[str, Any] = {
            k: (None, str(v)) for k, v in wire.body.items() if k != "input_reference"
        }
        ref = wire.body.get("input_reference")
        if ref:
            parts["input_reference"] = (
                ref["filename"],
                base64.b64decode(ref["base64"]),
                ref["content_type"],
            )
        return {"files": parts}

    # -- submit (never retried) ------------------------------------------------------------------

    async def submit(self, wire: WireRequest) -> TaskHandle:
        """Send once, remembering when (lookup matches videos created since) and whether the
        outcome was ambiguous (reconcile then refuses to report "none" as settled)."""
        key = wire.idempotency_key or ""
        self._submitted_at[key] = time.time()
        try:
            return await super().submit(wire)
        except AmbiguousSubmit:
            self._ambiguous.add(key)
            raise

    def parse_submit(self, wire: WireRequest, payload: Any) -> TaskHandle:
        return self.handle_from(wire, payload, "id", missing="submit answered without a video id")

    def error_from_response(
        self, response: httpx.Response, *, model: str = "", task_id: str | None = None
    ) -> ProviderError:
        payload = error_payload(response)
        return error_for(
            response.status_code,
            payload,
            retry_after=retry_after(response.headers),
            provider=self.provider,
            model=model,
            task_id=task_id,
        )

    # -- reconcile by listing --------------------------------------------------------------------

    def matches(self, wire: WireRequest, video: Mapping[str, Any]) -> bool:
        if str(video.get("prompt") or "") != wire.body.get("prompt"):
            return False
        if wire.route == "remix":
            source = wire.path.split("/")[2]
            return str(video.get("remixed_from_video_id") or "") == source
        return (
            str(video.get("model") or "") == wire.model
            and str(video.get("seconds") or "") == wire.body.get("seconds")
            and str(video.get("size") or "") == wire.body.get("size")
        )

    async def lookup(self, wire: WireRequest) -> TaskHandle | None:
        """The oldest listed video matching ``wire`` created since our submit (or, with no submit
        from this process, within ``reconcile_window``, skipping failed ones); None if none."""
        key = wire.idempotency_key or ""
        submitted = self._submitted_at.get(key)
        since = (submitted or time.time() - self.reconcile_window) - CLOCK_SKEW
        found: dict[str, Any] | None = None
        after: str | None = None
        for _ in range(LIST_PAGES):
            query = f"?limit={LIST_LIMIT}&order=desc" + (f"&after={after}" if after else "")
            try:
                resp = await self.request("GET", "/videos" + query, model=wire.model)
            except InvalidRequest as exc:
                if exc.status in (404, 405) and submitted is None:  # a gateway without list
                    return None
                raise
            page = self.json_object(resp, "the videos API", model=wire.model)
            videos = [v for v in page.get("data") or [] if isinstance(v, dict)]
            for video in videos:
                if float(video.get("created_at") or 0) < since:
                    continue
                if submitted is None and video.get("status") == "failed":
                    continue
                if self.matches(wire, video):
                    found = video  # keep going: newest first, so the last match is the oldest
            if not videos or not page.get("has_more"):
                break
            if float(videos[-1].get("created_at") or 0) < since:
                break
            after = str(page.get("last_id") or videos[-1].get("id"))
        return None if found is None else self.handle_for(wire, str(found["id"]))

    async def reconcile(self, wire: WireRequest) -> TaskHandle | None:
        found = await self.lookup(wire)
        if found is None and (wire.idempotency_key or "") in self._ambiguous:
            raise AmbiguousSubmit(
                "no listed video matches the ambiguous submit (yet); it may still appear — "
                "do not resubmit before checking again",
                idempotency_key=wire.idempotency_key,
                provider=self.provider,
                model=wire.model,
            )
        return found

    # -- poll, cancel ----------------------------------------------------------------------------

    async def poll(self, handle: TaskHandle) -> TaskState:
        try:
            resp = await self.request(
                "GET", f"/videos/{handle.task_id}", model=handle.model, task_id=handle.task_id
            )
        except InvalidRequest as exc:
            if exc.status == 404 and handle.task_id in self._canceled:
                return Canceled(handle)
            raise
        return self.to_state(handle, self.json_object(resp, "the videos API", model=handle.model))

    def content_url(self, video_id: str, variant: str = "video") -> str:
        return f"{self.base_url}/videos/{video_id}/content?variant={variant}"

    def to_state(self, handle: TaskHandle, data: dict[str, Any]) -> TaskState:
        status = str(data.get("status", "")).lower()
        if status in ("queued", "pending", "submitted"):
            return Queued(handle, raw=data)
        if status in RUNNING:
            progress = data.get("progress")
            fraction = float(progress) / 100 if isinstance(progress, int | float) else None
            return Running(handle, raw=data, progress=fraction)
        if status in DONE:
            seconds = str(data.get("seconds") or "")
            expires = data.get("expires_at")
            out = OutputRef(
                url=self.content_url(str(data.get("id") or handle.task_id)),
                duration=float(seconds) if seconds.isdigit() else None,
                expires_at=float(expires) if isinstance(expires, int | float) else None,
            )
            return Succeeded(handle, raw=data, outputs=(out,))
        if status == "failed":
            raw_err = data.get("error")
            err: dict[str, Any] = raw_err if isinstance(raw_err, dict) else {}
            code, msg = str(err.get("code") or ""), str(err.get("message") or "video failed")
            ctx: dict[str, Any] = {
                "provider": self.provider,
                "model": handle.model,
                "task_id": handle.task_id,
                "payload": data,
                "code": code or None,
            }
            if is_moderation(code, msg):
                return Failed(
                    handle, raw=data, error=ModerationRejected(msg, stage="output", **ctx)
                )
            return Failed(handle, raw=data, error=TaskFailed(msg, **ctx))
        if status in ("canceled", "cancelled"):
            return Canceled(handle, raw=data)
        if status == "expired":
            return Expired(handle, raw=data)
        raise TransientProviderError(
            f"unknown video status {status!r}",
            provider=self.provider,
            model=handle.model,
            task_id=handle.task_id,
            payload=data,
        )

    async def cancel(self, handle: TaskHandle) -> None:
        """DELETE the video: a queued or running job stops, a finished one loses its assets."""
        self._canceled.add(handle.task_id)
        try:
            await self.request(
                "DELETE", f"/videos/{handle.task_id}", model=handle.model, task_id=handle.task_id
            )
        except InvalidRequest as exc:
            if exc.status != 404:  # already gone is what we wanted
                raise


class ApiyiVideosAdapter(OpenAIVideosAdapter):
    """The same contract through the APIYI relay (catalogue ``grok-imagine-video@openai-compat``).
    Its own provider name keeps its key and base URL apart from OpenAI's: an OpenAI key is never
    sent to a relay. The default host is unverified [?]; set ``REELFORGE_APIYI_BASE_URL``."""

    provider: ClassVar[str] = "apiyi"
    default_base_url: ClassVar[str] = "https://api.apiyi.com/v1"
    key_env: ClassVar[tuple[tuple[str, ...], ...]] = (("APIYI_API_KEY",),)
