"""xAI failure paths over loopback: the error table (xAI's ``{code, error}`` bodies, a wrong key
answering HTTP 400), moderation at submit, rate limits, ambiguous submits (which cannot be
reconciled: there is no idempotency key and no listing), and failed-job codes."""

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
    ConcurrencyLimited,
    InvalidRequest,
    ModerationRejected,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    Succeeded,
    TaskFailed,
    TransientProviderError,
)
from reelforge.providers.xai import XaiAdapter, job_error
from reelforge.sandbox.xai import Fault, XaiSandbox, XaiSandboxConfig

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=48, fps=24, width=848, height=480, model="previz"
    )
    base.update(kw)
    return ShotRequest(**base)


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("XAI_API_KEY", "REELFORGE_XAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sbx() -> Iterator[XaiSandbox]:
    with XaiSandbox(XaiSandboxConfig(processing_seconds=0.05)) as server:
        yield server


def adapter_for(server: XaiSandbox, **kw: Any) -> XaiAdapter:
    kw.setdefault("api_key", server.config.api_key)
    return XaiAdapter(base_url=server.api_base, **kw)


async def submit(adapter: XaiAdapter, request: ShotRequest, key: str | None = None) -> Any:
    async with adapter:
        return await adapter.submit(adapter.build_request(request, idempotency_key=key))


# (HTTP status, xAI code, message) → the exception class it must become.
ERROR_TABLE: list[tuple[int, str, str, type[ProviderError]]] = [
    (
        400,
        "Client specified an invalid argument",
        "Incorrect API key provided: xa***yz.",
        AuthError,
    ),
    (400, "Client specified an invalid argument", "duration must be 1-15", InvalidRequest),
    (
        400,
        "invalid-argument",
        "Zero Data Retention teams must provide output.upload_url",
        InvalidRequest,
    ),
    (
        400,
        "Client specified an invalid argument",
        "violates our content policy",
        ModerationRejected,
    ),
    (
        401,
        "The request does not have valid authentication credentials for the operation",
        "no key",
        AuthError,
    ),
    (
        403,
        "The caller does not have permission to execute the specified operation",
        "no access to the model",
        AuthError,
    ),
    (
        403,
        "The caller does not have permission to execute the specified operation",
        "Your team has no credits left",
        QuotaExceeded,
    ),
    (403, "Some resource has been exhausted", "monthly spending limit reached", QuotaExceeded),
    (
        404,
        "Some requested entity (e.g., file or directory) was not found",
        "model not found",
        InvalidRequest,
    ),
    (429, "Some resource has been exhausted", "slow down", RateLimited),
    (429, "Some resource has been exhausted", "too many concurrent video jobs", ConcurrencyLimited),
    (422, "unknown", "bad field", InvalidRequest),
]


@pytest.mark.parametrize(("status", "code", "message", "cls"), ERROR_TABLE)
def test_error_table_over_http(
    sbx: XaiSandbox, status: int, code: str, message: str, cls: type[ProviderError]
) -> None:
    sbx.inject(Fault(status, message, code, retry_after=2.5 if status == 429 else None))
    with pytest.raises(ProviderError) as info:
        run(submit(adapter_for(sbx), shot()))
    assert type(info.value) is cls
    assert info.value.status == status and info.value.code == code
    assert info.value.provider == "xai" and message in str(info.value)
    if cls is RateLimited:
        assert isinstance(info.value, RateLimited) and info.value.retry_after == 2.5


@pytest.mark.parametrize("status", [500, 503, 408])
def test_5xx_on_submit_is_ambiguous_and_cannot_be_reconciled(sbx: XaiSandbox, status: int) -> None:
    sbx.inject(Fault(status, "Internal error", "Internal error", after_create=True))

    async def go() -> None:
        async with adapter_for(sbx) as a:
            wire = a.build_request(shot(), idempotency_key="rf-amb")
            with pytest.raises(AmbiguousSubmit) as info:
                await a.submit(wire)
            assert info.value.idempotency_key == "rf-amb" and info.value.status == status
            # No key upstream and no listing: refuse to resubmit rather than pay twice.
            with pytest.raises(AmbiguousSubmit, match="cannot be reconciled"):
                await a.ensure_submitted(wire)

    run(go())
    assert sbx.submit_count == 1 and len(sbx.book.jobs) == 1  # the job exists, submitted once


def test_read_timeout_on_submit_is_ambiguous(sbx: XaiSandbox) -> None:
    sbx.inject(Fault(200, kind="submit", after_create=True, delay=0.6))
    with pytest.raises(AmbiguousSubmit):
        run(submit(adapter_for(sbx, timeout=0.2), shot(), key="rf-t"))
    assert sbx.submit_count == 1


def test_connect_failure_is_transient_not_ambiguous() -> None:
    with XaiSandbox() as server:
        base = server.api_base
    a = XaiAdapter(base_url=base, api_key="k")
    with pytest.raises(TransientProviderError) as info:
        run(submit(a, shot()))
    assert not isinstance(info.value, AmbiguousSubmit)


def test_wrong_key_is_http_400_and_an_auth_error(sbx: XaiSandbox) -> None:
    with pytest.raises(AuthError, match="Incorrect API key"):
        run(submit(adapter_for(sbx, api_key="xai-wrong-key"), shot()))
    assert sbx.log[-1].path == "/v1/videos/generations"


def test_moderation_at_submit_is_input_stage_and_unbilled(sbx: XaiSandbox) -> None:
    with pytest.raises(ModerationRejected) as info:
        run(submit(adapter_for(sbx), shot("something forbidden")))
    assert info.value.stage == "input" and info.value.status == 400
    assert not sbx.book.jobs and sbx.billed_ticks() == 0


def test_rate_limit_answers_429_with_retry_after() -> None:
    with XaiSandbox(XaiSandboxConfig(submits_per_minute=1)) as server:
        run(submit(adapter_for(server), shot()))
        with pytest.raises(RateLimited) as info:
            run(submit(adapter_for(server), shot("another")))
    assert info.value.retry_after is not None and 0 < info.value.retry_after <= 60
    assert server.submit_count == 2 and len(server.book.jobs) == 1


def test_poll_errors_back_off_then_succeed(sbx: XaiSandbox) -> None:
    sbx.inject(Fault(503, "busy", "The service is currently unavailable", kind="poll"))
    sbx.inject(Fault(429, "slow down", "Some resource has been exhausted", kind="poll"))

    async def go() -> Any:
        async with adapter_for(sbx) as a:
            handle = await a.submit(a.build_request(shot()))
            return await a.wait(handle, interval=0.02, timeout=30)

    assert isinstance(run(go()), Succeeded)


def test_poll_of_an_unknown_id_is_invalid(sbx: XaiSandbox) -> None:
    async def go() -> None:
        async with adapter_for(sbx) as a:
            from reelforge.providers import TaskHandle

            await a.poll(TaskHandle("xai", "grok-imagine-video", "generate", "nope"))

    with pytest.raises(InvalidRequest, match="nope"):
        run(go())


def test_submit_without_request_id_is_ambiguous() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "not-the-field"})

    a = XaiAdapter(
        base_url="http://127.0.0.1:1/v1", api_key="k", transport=httpx.MockTransport(handler)
    )
    with pytest.raises(AmbiguousSubmit, match="request_id"):
        run(submit(a, shot(), key="rf-x"))


@pytest.mark.parametrize(
    ("error", "cls", "stage"),
    [
        ({"code": "internal_error", "message": "boom"}, TaskFailed, None),
        ({"code": "content_moderation", "message": "blocked"}, ModerationRejected, "output"),
        ({"code": "x", "message": "violates the content policy"}, ModerationRejected, "output"),
        (None, TaskFailed, None),
    ],
)
def test_failed_job_codes(error: Any, cls: type[ProviderError], stage: str | None) -> None:
    exc = job_error(error, provider="xai", task_id="t")
    assert type(exc) is cls
    if stage:
        assert isinstance(exc, ModerationRejected) and exc.stage == stage
