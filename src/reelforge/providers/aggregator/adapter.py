"""One adapter for every aggregator in ``profiles.yaml`` (research providers-2.md §2.7).

``AggregatorAdapter`` reads its wire from an :class:`AggregatorProfile`; the named subclasses
(:class:`AtlasAdapter`, :class:`WaveSpeedAdapter`, :class:`HiggsfieldAdapter`,
:class:`AimlapiAdapter`) only pick a profile, so ``cls()`` works for the remote generator.

No aggregator documents an idempotency key, so the wire carries none: a submit is sent once,
and a timeout, 5xx or id-less answer raises :class:`AmbiguousSubmit` (never a resubmit; their
SDKs do retry submits, which can pay twice). Credentials go to the profile's base URL only:
polls use the profile's path template, never a URL from a response body, and downloads from
any other origin carry no auth header.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from ...generators.base import ShotRequest
from .._http import error_payload, retry_after
from ..base import Adapter
from ..config import resolve_keys
from ..errors import (
    ConcurrencyLimited,
    ModerationRejected,
    OutputExpired,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    TaskFailed,
    TransientProviderError,
    Unsupported,
    build_error,
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
from .profiles import AggregatorProfile, get_path, get_profile
from .request import AggregatorOptions, build_body, catalogue_settings, submit_path


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("message") or value.get("detail") or value.get("name") or value)
    return "" if value is None else str(value)


class AggregatorAdapter(Adapter):
    """The generic adapter. Subclass with ``profile_name`` set, or use :func:`adapter_for`."""

    profile_name: ClassVar[str]
    provider: ClassVar[str]
    default_base_url: ClassVar[str]

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.profile: AggregatorProfile = get_profile(self.profile_name)
        # The key first: a missing key should fail before any client is opened.
        self._api_key = api_key or self._key_from_env(env)
        source = os.environ if env is None else env
        base = base_url or source.get(self.profile.base_url_env) or self.profile.default_base_url
        super().__init__(base_url=base, client=client, transport=transport, timeout=timeout)

    def _key_from_env(self, env: Mapping[str, str] | None) -> str:
        values = resolve_keys(self.profile.name, self.profile.key_env_options, env)
        return ":".join(values.values())  # Higgsfield's id + secret pair is "id:secret"

    def __repr__(self) -> str:  # never print the key
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key=***)"

    @property
    def billing_unit(self) -> str:  # type: ignore[override]
        return self.profile.billing_unit

    @property
    def poll_interval(self) -> float:  # type: ignore[override]
        return self.profile.poll_interval

    @property
    def can_cancel(self) -> bool:  # type: ignore[override]
        return self.profile.cancel_path is not None

    def auth_headers(self) -> dict[str, str]:
        scheme = self.profile.auth_scheme
        value = f"{scheme} {self._api_key}" if scheme else self._api_key
        return {self.profile.auth_header: value}

    def build_request(
        self,
        request: ShotRequest,
        options: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> WireRequest:
        """``idempotency_key`` is accepted for the common signature but not sent: aggregators
        document none, so the wire carries None and ensure_submitted submits exactly once."""
        opts = AggregatorOptions.model_validate(dict(options or {}))
        model = opts.model_name or request.model
        settings = (
            catalogue_settings(self.profile, model, request) if opts.duration is None else None
        )
        model, body, warnings = build_body(self.profile, request, opts, settings)
        return self.wire_post(
            model=model,
            route=self.profile.family,
            path=submit_path(self.profile, model),
            body=body,
            idempotency_key=None,
            warnings=warnings,
        )

    # -- errors -----------------------------------------------------------------------------------

    def _message(self, payload: Any) -> str:
        for path in self.profile.error_message_paths:
            text = _text(get_path(payload, path))
            if text:
                return text
        return ""

    def make_error(
        self, status: int, message: str, *, envelope: bool = False, **ctx: Any
    ) -> ProviderError:
        """HTTP status (or envelope code) + message → the mapped exception; message words refine
        the class (moderation, quota, concurrency) where aggregators share a status."""
        p = self.profile
        cls = p.error_class(status, envelope=envelope)
        low = message.lower()
        if status < 500 and any(w in low for w in p.moderation_words):
            cls = ModerationRejected
        elif status in (400, 402, 403, 429) and any(w in low for w in p.quota_words):
            cls = QuotaExceeded
        elif status == 429 and any(w in low for w in p.concurrency_words):
            cls = ConcurrencyLimited
        kind = "code" if envelope else "HTTP"
        text = f"{message or 'error'} ({p.label} {kind} {status})"
        ctx.setdefault("provider", self.provider)
        return build_error(cls, text, status=status, **ctx)

    def error_from_response(
        self, response: httpx.Response, *, model: str = "", task_id: str | None = None
    ) -> ProviderError:
        payload: Any = error_payload(response)
        err = self.make_error(
            response.status_code,
            self._message(payload),
            model=model,
            task_id=task_id,
            payload=payload,
        )
        if isinstance(err, RateLimited) and (after := retry_after(response.headers)) is not None:
            err.retry_after = after
        return err

    def _envelope_error(
        self, payload: Any, model: str, task_id: str | None
    ) -> ProviderError | None:
        """An HTTP 200 whose envelope ``code`` is not 200 (the predictions family)."""
        path = self.profile.envelope_code_path
        code = get_path(payload, path) if path else None
        if code is None or str(code) in ("200", "0"):
            return None
        try:
            status = int(code)
        except (TypeError, ValueError):
            status = 400
        return self.make_error(
            status,
            self._message(payload),
            envelope=True,
            model=model,
            task_id=task_id,
            payload=payload,
            code=code,
        )

    # -- submit -----------------------------------------------------------------------------------

    def parse_submit(self, wire: WireRequest, payload: Any) -> TaskHandle:
        err = self._envelope_error(payload, wire.model, None)
        if err is not None:
            if isinstance(err, TransientProviderError):  # envelope 5xx: the task may exist
                raise self.ambiguous(
                    wire,
                    f"submit answered {err.message}; the task may exist",
                    payload=payload,
                    code=err.code,
                )
            raise err
        task_id = get_path(payload, self.profile.id_path)
        if not task_id:
            raise self.ambiguous(
                wire,
                f"submit answered without {self.profile.id_path}; the task may exist (no key to "
                f"look it up by: check the {self.profile.label} dashboard before resubmitting)",
                payload=payload,
            )
        return self.handle_for(wire, str(task_id))

    async def lookup(self, wire: WireRequest) -> TaskHandle | None:
        """Never reached (no idempotency key on the wire; base.reconcile raises Unsupported)."""
        return None

    # -- poll, cancel, download -------------------------------------------------------------------

    def _task_path(self, template: str, task_id: str) -> str:
        return template.replace("{id}", quote(task_id, safe=""))

    async def poll(self, handle: TaskHandle) -> TaskState:
        path = self._task_path(self.profile.poll_path, handle.task_id)
        ctx: dict[str, Any] = {"provider": self.provider, "model": handle.model}
        try:
            resp = await self.client.get(self.base_url + path, headers=self.auth_headers())
        except httpx.HTTPError as exc:
            raise TransientProviderError(f"poll failed: {exc!r}", **ctx) from exc
        payload: Any = None
        with contextlib.suppress(ValueError):
            payload = resp.json()
        if resp.status_code >= 400:
            # Atlas: a failed prediction may come back as HTTP 5xx carrying the terminal body.
            spelled = get_path(payload, self.profile.status_path)
            state = self.profile.normalise(str(spelled)) if spelled is not None else None
            usable = self.profile.terminal_body_on_5xx and resp.status_code >= 500
            if not (usable and state in ("failed", "moderated", "canceled", "expired")):
                raise self.error_from_response(resp, model=handle.model, task_id=handle.task_id)
        if not isinstance(payload, dict):
            raise TransientProviderError(
                f"{self.profile.label} answered without a JSON object", payload=payload, **ctx
            )
        if resp.status_code < 400:
            err = self._envelope_error(payload, handle.model, handle.task_id)
            if err is not None:
                raise err
        return self.to_state(handle, payload)

    def to_state(self, handle: TaskHandle, data: dict[str, Any]) -> TaskState:
        p = self.profile
        spelled = str(get_path(data, p.status_path) or "")
        state = p.normalise(spelled)
        raw_cost = get_path(data, p.cost_path)
        charge: Decimal | None = None
        if isinstance(raw_cost, int | float | str) and not isinstance(raw_cost, bool):
            try:
                charge = Decimal(str(raw_cost))
            except InvalidOperation:
                charge = None
        ctx = self.task_context(handle, data, charge)
        message = _text(get_path(data, p.task_error_path))
        if state == "queued":
            return Queued(handle, raw=data)
        if state == "running":
            return Running(handle, raw=data)
        if state == "succeeded":
            found = get_path(data, p.output_path)
            urls = [found] if isinstance(found, str) else found if isinstance(found, list) else []
            urls = [u for u in urls if isinstance(u, str) and u]
            if not urls:  # "succeeded but empty" is a failure, not a success
                error = TaskFailed(f"{p.label} task {spelled} with no output", **ctx)
                return Failed(handle, raw=data, error=error)
            expires = time.time() + p.output_ttl if p.output_ttl else None
            outputs = tuple(OutputRef(u, "video", None, expires) for u in urls)
            return Succeeded(handle, raw=data, outputs=outputs, charge=charge)
        if state == "failed" and any(w in message.lower() for w in p.moderation_words):
            state = "moderated"
        if state == "moderated":
            text = f"{message or 'output flagged by content moderation'} ({p.label} {spelled})"
            return Failed(handle, raw=data, error=ModerationRejected(text, stage="output", **ctx))
        if state == "failed":
            text = f"{message or 'task failed'} ({p.label} {spelled})"
            return Failed(handle, raw=data, error=TaskFailed(text, **ctx))
        if state == "canceled":
            return Canceled(handle, raw=data)
        if state == "expired":
            return Expired(handle, raw=data)
        raise TransientProviderError(f"unknown {p.label} status {spelled!r}", **ctx)

    async def cancel(self, handle: TaskHandle) -> None:
        if self.profile.cancel_path is None:
            await super().cancel(handle)
            return
        path = self._task_path(self.profile.cancel_path, handle.task_id)
        try:
            await self.request("POST", path, model=handle.model, task_id=handle.task_id)
        except ProviderError as exc:
            if exc.status == 400:  # only queued tasks cancel: it has started
                raise Unsupported(
                    f"{self.profile.label} cancels queued tasks only; this one has started",
                    provider=self.provider,
                    model=handle.model,
                    task_id=handle.task_id,
                    payload=exc.payload,
                ) from exc
            raise

    async def download(self, state: Succeeded, dest_dir: Path) -> list[Path]:
        """Download; if the URLs have expired, poll once more for fresh ones."""
        try:
            return await super().download(state, dest_dir)
        except OutputExpired:
            fresh = await self.poll(state.handle)
            if not isinstance(fresh, Succeeded) or fresh.outputs == state.outputs:
                raise
            return await super().download(fresh, dest_dir)


def adapter_class(name: str) -> type[AggregatorAdapter]:
    """An adapter class for any profile in the table (the named classes below are these)."""
    profile = get_profile(name)
    attrs = {
        "profile_name": name,
        "provider": name,
        "default_base_url": profile.default_base_url,
        "__doc__": f"{profile.label} through the generic aggregator adapter.",
    }
    return type(f"{name.capitalize()}Adapter", (AggregatorAdapter,), attrs)


def adapter_for(name: str, **kwargs: Any) -> AggregatorAdapter:
    return adapter_class(name)(**kwargs)


class AtlasAdapter(AggregatorAdapter):
    profile_name = provider = "atlas"
    default_base_url = get_profile("atlas").default_base_url


class WaveSpeedAdapter(AggregatorAdapter):
    profile_name = provider = "wavespeed"
    default_base_url = get_profile("wavespeed").default_base_url


class HiggsfieldAdapter(AggregatorAdapter):
    profile_name = provider = "higgsfield"
    default_base_url = get_profile("higgsfield").default_base_url


class AimlapiAdapter(AggregatorAdapter):
    profile_name = provider = "aimlapi"
    default_base_url = get_profile("aimlapi").default_base_url


NAMED: dict[str, type[AggregatorAdapter]] = {
    "atlas": AtlasAdapter,
    "wavespeed": WaveSpeedAdapter,
    "higgsfield": HiggsfieldAdapter,
    "aimlapi": AimlapiAdapter,
}
