"""Seedance failure paths over loopback HTTP: every error code in the table, ambiguous submits
reconciled by fingerprint, rate limits, and failed-task spellings."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import httpx
import pytest

from reelforge.generators.base import ShotRequest
from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    Canceled,
    Failed,
    InvalidRequest,
    ModerationRejected,
    ProviderError,
    RateLimited,
    Succeeded,
    TaskFailed,
    TaskHandle,
    TransientProviderError,
    Unsupported,
)
from reelforge.providers.seedance import CODE_TABLE, SeedanceAdapter, SeedanceCredentials
from reelforge.sandbox.seedance import Fault, SeedanceSandbox, SeedanceSandboxConfig

T = TypeVar("T")
MODEL = "dreamina-seedance-2-0-260128"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a kite over dunes", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=96, fps=24, width=1280, height=720, model=MODEL
    )
    base.update(kw)
    return ShotRequest(**base)


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ARK_API_KEY", "REELFORGE_SEEDANCE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def ark() -> Iterator[SeedanceSandbox]:
    with SeedanceSandbox(SeedanceSandboxConfig(processing_seconds=0.1)) as sbx:
        yield sbx


def adapter_for(sbx: SeedanceSandbox, **kw: Any) -> SeedanceAdapter:
    adapter = SeedanceAdapter(base_url=sbx.api_base, credentials=sbx.credentials(), **kw)
    adapter.reconcile_delay = 0.05
    return adapter


async def submit(sbx: SeedanceSandbox, request: ShotRequest | None = None, **kw: Any) -> TaskHandle:
    async with adapter_for(sbx, **kw) as adapter:
        return await adapter.submit(adapter.build_request(request or shot()))


@pytest.mark.parametrize("code", sorted(CODE_TABLE))
def test_error_code_mapping_over_http(ark: SeedanceSandbox, code: str) -> None:
    status, cls = CODE_TABLE[code]
    ark.inject(Fault(status, code, "scripted", kind="query"))

    async def go() -> None:
        async with adapter_for(ark) as adapter:
            await adapter.poll(TaskHandle("seedance", MODEL, "r", "cgt-x"))

    with pytest.raises(ProviderError) as info:
        run(go())
    assert type(info.value) is cls
    assert info.value.code == code and info.value.status == status
    if cls is ModerationRejected:
        assert info.value.stage == ("output" if code.startswith("Output") else "input")  # type: ignore[attr-defined]


@pytest.mark.parametrize("code", sorted(c for c, (status, _) in CODE_TABLE.items() if status < 500))
def test_error_code_mapping_at_submit(ark: SeedanceSandbox, code: str) -> None:
    status, cls = CODE_TABLE[code]
    ark.inject(Fault(status, code, "scripted"))
    with pytest.raises(ProviderError) as info:
        run(submit(ark))
    assert type(info.value) is cls and not isinstance(info.value, AmbiguousSubmit)
    assert not ark.book.tasks and ark.submits == 1


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("InvalidParameter.Duration", InvalidRequest),  # an unknown sub-code falls to its family
        ("RateLimitExceeded.SomethingNew", RateLimited),
        ("OutputVideoRiskDetection", ModerationRejected),
        ("BrandNewCode", InvalidRequest),  # unknown: by HTTP status (400)
    ],
)
def test_code_families_and_fallbacks(ark: SeedanceSandbox, code: str, cls: type) -> None:
    ark.inject(Fault(400 if cls is not RateLimited else 429, code, kind="query"))

    async def go() -> None:
        async with adapter_for(ark) as adapter:
            await adapter.poll(TaskHandle("seedance", MODEL, "r", "cgt-x"))

    with pytest.raises(ProviderError) as info:
        run(go())
    assert type(info.value) is cls


def test_wrong_key_is_auth_error(ark: SeedanceSandbox) -> None:
    async def go() -> None:
        adapter = SeedanceAdapter(base_url=ark.api_base, credentials=SeedanceCredentials("nope"))
        async with adapter:
            await adapter.submit(adapter.build_request(shot()))

    with pytest.raises(AuthError, match="AuthenticationError"):
        run(go())


def test_rate_limit_429_carries_retry_after(ark: SeedanceSandbox) -> None:
    ark.inject(Fault(429, "RateLimitExceeded.EndpointRPMExceeded", retry_after=7))
    with pytest.raises(RateLimited) as info:
        run(submit(ark))
    assert info.value.retry_after == 7.0 and info.value.retryable and not ark.book.tasks


def test_wait_backs_off_through_429_and_5xx_on_polls(ark: SeedanceSandbox) -> None:
    async def go() -> Any:
        async with adapter_for(ark) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            ark.inject(Fault(429, "ServerOverloaded", kind="query", retry_after=0.01))
            ark.inject(Fault(500, "InternalServiceError", kind="query"))
            return await adapter.wait(handle, interval=0.02, timeout=30)

    assert isinstance(run(go()), Succeeded)


def test_invalid_request_from_the_wire(ark: SeedanceSandbox) -> None:
    with pytest.raises(InvalidRequest) as info:
        run(submit(ark, shot(model="seedance-1-0-lite-i2v-250428")))  # i2v-only model
    assert "seedance-1-0-lite-i2v" in str(info.value)
    assert ark.submits == 0  # caught before spending

    async def go() -> None:
        async with adapter_for(ark) as adapter:
            wire = adapter.build_request(shot())
            wire.body["duration"] = 99  # slip past the adapter: the sandbox refuses it
            await adapter.submit(wire)

    with pytest.raises(InvalidRequest) as wire_info:
        run(go())
    assert wire_info.value.code == "InvalidParameter.duration" and wire_info.value.status == 400


def test_ambiguous_5xx_submit_is_reconciled_by_fingerprint(ark: SeedanceSandbox) -> None:
    ark.inject(Fault(500, "InternalServiceError", after_create=True))
    handle = run(submit(ark))
    assert ark.submits == 1 and list(ark.book.tasks) == [handle.task_id]
    listed = [r for r in ark.requests_to("/api/v3/contents/generations/tasks") if r.method == "GET"]
    assert listed and listed[0].query["filter.model"] == MODEL


def test_submit_timeout_is_ambiguous_and_reconciled(ark: SeedanceSandbox) -> None:
    ark.inject(Fault(200, "", delay=0.6, after_create=True))  # answers too late for the client
    handle = run(submit(ark, timeout=0.3))
    assert ark.submits == 1 and handle.task_id in ark.book.tasks


def test_ambiguous_submit_with_nothing_created_stays_ambiguous(ark: SeedanceSandbox) -> None:
    ark.inject(Fault(502, "BadGateway"))
    with pytest.raises(AmbiguousSubmit, match="check the console"):
        run(submit(ark))
    assert ark.submits == 1 and not ark.book.tasks


def test_two_matching_tasks_cannot_be_told_apart(ark: SeedanceSandbox) -> None:
    async def go() -> None:
        async with adapter_for(ark) as adapter:
            wire = adapter.build_request(shot())
            await adapter.submit(wire)  # an identical task, e.g. from another process
            ark.inject(Fault(500, "InternalServiceError", after_create=True))
            await adapter.submit(wire)

    with pytest.raises(AmbiguousSubmit, match="2 recent tasks match"):
        run(go())
    assert ark.submits == 2


def test_an_older_task_with_the_same_fingerprint_is_not_ours(ark: SeedanceSandbox) -> None:
    async def go() -> TaskHandle | None:
        async with adapter_for(ark) as adapter:
            wire = adapter.build_request(shot())
            await adapter.submit(wire)
            for task in ark.book.tasks.values():
                task.created_at -= 3600  # made an hour ago
            return await adapter.reconcile(wire)  # since: when this adapter sent it

    assert run(go()) is None


def test_reconcile_without_a_submit_time_is_unsupported(ark: SeedanceSandbox) -> None:
    async def go() -> None:
        async with adapter_for(ark) as adapter:
            await adapter.reconcile(adapter.build_request(shot()))

    with pytest.raises(Unsupported, match="no idempotency key"):
        run(go())


def test_unreachable_host_is_plain_transient_not_ambiguous() -> None:
    adapter = SeedanceAdapter(
        base_url="http://127.0.0.1:9/api/v3", credentials=SeedanceCredentials("k")
    )

    async def go() -> None:
        async with adapter:
            await adapter.submit(adapter.build_request(shot()))

    with pytest.raises(TransientProviderError) as info:
        run(go())
    assert not isinstance(info.value, AmbiguousSubmit)


H = TaskHandle("seedance", MODEL, "r", "cgt-1")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"status": "SUCCEEDED", "content": {"video_url": "http://x/v.mp4"}}, Succeeded),
        ({"status": "succeeded", "content": {}}, Failed),  # succeeded but empty
        ({"status": "canceled"}, Canceled),
        ({"status": "cancelled"}, Canceled),
        ({"status": "failed", "error": {"code": "InternalServiceError", "message": "x"}}, Failed),
    ],
)
def test_status_spellings(data: dict[str, Any], expected: type) -> None:
    adapter = SeedanceAdapter(
        base_url="http://127.0.0.1:9/api/v3", credentials=SeedanceCredentials("k")
    )
    assert isinstance(adapter.to_state(H, data), expected)
    run(adapter.aclose())


def test_failed_task_without_a_code_is_judged_by_its_message() -> None:
    adapter = SeedanceAdapter(
        base_url="http://127.0.0.1:9/api/v3", credentials=SeedanceCredentials("k")
    )
    message = "The request failed because the output video may contain sensitive information."
    state = adapter.to_state(H, {"status": "failed", "error": {"message": message}})
    assert isinstance(state, Failed) and isinstance(state.error, ModerationRejected)
    assert state.error.stage == "output"
    other = adapter.to_state(H, {"status": "failed", "error": {"code": "InternalServiceError"}})
    assert isinstance(other, Failed) and type(other.error) is TaskFailed
    run(adapter.aclose())


def test_a_relay_error_with_a_top_level_message() -> None:
    adapter = SeedanceAdapter(
        base_url="http://127.0.0.1:9/api/v3", credentials=SeedanceCredentials("k")
    )
    resp = httpx.Response(429, json={"message": "slow down"})
    err = adapter.error_from_response(resp)
    assert isinstance(err, RateLimited) and "slow down" in str(err)
    run(adapter.aclose())
