"""OpenAI-videos failure paths over loopback: error mapping, rate limits, ambiguous submits
reconciled by listing (there is no idempotency key upstream), and re-run attachment."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from reelforge.generators.base import ShotRequest
from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    ConcurrencyLimited,
    InvalidRequest,
    ModerationRejected,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    Succeeded,
    TaskHandle,
    TransientProviderError,
)
from reelforge.providers.openai_videos import OpenAIVideosAdapter
from reelforge.providers.openai_videos import adapter as adapter_module
from reelforge.sandbox.openai_videos import Fault, OpenAIVideosSandbox, OpenAIVideosSandboxConfig

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=96, fps=24, width=1280, height=720, model="sora-2"
    )
    base.update(kw)
    return ShotRequest(**base)


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "REELFORGE_OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sbx() -> Iterator[OpenAIVideosSandbox]:
    with OpenAIVideosSandbox(OpenAIVideosSandboxConfig(processing_seconds=0.1)) as server:
        yield server


def adapter_for(server: OpenAIVideosSandbox, **kw: Any) -> OpenAIVideosAdapter:
    kw.setdefault("api_key", server.config.api_key)
    return OpenAIVideosAdapter(base_url=server.api_base, **kw)


def submit(
    server: OpenAIVideosSandbox, request: ShotRequest | None = None, **kw: Any
) -> TaskHandle:
    async def go() -> TaskHandle:
        async with adapter_for(server, **kw) as adapter:
            return await adapter.submit(adapter.build_request(request or shot()))

    return run(go())


# (HTTP status, error type, error code) → the exception the adapter must raise at submit.
SUBMIT_TABLE: list[tuple[int, str, str | None, type[ProviderError]]] = [
    (400, "invalid_request_error", None, InvalidRequest),
    (400, "invalid_request_error", "invalid_value", InvalidRequest),
    (400, "invalid_request_error", "moderation_blocked", ModerationRejected),
    (400, "invalid_request_error", "content_policy_violation", ModerationRejected),
    (401, "invalid_request_error", None, AuthError),  # OpenAI's missing-key answer
    (401, "invalid_request_error", "invalid_api_key", AuthError),
    (403, "permission_error", None, AuthError),
    (404, "invalid_request_error", "model_not_found", InvalidRequest),
    (429, "requests", "rate_limit_exceeded", RateLimited),
    (429, "insufficient_quota", "insufficient_quota", QuotaExceeded),
    (429, "requests", "too_many_concurrent_requests", ConcurrencyLimited),
    (500, "server_error", "server_error", AmbiguousSubmit),
    (502, "api_error", None, AmbiguousSubmit),
    (503, "server_error", None, AmbiguousSubmit),
]


@pytest.mark.parametrize(("status", "etype", "code", "expected"), SUBMIT_TABLE)
def test_submit_error_mapping_over_http(
    sbx: OpenAIVideosSandbox,
    status: int,
    etype: str,
    code: str | None,
    expected: type[ProviderError],
) -> None:
    sbx.inject(Fault(status, code, "scripted", type=etype, retry_after=3))
    with pytest.raises(expected) as info:
        submit(sbx)
    assert type(info.value) is expected
    assert info.value.status == status and info.value.provider == "openai"
    if expected is RateLimited:
        assert getattr(info.value, "retry_after", None) == 3.0
    if expected is ModerationRejected:
        assert getattr(info.value, "stage", None) == "input"
    assert sbx.book.videos == {}  # nothing was created: the fault answered first


@pytest.mark.parametrize(
    ("status", "etype", "code", "expected"),
    [
        (500, "server_error", None, TransientProviderError),
        (429, "requests", "rate_limit_exceeded", RateLimited),
        (404, "invalid_request_error", None, InvalidRequest),
        (401, "invalid_request_error", "invalid_api_key", AuthError),
    ],
)
def test_poll_error_mapping_over_http(
    sbx: OpenAIVideosSandbox, status: int, etype: str, code: str | None, expected: type
) -> None:
    handle = submit(sbx)
    sbx.inject(Fault(status, code, "scripted", type=etype, kind="query"))

    async def go() -> None:
        async with adapter_for(sbx) as adapter:
            await adapter.poll(handle)

    with pytest.raises(expected):
        run(go())


def test_wrong_key_is_auth_error(sbx: OpenAIVideosSandbox) -> None:
    with pytest.raises(AuthError) as info:
        submit(sbx, api_key="sk-wrong")
    assert info.value.code == "invalid_api_key"


def test_rate_limit_with_retry_after_header() -> None:
    config = OpenAIVideosSandboxConfig(submits_per_minute=1)
    with OpenAIVideosSandbox(config) as server:
        submit(server)
        with pytest.raises(RateLimited) as info:
            submit(server)
    assert info.value.retry_after is not None and 0 < info.value.retry_after <= 60
    assert info.value.code == "rate_limit_exceeded"


def test_wait_rides_out_transient_poll_errors(sbx: OpenAIVideosSandbox) -> None:
    handle = submit(sbx)
    sbx.inject(Fault(503, None, "busy", type="server_error", kind="query"))
    sbx.inject(Fault(429, "rate_limit_exceeded", type="requests", kind="query", retry_after=0))

    async def go() -> Any:
        async with adapter_for(sbx) as adapter:
            return await adapter.wait(handle, interval=0.02, timeout=30)

    assert isinstance(run(go()), Succeeded)


def test_ambiguous_5xx_submit_is_reconciled_by_listing(sbx: OpenAIVideosSandbox) -> None:
    sbx.inject(Fault(500, "server_error", "boom", type="server_error", after_create=True))

    async def go() -> tuple[TaskHandle | None, Any]:
        async with adapter_for(sbx) as adapter:
            wire = adapter.build_request(shot())
            with pytest.raises(AmbiguousSubmit) as info:
                await adapter.submit(wire)
            assert info.value.idempotency_key == wire.idempotency_key
            found = await adapter.reconcile(wire)
            assert found is not None
            return found, await adapter.wait(found, interval=0.02, timeout=30)

    found, state = run(go())
    assert found is not None and list(sbx.book.videos) == [found.task_id]
    assert sbx.submit_count == 1  # reconciled, never resubmitted
    assert isinstance(state, Succeeded)


def test_submit_timeout_is_ambiguous_and_reconciled(sbx: OpenAIVideosSandbox) -> None:
    sbx.inject(Fault(200, delay=1.0, after_create=True))

    async def go() -> TaskHandle | None:
        async with adapter_for(sbx, timeout=0.3) as adapter:
            wire = adapter.build_request(shot())
            with pytest.raises(AmbiguousSubmit):
                await adapter.submit(wire)
            return await adapter.reconcile(wire)

    found = run(go())
    assert found is not None and found.task_id in sbx.book.videos


def test_reconcile_with_nothing_created_stays_ambiguous(sbx: OpenAIVideosSandbox) -> None:
    sbx.inject(Fault(502, None, "bad gateway", type="api_error"))

    async def go() -> None:
        async with adapter_for(sbx) as adapter:
            wire = adapter.build_request(shot())
            with pytest.raises(AmbiguousSubmit):
                await adapter.submit(wire)
            await adapter.reconcile(wire)

    with pytest.raises(AmbiguousSubmit, match="do not resubmit"):
        run(go())
    assert sbx.submit_count == 1


def test_reconcile_pages_through_the_list(
    sbx: OpenAIVideosSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adapter_module, "LIST_LIMIT", 2)
    sbx.inject(Fault(500, "server_error", type="server_error", after_create=True))

    async def go() -> TaskHandle | None:
        async with adapter_for(sbx) as adapter:
            wire = adapter.build_request(shot())
            with pytest.raises(AmbiguousSubmit):
                await adapter.submit(wire)
            for i in range(5):  # newer videos push ours to the third page
                other = adapter.build_request(shot(f"other {i}"))
                await adapter.submit(other)
                time.sleep(0.002)
            return await adapter.reconcile(wire)

    found = run(go())
    assert found is not None
    assert sbx.book.videos[found.task_id].prompt == "a lighthouse at dusk"
    assert len([r for r in sbx.log if r.path == "/v1/videos" and r.method == "GET"]) == 3


def test_fingerprint_must_match_exactly(sbx: OpenAIVideosSandbox) -> None:
    """Same prompt, other size: not ours."""
    submit(sbx, shot(width=720, height=1280))

    async def go() -> TaskHandle | None:
        async with adapter_for(sbx) as adapter:
            return await adapter.lookup(adapter.build_request(shot()))

    assert run(go()) is None


def test_rerun_attaches_to_a_recent_identical_video(sbx: OpenAIVideosSandbox) -> None:
    first = submit(sbx)

    async def go() -> TaskHandle:
        async with adapter_for(sbx) as adapter:  # a fresh process: no submit remembered
            return await adapter.ensure_submitted(adapter.build_request(shot()))

    assert run(go()).task_id == first.task_id
    assert sbx.submit_count == 1


def test_rerun_ignores_old_and_failed_videos(sbx: OpenAIVideosSandbox) -> None:
    old = submit(sbx)
    sbx.book.videos[old.task_id].created_at -= 7 * 3600  # outside the 6 h window
    failed = submit(sbx, shot("a contraband crate"))

    async def go() -> tuple[TaskHandle, TaskHandle]:
        async with adapter_for(sbx) as adapter:
            await adapter.wait(failed, interval=0.02, timeout=30)
            a = await adapter.ensure_submitted(adapter.build_request(shot()))
            b = await adapter.ensure_submitted(adapter.build_request(shot("a contraband crate")))
            return a, b

    a, b = run(go())
    assert a.task_id != old.task_id and b.task_id != failed.task_id
    assert sbx.submit_count == 4


def test_gateway_without_a_list_endpoint_still_submits(sbx: OpenAIVideosSandbox) -> None:
    sbx.inject(Fault(404, None, "Not Found", kind="list"))

    async def go() -> TaskHandle:
        async with adapter_for(sbx) as adapter:
            return await adapter.ensure_submitted(adapter.build_request(shot()))

    assert run(go()).task_id in sbx.book.videos


def test_unreachable_host_is_plain_transient_not_ambiguous() -> None:
    adapter = OpenAIVideosAdapter(base_url="http://127.0.0.1:9/v1", api_key="k")

    async def go() -> None:
        async with adapter:
            await adapter.submit(adapter.build_request(shot()))

    with pytest.raises(TransientProviderError) as info:
        run(go())
    assert not isinstance(info.value, AmbiguousSubmit)
