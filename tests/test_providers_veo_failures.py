"""How the Veo adapter fails: Google's error statuses over HTTP, moderation at submit, ambiguous
submits that cannot be reconciled, missing keys, expiry, no cancel."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from reelforge.generators.base import ShotRequest
from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    Expired,
    InvalidRequest,
    MissingKey,
    ModerationRejected,
    OutputExpired,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    Succeeded,
    TaskHandle,
    TransientProviderError,
    Unsupported,
)
from reelforge.providers.veo import STATUS_TABLE, GeminiCredentials, VeoAdapter, error_for
from reelforge.sandbox.veo import VeoFault, VeoSandbox, VeoSandboxConfig

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a quiet harbour", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1",
        prompt=prompt,
        frames=96,
        fps=24,
        width=1280,
        height=720,
        model="veo-3.1-generate-preview",
    )
    return ShotRequest(**{**base, **kw})


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "REELFORGE_GEMINI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def veo() -> Iterator[VeoSandbox]:
    with VeoSandbox(VeoSandboxConfig(processing_seconds=0.1)) as sbx:
        yield sbx


def adapter_for(sbx: VeoSandbox, **kw: Any) -> VeoAdapter:
    kw.setdefault("credentials", sbx.credentials())
    return VeoAdapter(base_url=sbx.base_url, **kw)


async def submit_once(sbx: VeoSandbox, request: ShotRequest | None = None, **kw: Any) -> TaskHandle:
    async with adapter_for(sbx, **kw) as adapter:
        return await adapter.submit(adapter.build_request(request or shot()))


# (HTTP status, Google status, message) → the exception a *submit* raises
SUBMIT_ROWS: list[tuple[int, str, str, type[ProviderError]]] = [
    (400, "INVALID_ARGUMENT", "durationSeconds is out of range", InvalidRequest),
    (400, "FAILED_PRECONDITION", "User location is not supported for the API use.", InvalidRequest),
    (400, "FAILED_PRECONDITION", "Free tier is not available; enable billing.", QuotaExceeded),
    (400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", AuthError),
    (
        400,
        "INVALID_ARGUMENT",
        "The prompt violates Google's Responsible AI practices.",
        ModerationRejected,
    ),
    (400, "OUT_OF_RANGE", "out of range", InvalidRequest),
    (401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", AuthError),
    (403, "PERMISSION_DENIED", "The caller does not have permission", AuthError),
    (404, "NOT_FOUND", "models/veo-x is not found", InvalidRequest),
    (409, "ALREADY_EXISTS", "exists", InvalidRequest),
    (429, "RESOURCE_EXHAUSTED", "You exceeded your current quota", RateLimited),
    (500, "INTERNAL", "An internal error has occurred.", AmbiguousSubmit),
    (503, "UNAVAILABLE", "The model is overloaded.", AmbiguousSubmit),
    (504, "DEADLINE_EXCEEDED", "Deadline expired", AmbiguousSubmit),
]


@pytest.mark.parametrize(("status", "google", "message", "expected"), SUBMIT_ROWS)
def test_submit_errors_map_over_http(
    veo: VeoSandbox, status: int, google: str, message: str, expected: type[ProviderError]
) -> None:
    veo.inject(VeoFault(status, google, message, retry_delay=7 if status == 429 else None))
    with pytest.raises(ProviderError) as info:
        run(submit_once(veo))
    assert type(info.value) is expected
    assert info.value.provider == "google" and info.value.status == status
    assert info.value.code == google
    if expected is RateLimited:
        assert isinstance(info.value, RateLimited) and info.value.retry_after == 7.0
    if expected is ModerationRejected:
        assert isinstance(info.value, ModerationRejected) and info.value.stage == "input"
    assert veo.submits == 1  # never retried


POLL_ROWS: list[tuple[int, str, type[ProviderError]]] = [
    (500, "INTERNAL", TransientProviderError),
    (500, "UNKNOWN", TransientProviderError),
    (503, "UNAVAILABLE", TransientProviderError),
    (504, "DEADLINE_EXCEEDED", TransientProviderError),
    (499, "CANCELLED", TransientProviderError),
    (501, "UNIMPLEMENTED", Unsupported),
    (403, "PERMISSION_DENIED", AuthError),
    (429, "RESOURCE_EXHAUSTED", RateLimited),
    (400, "INVALID_ARGUMENT", InvalidRequest),
]


@pytest.mark.parametrize(("status", "google", "expected"), POLL_ROWS)
def test_poll_errors_map_over_http(
    veo: VeoSandbox, status: int, google: str, expected: type[ProviderError]
) -> None:
    async def go() -> None:
        async with adapter_for(veo) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            veo.inject(VeoFault(status, google, "scripted", kind="operation"))
            await adapter.poll(handle)

    with pytest.raises(ProviderError) as info:
        run(go())
    assert type(info.value) is expected and info.value.task_id is not None


def test_every_status_row_maps_as_the_table_says() -> None:
    for status, cls in STATUS_TABLE.items():
        assert type(error_for(400, status, "plain words")) is cls, status


def test_proxy_page_without_google_body_maps_by_http_status(veo: VeoSandbox) -> None:
    import httpx

    from reelforge.providers.veo import VeoAdapter as A

    adapter = A(credentials=GeminiCredentials("k"), base_url=veo.base_url)
    err = adapter.error_from_response(httpx.Response(502, text="<html>Bad gateway</html>"))
    assert type(err) is TransientProviderError
    run(adapter.aclose())


def test_moderation_at_submit_creates_nothing(veo: VeoSandbox) -> None:
    with pytest.raises(ModerationRejected) as info:
        run(submit_once(veo, shot("a forbidden ritual")))
    assert info.value.stage == "input" and "Responsible AI" in str(info.value)
    assert veo.book.operations == {}


def test_wrong_key_is_auth_error(veo: VeoSandbox) -> None:
    with pytest.raises(AuthError, match="API key not valid"):
        run(submit_once(veo, credentials=GeminiCredentials("wrong")))


def test_missing_key_names_the_env_var_and_the_command() -> None:
    with pytest.raises(MissingKey) as info:
        VeoAdapter()
    message = str(info.value)
    assert "GEMINI_API_KEY" in message and "reel keys set gemini" in message


def test_ambiguous_submit_cannot_be_reconciled(veo: VeoSandbox) -> None:
    veo.inject(VeoFault(503, "UNAVAILABLE", "overloaded", after_create=True))

    async def go() -> None:
        async with adapter_for(veo) as adapter:
            wire = adapter.build_request(shot(), idempotency_key="job-1")
            assert wire.idempotency_key is None  # Veo takes none
            with pytest.raises(AmbiguousSubmit) as info:
                await adapter.submit(wire)
            assert "cannot be reconciled" in str(info.value)
            assert not info.value.retryable
            with pytest.raises(Unsupported, match="idempotency"):
                await adapter.reconcile(wire)

    run(go())
    assert veo.submits == 1 and len(veo.book.operations) == 1  # it did bill: hence no retry


def test_submit_timeout_is_ambiguous_and_not_retried(veo: VeoSandbox) -> None:
    veo.inject(VeoFault(200, "OK", kind="submit", delay=1.0, after_create=True))
    with pytest.raises(AmbiguousSubmit, match="cannot be reconciled"):
        run(submit_once(veo, timeout=0.3))
    assert veo.submits == 1


def test_connect_failure_is_transient_not_ambiguous() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    adapter = VeoAdapter(base_url=f"http://127.0.0.1:{port}", credentials=GeminiCredentials("k"))

    async def go() -> None:
        async with adapter:
            await adapter.submit(adapter.build_request(shot()))

    with pytest.raises(TransientProviderError) as info:
        run(go())
    assert type(info.value) is TransientProviderError


def test_wait_backs_off_on_rate_limit_and_finishes(veo: VeoSandbox) -> None:
    async def go() -> Any:
        async with adapter_for(veo) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            veo.inject(VeoFault(429, "RESOURCE_EXHAUSTED", "slow down", "operation", 0.05))
            veo.inject(VeoFault(503, "UNAVAILABLE", "blip", "operation"))
            return await adapter.wait(handle, interval=0.02, timeout=30)

    assert isinstance(run(go()), Succeeded)


def test_unknown_operation_is_expired(veo: VeoSandbox) -> None:
    async def go() -> Any:
        async with adapter_for(veo) as adapter:
            handle = TaskHandle("google", "m", "predictLongRunning", "models/m/operations/gone")
            return await adapter.poll(handle)

    assert isinstance(run(go()), Expired)


def test_expired_output_file(veo: VeoSandbox, tmp_path: Path) -> None:
    async def go() -> None:
        async with adapter_for(veo) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            state = await adapter.wait(handle, interval=0.02, timeout=30)
            assert isinstance(state, Succeeded)
            veo.expire_files()
            await adapter.download(state, tmp_path)

    with pytest.raises(OutputExpired):
        run(go())
    assert not list(tmp_path.glob("*.mp4")) and not list(tmp_path.glob(".*partial"))


def test_no_cancel(veo: VeoSandbox) -> None:
    async def go() -> None:
        async with adapter_for(veo) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            await adapter.cancel(handle)

    with pytest.raises(Unsupported, match="no cancel"):
        run(go())
    assert VeoAdapter.can_cancel is False
