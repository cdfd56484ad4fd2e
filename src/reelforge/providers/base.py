"""The adapter contract: one async shape for every commercial video API.

An adapter turns a :class:`ShotRequest` into a :class:`WireRequest` (pure, no I/O), submits it
once, polls it into normalised :mod:`state` objects, and downloads the outputs at once (provider
URLs expire). A submit is never retried on timeout or 5xx: the task may exist and be billing, so
that raises :class:`AmbiguousSubmit` and the caller reconciles through the idempotency key.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from ..generators.base import ShotRequest
from ._http import download_file, safe_name, same_origin
from ._transport import AiohttpTransport
from .config import resolve_base_url
from .errors import (
    AmbiguousSubmit,
    InvalidRequest,
    OutputExpired,
    ProviderError,
    TransientProviderError,
    Unsupported,
)
from .state import Succeeded, TaskHandle, TaskState, WireRequest

OptionsT = TypeVar("OptionsT", bound=BaseModel)


class Adapter(ABC):
    """Base of every provider adapter. Subclasses set the class attributes and implement the
    abstract methods; submit/wait/download/reconcile plumbing is shared."""

    provider: ClassVar[str]
    default_base_url: ClassVar[str]
    billing_unit: ClassVar[str] = "usd"
    can_cancel: ClassVar[bool] = False
    poll_interval: ClassVar[float] = 5.0  # the provider's own suggestion, seconds
    # How the task a submit created can be found after the process died before recording the
    # answer: "key" (the provider looks tasks up by our idempotency key), "listing" (we search
    # its task list for our request) or "none" (it cannot: the job goes to a human).
    find_by: ClassVar[str] = "none"
    # Whether many tasks can be polled with one request (a list endpoint): `poll_many`.
    can_poll_many: ClassVar[bool] = False

    def __init__(
        self,
        *,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = (base_url or resolve_base_url(self.provider, self.default_base_url)).rstrip(
            "/"
        )
        self._owns_client = client is None
        # No default auth header on the client: auth is added per request to the provider's own
        # origin only, so it can never leak to an output host.
        # Waiting for a free connection of our own pool is not a provider timeout: with
        # hundreds of tasks in flight a poll may queue behind others; it must not fail for it.
        self.client = client or httpx.AsyncClient(
            transport=transport or AiohttpTransport(),
            timeout=httpx.Timeout(timeout, pool=None),
        )

    async def aclose(self) -> None:
        if self._owns_client:
            await self.client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- what a provider implements -------------------------------------------------------------

    @abstractmethod
    def auth_headers(self) -> dict[str, str]:
        """Headers authenticating one request to ``base_url`` (fresh each call: tokens expire)."""

    @abstractmethod
    def build_request(
        self,
        request: ShotRequest,
        options: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> WireRequest:
        """Translate a shot into the provider's wire body; raise InvalidRequest before spending."""

    @abstractmethod
    def parse_submit(self, wire: WireRequest, payload: Any) -> TaskHandle: ...

    @abstractmethod
    def error_from_response(
        self, response: httpx.Response, *, model: str = "", task_id: str | None = None
    ) -> ProviderError:
        """Map an error response (HTTP status and provider code) into the exception tree."""

    @abstractmethod
    async def poll(self, handle: TaskHandle) -> TaskState: ...

    @abstractmethod
    async def lookup(self, wire: WireRequest) -> TaskHandle | None:
        """Find the task a submit of ``wire`` created, by its idempotency key; None if none."""

    async def poll_many(self, handles: Sequence[TaskHandle]) -> dict[str, TaskState]:
        """States of many tasks in as few requests as the provider allows (task id → state);
        tasks it did not list are left out (the caller polls those one by one)."""
        return {h.task_id: await self.poll(h) for h in handles}

    async def cancel(self, handle: TaskHandle) -> None:
        raise Unsupported(
            f"{self.provider} has no cancel endpoint; the task runs (and bills) to the end",
            provider=self.provider,
            model=handle.model,
            task_id=handle.task_id,
        )

    # -- small helpers for subclasses -------------------------------------------------------------

    def parse_options(
        self, schema: type[OptionsT], options: Mapping[str, Any] | None, *, model: str, label: str
    ) -> OptionsT:
        """``options`` checked by the adapter's strict model; a bad one is InvalidRequest
        ("bad <label> options: …", naming the field) before anything is spent."""
        try:
            return schema.model_validate(dict(options or {}))
        except ValidationError as exc:
            raise InvalidRequest(
                f"bad {label} options: {exc}", provider=self.provider, model=model
            ) from exc

    def wire_post(
        self,
        *,
        model: str,
        route: str,
        path: str,
        body: dict[str, Any],
        idempotency_key: str | None,
        warnings: Sequence[str] = (),
    ) -> WireRequest:
        """The request that POSTs ``body`` to ``path`` (built here, sent by :meth:`submit`)."""
        return WireRequest(
            provider=self.provider,
            model=model,
            route=route,
            method="POST",
            path=path,
            body=body,
            idempotency_key=idempotency_key,
            warnings=tuple(warnings),
        )

    def handle_for(self, wire: WireRequest, task_id: str) -> TaskHandle:
        """The handle of the task a submit of ``wire`` created."""
        return TaskHandle(self.provider, wire.model, wire.route, task_id, wire.idempotency_key)

    def handle_from(
        self, wire: WireRequest, payload: Any, field: str, *, missing: str
    ) -> TaskHandle:
        """The handle for the task id in a submit answer's ``field``. An answer without one
        does not prove that no task was made: AmbiguousSubmit, saying ``missing``."""
        task_id = payload.get(field) if isinstance(payload, dict) else None
        if not task_id:
            raise self.ambiguous(wire, missing, payload=payload)
        return self.handle_for(wire, str(task_id))

    def ambiguous(self, wire: WireRequest, message: str, **kw: Any) -> AmbiguousSubmit:
        """The error for a submit of ``wire`` whose task may exist (so it must not be resent)."""
        return AmbiguousSubmit(
            message,
            idempotency_key=wire.idempotency_key,
            provider=self.provider,
            model=wire.model,
            **kw,
        )

    def unreconcilable(self, exc: AmbiguousSubmit, wire: WireRequest, why: str) -> AmbiguousSubmit:
        """``exc`` retold for a provider that cannot find the task again: ``why`` replaces the
        advice to reconcile by key."""
        return AmbiguousSubmit(
            f"{exc.message.split('; reconcile by key')[0]}. {why}",
            idempotency_key=None,
            provider=self.provider,
            model=wire.model,
            payload=exc.payload,
            code=exc.code,
            status=exc.status,
        )

    def task_context(
        self, handle: TaskHandle, payload: Any, cost: Decimal | None = None
    ) -> dict[str, Any]:
        """What every error about a task carries: provider, model, task id, cost, payload."""
        return {
            "provider": self.provider,
            "model": handle.model,
            "task_id": handle.task_id,
            "cost": cost,
            "payload": payload,
        }

    def json_body(
        self, resp: httpx.Response, who: str, *, model: str, task_id: str | None = None
    ) -> Any:
        """An answer's JSON; a body that is not JSON (a proxy's HTML page on a 200) is
        transient: asking again may work."""
        try:
            return resp.json()
        except ValueError as exc:
            raise TransientProviderError(
                f"{who} answered with a body that is not JSON",
                provider=self.provider,
                model=model,
                task_id=task_id,
            ) from exc

    def json_object(
        self,
        resp: httpx.Response,
        who: str,
        *,
        model: str,
        task_id: str | None = None,
        what: str = "a JSON object",
    ) -> dict[str, Any]:
        """An answer's JSON object; anything else is transient, as in :meth:`json_body`."""
        data = self.json_body(resp, who, model=model, task_id=task_id)
        if not isinstance(data, dict):
            raise TransientProviderError(
                f"{who} answered without {what}",
                provider=self.provider,
                model=model,
                task_id=task_id,
                payload=data,
            )
        return data

    async def download_refreshed(self, state: Succeeded, dest_dir: Path) -> list[Path]:
        """:meth:`download`; when the output URLs have expired, read the task once more for
        fresh ones (providers that re-sign URLs on every read)."""
        try:
            return await Adapter.download(self, state, dest_dir)
        except OutputExpired:
            fresh = await self.poll(state.handle)
            if not isinstance(fresh, Succeeded):
                raise
            return await Adapter.download(self, fresh, dest_dir)

    # -- shared plumbing --------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        model: str = "",
        task_id: str | None = None,
    ) -> httpx.Response:
        """An authenticated call to the provider; network trouble becomes TransientProviderError
        and error statuses become the mapped exception (safe for reads, not for submits)."""
        try:
            resp = await self.client.request(
                method, self.base_url + path, json=json, headers=self.auth_headers()
            )
        except httpx.HTTPError as exc:
            raise TransientProviderError(
                f"{method} {path} failed: {exc!r}", provider=self.provider, model=model
            ) from exc
        if resp.status_code >= 400:
            raise self.error_from_response(resp, model=model, task_id=task_id)
        return resp

    def send_kwargs(self, wire: WireRequest) -> dict[str, Any]:
        """How :meth:`submit` puts ``wire.body`` on the wire (httpx keywords): JSON."""
        return {"json": wire.body}

    async def submit(self, wire: WireRequest) -> TaskHandle:
        """Send ``wire`` exactly once. Errors that prove nothing was created (connect failures,
        4xx) raise their mapped error; anything ambiguous raises :class:`AmbiguousSubmit`."""
        try:
            resp = await self.client.request(
                wire.method,
                self.base_url + wire.path,
                headers=self.auth_headers(),
                **self.send_kwargs(wire),
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # The request never left this machine: nothing was created, a retry is safe.
            raise TransientProviderError(
                f"submit not sent: {exc!r}", provider=self.provider, model=wire.model
            ) from exc
        except httpx.HTTPError as exc:
            raise self.ambiguous(
                wire, f"submit outcome unknown ({exc!r}); reconcile by key, do not resubmit"
            ) from exc
        if resp.status_code >= 500 or resp.status_code == 408:
            mapped = self.error_from_response(resp, model=wire.model)
            raise self.ambiguous(
                wire,
                f"submit got HTTP {resp.status_code} ({mapped.message}); the task may exist",
                payload=mapped.payload,
                code=mapped.code,
                status=resp.status_code,
            )
        if resp.status_code >= 400:
            raise self.error_from_response(resp, model=wire.model)
        try:
            payload = resp.json()
        except ValueError as exc:
            raise self.ambiguous(wire, "submit answered with a body that is not JSON") from exc
        return self.parse_submit(wire, payload)

    async def reconcile(self, wire: WireRequest) -> TaskHandle | None:
        """After AmbiguousSubmit or a crash: the task this request created, or None."""
        if wire.idempotency_key is None:
            raise Unsupported(
                "no idempotency key: an ambiguous submit cannot be reconciled",
                provider=self.provider,
                model=wire.model,
            )
        return await self.lookup(wire)

    async def find_submitted(self, wire: WireRequest, *, since: float) -> TaskHandle | None:
        """The task a submit of ``wire`` (sent at epoch ``since``) created, found after a crash;
        None when the provider has no such task (the submit never arrived)."""
        if self.find_by == "none":
            raise Unsupported(
                f"{self.provider} cannot look a task up by our request; check its dashboard",
                provider=self.provider,
                model=wire.model,
            )
        return await self.lookup(wire)

    async def ensure_submitted(self, wire: WireRequest) -> TaskHandle:
        """Attach to the task for ``wire`` if one exists, else submit it (restart-safe)."""
        found = await self.reconcile(wire) if wire.idempotency_key else None
        return found or await self.submit(wire)

    async def wait(
        self,
        handle: TaskHandle,
        *,
        timeout: float = 900.0,
        interval: float | None = None,
        on_state: Callable[[TaskState], None] | None = None,
    ) -> TaskState:
        """Poll until terminal. Transient read errors and rate limits back off and retry."""
        step = self.poll_interval if interval is None else interval
        deadline = time.monotonic() + timeout
        delay = step
        while True:
            try:
                state = await self.poll(handle)
                delay = step
            except TransientProviderError:
                delay = min(delay * 2, 60.0)
            except ProviderError as exc:
                retry_after = getattr(exc, "retry_after", None)
                if not exc.retryable:
                    raise
                delay = max(step, retry_after or delay * 2)
            else:
                if on_state is not None:
                    on_state(state)
                if state.terminal:
                    return state
            if time.monotonic() + delay > deadline:
                raise TransientProviderError(
                    f"gave up waiting after {timeout:.0f} s; the task may still finish",
                    provider=self.provider,
                    model=handle.model,
                    task_id=handle.task_id,
                )
            await asyncio.sleep(delay)

    async def download(self, state: Succeeded, dest_dir: Path) -> list[Path]:
        """Fetch every output now. Auth headers only for the provider's own origin."""
        handle = state.handle
        paths = []
        for i, out in enumerate(state.outputs):
            headers = self.auth_headers() if same_origin(out.url, self.base_url) else {}
            suffix = ".mp4" if out.kind == "video" else ""
            name = safe_name(f"{self.provider}-{handle.task_id}-{i}") + suffix
            paths.append(
                await download_file(
                    self.client,
                    out.url,
                    Path(dest_dir) / name,
                    headers=headers,
                    provider=self.provider,
                    model=handle.model,
                    task_id=handle.task_id,
                )
            )
        return paths


class InProcessLookup(Adapter):
    """For providers with neither a client idempotency key nor a task listing: the task id a
    submit got is remembered under our key in this process only, so a re-run here re-attaches;
    after an ambiguous submit, reconcile raises again (``no_reconcile`` says why) rather than let
    a caller pay twice."""

    no_reconcile: ClassVar[str]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._submitted: dict[str, str] = {}  # idempotency key → task id (this process)
        self._ambiguous: set[str] = set()

    async def submit(self, wire: WireRequest) -> TaskHandle:
        key = wire.idempotency_key
        try:
            handle = await super().submit(wire)
        except AmbiguousSubmit:
            if key:
                self._ambiguous.add(key)
            raise
        if key:
            self._submitted[key] = handle.task_id
        return handle

    async def lookup(self, wire: WireRequest) -> TaskHandle | None:
        task_id = self._submitted.get(wire.idempotency_key or "")
        return None if task_id is None else self.handle_for(wire, task_id)

    async def reconcile(self, wire: WireRequest) -> TaskHandle | None:
        found = await self.lookup(wire)
        if found is None and (wire.idempotency_key or "") in self._ambiguous:
            raise self.ambiguous(wire, self.no_reconcile)
        return found
