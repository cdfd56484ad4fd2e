"""Luma error mappings over real loopback HTTP: the status table, failure_reason table, auth,
validation, ambiguous submits reconciled by listing, poll retries."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from reelforge.generators.base import ShotRequest
from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    Failed,
    InvalidRequest,
    ModerationRejected,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    Succeeded,
    TaskExpired,
    TaskFailed,
    TransientProviderError,
)
from reelforge.providers.luma import (
    FAILURE_TABLE,
    STATUS_TABLE,
    LumaAdapter,
    LumaCredentials,
    failure_error,
)
from reelforge.sandbox.luma import Fault, LumaSandbox, LumaSandboxConfig

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a kite over dunes", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=120, fps=24, width=1280, height=720, model="ray-2"
    )
    base.update(kw)
    return ShotRequest(**base)


@pytest.fixture
def luma() -> Iterator[LumaSandbox]:
    with LumaSandbox(LumaSandboxConfig(processing_seconds=0.05)) as sbx:
        yield sbx


def adapter_for(sbx: LumaSandbox, **kw: Any) -> LumaAdapter:
    kw.setdefault("credentials", sbx.credentials())
    return LumaAdapter(base_url=sbx.api_base, **kw)


async def submit_once(adapter: LumaAdapter, request: ShotRequest, **opts: Any) -> Any:
    async with adapter:
        return await adapter.submit(adapter.build_request(request, opts, idempotency_key="rf-x"))


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (400, "bad keyframe", InvalidRequest),
        (401, "Invalid API key", AuthError),
        (402, "Insufficient credits", QuotaExceeded),
        (400, "You do not have enough credits", QuotaExceeded),
        (403, "Forbidden", AuthError),
        (404, "not found", InvalidRequest),
        (422, "model: unexpected value", InvalidRequest),
        (429, "Too many requests", RateLimited),
        (400, "prompt not allowed because advanced moderation failed", ModerationRejected),
    ],
)
def test_submit_status_table(
    luma: LumaSandbox, status: int, message: str, expected: type[ProviderError]
) -> None:
    luma.inject(Fault(status, message, retry_after=2.5 if status == 429 else None))
    with pytest.raises(ProviderError) as info:
        run(submit_once(adapter_for(luma), shot()))
    assert type(info.value) is expected
    assert info.value.status == status and message in info.value.message
    assert info.value.payload == {"detail": message}
    if expected is RateLimited:
        assert isinstance(info.value, RateLimited) and info.value.retry_after == 2.5
    assert STATUS_TABLE.get(status, expected) in (expected, InvalidRequest)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_submit_5xx_is_ambiguous_and_reconciled_by_listing(luma: LumaSandbox, status: int) -> None:
    luma.inject(Fault(status, "upstream", after_create=True))
    with pytest.raises(AmbiguousSubmit) as info:
        run(submit_once(adapter_for(luma), shot()))
    assert info.value.idempotency_key == "rf-x" and not info.value.retryable
    assert len(luma.book.generations) == 1  # the generation exists although the answer failed

    async def recover() -> Any:
        async with adapter_for(luma) as adapter:
            wire = adapter.build_request(shot(), idempotency_key="rf-x")
            handle = await adapter.ensure_submitted(wire)
            return await adapter.wait(handle, interval=0.03, timeout=20)

    state = run(recover())
    assert isinstance(state, Succeeded) and state.handle.task_id in luma.book.generations
    assert luma.submits == 1  # reconciled, never resubmitted


def test_client_timeout_after_sending_is_ambiguous(luma: LumaSandbox) -> None:
    luma.inject(Fault(201, after_create=True, delay=1.0))
    with pytest.raises(AmbiguousSubmit):
        run(submit_once(adapter_for(luma, timeout=0.3), shot()))


def test_wrong_key_is_an_auth_error(luma: LumaSandbox) -> None:
    with pytest.raises(AuthError) as info:
        run(submit_once(adapter_for(luma, credentials=LumaCredentials("nope")), shot()))
    assert info.value.status == 401 and luma.submits == 0


def test_sandbox_validation_reaches_the_caller(luma: LumaSandbox) -> None:
    with pytest.raises(InvalidRequest) as info:
        run(submit_once(adapter_for(luma), shot(), frame0_generation_id="no-such-generation"))
    assert "not found" in info.value.message and info.value.status == 400


def test_failed_generation_maps_failure_reason(luma: LumaSandbox) -> None:
    with LumaSandbox(LumaSandboxConfig(failure_rate=1.0)) as sbx:

        async def go() -> Any:
            async with adapter_for(sbx) as adapter:
                handle = await adapter.submit(adapter.build_request(shot()))
                return await adapter.wait(handle, interval=0.03, timeout=20)

        state = run(go())
    assert isinstance(state, Failed) and type(state.error) is TaskFailed
    assert "Internal server error" in state.error.message


@pytest.mark.parametrize(
    ("reason", "expected", "stage"),
    [
        ("Job failed because output video failed moderation", ModerationRejected, "output"),
        ("400: prompt not allowed because advanced moderation failed", ModerationRejected, "input"),
        ("Could not download keyframe image", InvalidRequest, None),
        ("generation timed out", TaskExpired, None),
        ("something odd happened", TaskFailed, None),
        (None, TaskFailed, None),
    ],
)
def test_failure_reason_table(
    reason: str | None, expected: type[ProviderError], stage: str | None
) -> None:
    err = failure_error(reason, provider="luma", model="ray-2", task_id="g1")
    assert type(err) is expected and err.task_id == "g1"
    if stage is not None:
        assert isinstance(err, ModerationRejected) and err.stage == stage
    assert len(FAILURE_TABLE) >= 5


def test_poll_retries_transient_errors_and_rate_limits(luma: LumaSandbox) -> None:
    luma.inject(Fault(503, "busy", kind="get"))
    luma.inject(Fault(429, "slow down", kind="get", retry_after=0.05))

    async def go() -> Any:
        async with adapter_for(luma) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            return await adapter.wait(handle, interval=0.02, timeout=20)

    assert isinstance(run(go()), Succeeded)
    assert not luma.faults


def test_poll_of_unknown_generation_is_invalid(luma: LumaSandbox) -> None:
    async def go() -> Any:
        async with adapter_for(luma) as adapter:
            from reelforge.providers import TaskHandle

            return await adapter.poll(TaskHandle("luma", "ray-2", "generations/video", "ghost"))

    with pytest.raises(InvalidRequest) as info:
        run(go())
    assert info.value.status == 404


def test_unknown_state_is_transient(luma: LumaSandbox) -> None:
    from reelforge.providers import TaskHandle

    adapter = adapter_for(luma)
    handle = TaskHandle("luma", "ray-2", "generations/video", "g")
    with pytest.raises(TransientProviderError):
        adapter.to_state(handle, {"id": "g", "state": "mystery"})
    empty = adapter.to_state(handle, {"id": "g", "state": "completed", "assets": {"video": None}})
    assert isinstance(empty, Failed) and isinstance(empty.error, TaskFailed)
    run(adapter.aclose())
