"""Runway error mappings over real loopback HTTP: status table, failureCode table, auth and
version checks, validation issues, ambiguous submits (no key: never reconciled), poll retries."""

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
    InvalidRequest,
    ModerationRejected,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    Succeeded,
    TaskExpired,
    TaskFailed,
    TransientProviderError,
    Unsupported,
)
from reelforge.providers.runway import (
    FAILURE_TABLE,
    STATUS_TABLE,
    RunwayAdapter,
    RunwayCredentials,
    failure_error,
)
from reelforge.sandbox.runway import Fault, RunwaySandbox, RunwaySandboxConfig

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a kite over dunes", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=96, fps=24, width=1280, height=720, model="gen4.5"
    )
    base.update(kw)
    return ShotRequest(**base)


@pytest.fixture
def rw() -> Iterator[RunwaySandbox]:
    with RunwaySandbox(RunwaySandboxConfig(processing_seconds=0.05)) as sbx:
        yield sbx


def adapter_for(sbx: RunwaySandbox, **kw: Any) -> RunwayAdapter:
    kw.setdefault("credentials", sbx.credentials())
    return RunwayAdapter(base_url=sbx.base_url, **kw)


async def submit(adapter: RunwayAdapter, request: ShotRequest | None = None) -> Any:
    async with adapter:
        return await adapter.submit(adapter.build_request(request or shot()))


@pytest.mark.parametrize(("status", "cls"), sorted(STATUS_TABLE.items()))
def test_submit_status_table(rw: RunwaySandbox, status: int, cls: type[ProviderError]) -> None:
    rw.inject(Fault(status, f"scripted {status}", retry_after=3 if status == 429 else None))
    expected: type[ProviderError] = AmbiguousSubmit if status >= 500 else cls
    with pytest.raises(expected) as info:
        run(submit(adapter_for(rw)))
    assert type(info.value) is expected and info.value.status == status
    assert f"scripted {status}" in info.value.message and rw.submits == 1
    if status == 429:
        assert isinstance(info.value, RateLimited) and info.value.retry_after == 3.0


@pytest.mark.parametrize(("status", "cls"), sorted(STATUS_TABLE.items()))
def test_poll_status_table(rw: RunwaySandbox, status: int, cls: type[ProviderError]) -> None:
    async def go() -> None:
        async with adapter_for(rw) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            rw.inject(Fault(status, "scripted", kind="task"))
            await adapter.poll(handle)

    with pytest.raises(cls) as info:
        run(go())
    assert type(info.value) is cls and info.value.task_id is not None


def test_out_of_credits_is_quota(rw: RunwaySandbox) -> None:
    rw.inject(Fault(400, "You do not have enough credits to run this task."))
    with pytest.raises(QuotaExceeded):
        run(submit(adapter_for(rw)))


def test_wrong_key_and_missing_version(rw: RunwaySandbox) -> None:
    with pytest.raises(AuthError, match="Invalid API key"):
        run(submit(adapter_for(rw, credentials=RunwayCredentials("wrong"))))
    with pytest.raises(InvalidRequest, match="Unsupported API version"):
        run(submit(adapter_for(rw, api_version="2023-01-01")))
    assert rw.submits == 0  # refused before counting


def test_validation_issues_reach_the_message(rw: RunwaySandbox) -> None:
    async def go() -> None:
        async with adapter_for(rw) as adapter:
            wire = adapter.build_request(shot())
            bad = type(wire)(**{**wire.__dict__, "body": {**wire.body, "duration": 42}})
            await adapter.submit(bad)

    with pytest.raises(InvalidRequest, match=r"duration Expected one of") as info:
        run(go())
    assert info.value.payload["error"] == "Validation of body failed"


def test_5xx_after_create_is_ambiguous_and_not_reconcilable(rw: RunwaySandbox) -> None:
    rw.inject(Fault(502, "bad gateway", after_create=True))

    async def go() -> None:
        async with adapter_for(rw) as adapter:
            wire = adapter.build_request(shot())
            with pytest.raises(AmbiguousSubmit) as info:
                await adapter.submit(wire)
            assert info.value.idempotency_key is None and not info.value.retryable
            with pytest.raises(Unsupported):
                await adapter.reconcile(wire)

    run(go())
    assert rw.submits == 1 and len(rw.book.tasks) == 1  # the task exists: never resubmitted


def test_submit_timeout_is_ambiguous(rw: RunwaySandbox) -> None:
    rw.inject(Fault(200, "slow", after_create=True, delay=1.0))
    with pytest.raises(AmbiguousSubmit):
        run(submit(adapter_for(rw, timeout=0.3)))
    assert rw.submits == 1


def test_connect_refused_is_transient_not_ambiguous() -> None:
    with RunwaySandbox() as sbx:
        url = sbx.base_url
    adapter = RunwayAdapter(base_url=url, credentials=RunwayCredentials("k"))
    with pytest.raises(TransientProviderError) as info:
        run(submit(adapter))
    assert not isinstance(info.value, AmbiguousSubmit)


def test_wait_backs_off_through_rate_limits_and_5xx(rw: RunwaySandbox) -> None:
    async def go() -> Any:
        async with adapter_for(rw) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            rw.inject(Fault(429, "slow down", kind="task", retry_after=0.01))
            rw.inject(Fault(503, "busy", kind="task"))
            return await adapter.wait(handle, interval=0.01, timeout=10)

    assert isinstance(run(go()), Succeeded)


@pytest.mark.parametrize(
    ("code", "cls", "stage"),
    [
        ("SAFETY.INPUT.TEXT", ModerationRejected, "input"),
        ("SAFETY.INPUT.IMAGE", ModerationRejected, "input"),
        ("SAFETY.OUTPUT.VIDEO", ModerationRejected, "output"),
        ("SAFETY.NEW_THING", ModerationRejected, "input"),
        ("INTERNAL.BAD_OUTPUT.CODE01", TaskFailed, None),
        ("INTERNAL", TaskFailed, None),
        ("INPUT_PREPROCESSING.SAFETY_FAILURE", InvalidRequest, None),
        ("ASSET.INVALID", InvalidRequest, None),
        ("TIMEOUT", TaskExpired, None),
        ("SOMETHING.NEW", TaskFailed, None),
        (None, TaskFailed, None),
    ],
)
def test_failure_code_table(code: str | None, cls: type[ProviderError], stage: str | None) -> None:
    err = failure_error(code, "nope", provider="runway", task_id="t")
    assert type(err) is cls and err.code == code
    if stage is not None:
        assert isinstance(err, ModerationRejected) and err.stage == stage
    assert not err.retryable  # SAFETY.* and task failures are never retried blindly


def test_every_failure_family_is_tested() -> None:
    assert set(FAILURE_TABLE) == {
        "SAFETY.INPUT",
        "SAFETY.OUTPUT",
        "SAFETY",
        "INTERNAL.BAD_OUTPUT",
        "INTERNAL",
        "INPUT_PREPROCESSING",
        "ASSET.INVALID",
        "TIMEOUT",
    }


def test_non_json_poll_body_is_transient() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, text="<html>proxy</html>"))
    adapter = RunwayAdapter(
        base_url="http://127.0.0.1:1", credentials=RunwayCredentials("k"), transport=transport
    )
    from reelforge.providers import TaskHandle

    with pytest.raises(TransientProviderError, match="not JSON"):
        run(adapter.poll(TaskHandle("runway", "gen4.5", "text_to_video", "t1")))
