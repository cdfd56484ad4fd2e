"""How the fal adapter fails, table-driven over loopback HTTP: fal's ``{detail, error_type}``
bodies, submits never retried, rate limits, 504 after COMPLETED, expired outputs, missing keys."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from reelforge.generators.base import ShotRequest
from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
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
from reelforge.providers.fal import FalAdapter, FalCredentials, error_for
from reelforge.sandbox.fal import FalFault, FalSandbox, FalSandboxConfig

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a quiet harbour", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=96, fps=24, width=1280, height=720, model="x"
    )
    return ShotRequest(**{**base, **kw})


OPTS = {"model_name": "fal-ai/veo3.1"}


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FAL_KEY", "FAL_KEY_ID", "FAL_KEY_SECRET", "REELFORGE_FAL_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fal() -> Iterator[FalSandbox]:
    with FalSandbox(FalSandboxConfig(processing_seconds=0.1)) as sbx:
        yield sbx


def adapter_for(sbx: FalSandbox, **kw: Any) -> FalAdapter:
    kw.setdefault("credentials", sbx.credentials())
    return FalAdapter(base_url=sbx.base_url, **kw)


async def submit_once(sbx: FalSandbox, prompt: str = "a quiet harbour", **kw: Any) -> TaskHandle:
    async with adapter_for(sbx, **kw) as adapter:
        return await adapter.submit(adapter.build_request(shot(prompt), OPTS))


# (HTTP status, detail, error_type header) → what a submit raises
SUBMIT_ROWS: list[tuple[int, Any, str | None, type[ProviderError]]] = [
    (400, "Bad request", None, InvalidRequest),
    (401, "No user found for Key ID and Secret", None, AuthError),
    (403, "User is locked. Reason: Exhausted balance.", None, QuotaExceeded),
    (403, "Forbidden", "exhausted_balance", QuotaExceeded),
    (403, "Access denied to this app", None, AuthError),
    (404, "Application 'x' not found", None, InvalidRequest),
    (413, "Payload too large", None, InvalidRequest),
    (
        422,
        [{"loc": ["body", "prompt"], "msg": "flagged", "type": "content_policy_violation"}],
        None,
        ModerationRejected,
    ),
    (
        422,
        [{"loc": ["body", "duration"], "msg": "bad", "type": "value_error"}],
        None,
        InvalidRequest,
    ),
    (422, "image is too large", "image_too_large", InvalidRequest),
    (429, "Too many requests", None, RateLimited),
    (408, "Request timeout", None, AmbiguousSubmit),
    (500, "Internal server error", None, AmbiguousSubmit),
    (502, "Bad gateway", None, AmbiguousSubmit),
    (504, "Gateway timeout", None, AmbiguousSubmit),
]


@pytest.mark.parametrize(("status", "detail", "etype", "expected"), SUBMIT_ROWS)
def test_submit_errors_map_over_http(
    fal: FalSandbox, status: int, detail: Any, etype: str | None, expected: type[ProviderError]
) -> None:
    fal.inject(FalFault(status, detail, etype, retry_after=7 if status == 429 else None))
    with pytest.raises(ProviderError) as info:
        run(submit_once(fal))
    assert type(info.value) is expected
    assert info.value.provider == "fal" and info.value.status == status
    if expected is RateLimited:
        assert isinstance(info.value, RateLimited) and info.value.retry_after == 7.0
    if expected is ModerationRejected:
        assert isinstance(info.value, ModerationRejected) and info.value.stage == "input"
    if expected is AmbiguousSubmit:
        assert "cannot be reconciled" in info.value.message
    assert fal.submits == 1  # never retried


POLL_ROWS: list[tuple[int, type[ProviderError]]] = [
    (500, TransientProviderError),
    (503, TransientProviderError),
    (401, AuthError),
    (404, InvalidRequest),
    (429, RateLimited),
]


@pytest.mark.parametrize(("status", "expected"), POLL_ROWS)
def test_poll_errors_map_over_http(
    fal: FalSandbox, status: int, expected: type[ProviderError]
) -> None:
    async def go() -> None:
        async with adapter_for(fal) as adapter:
            handle = await adapter.submit(adapter.build_request(shot(), OPTS))
            fal.inject(FalFault(status, "scripted", kind="status"))
            await adapter.poll(handle)

    with pytest.raises(ProviderError) as info:
        run(go())
    assert type(info.value) is expected and info.value.task_id


def test_error_type_table_rows() -> None:
    assert type(error_for(200, "generation_timeout", "took too long")).__name__ == "TaskFailed"
    assert type(error_for(500, "generation_timeout", "x")) is TransientProviderError
    moderation = error_for(200, "content_policy_violation", "flagged", stage="output")
    assert isinstance(moderation, ModerationRejected) and moderation.stage == "output"


def test_moderation_at_submit_creates_nothing(fal: FalSandbox) -> None:
    with pytest.raises(ModerationRejected) as info:
        run(submit_once(fal, "a forbidden thing"))
    assert info.value.code == "content_policy_violation" and fal.jobs == {}


def test_wrong_key_is_auth_error(fal: FalSandbox) -> None:
    with pytest.raises(AuthError):
        run(submit_once(fal, credentials=FalCredentials("wrong")))


def test_missing_key_names_the_env_var_and_the_command() -> None:
    with pytest.raises(MissingKey) as info:
        FalAdapter()
    text = str(info.value)
    assert "FAL_KEY" in text and "`reel keys set fal`" in text


def test_submit_timeout_is_ambiguous_and_cannot_be_reconciled(fal: FalSandbox) -> None:
    fal.inject(FalFault(200, after_create=True, delay=1.0))

    async def go() -> None:
        async with adapter_for(fal, timeout=0.3) as adapter:
            wire = adapter.build_request(shot(), OPTS, idempotency_key="k1")
            assert wire.idempotency_key is None and any("idempotency" in w for w in wire.warnings)
            try:
                await adapter.submit(wire)
            finally:
                with pytest.raises(Unsupported):
                    await adapter.lookup(wire)

    with pytest.raises(AmbiguousSubmit):
        run(go())
    assert fal.submits == 1 and len(fal.jobs) == 1  # it did exist: nothing resubmitted


def test_result_504_after_completed_is_retried_by_wait(fal: FalSandbox, tmp_path: Path) -> None:
    fal.inject(FalFault(504, "upstream timeout", kind="result"))

    async def go() -> Succeeded:
        async with adapter_for(fal) as adapter:
            handle = await adapter.submit(adapter.build_request(shot(), OPTS))
            state = await adapter.wait(handle, interval=0.02, timeout=10)
            assert isinstance(state, Succeeded)
            return state

    run(go())
    results = [r for r in fal.log if r.method == "GET" and not r.path.endswith("/status")]
    assert len(results) == 2  # the 504, then the real result


def test_wait_backs_off_on_rate_limit_and_finishes(fal: FalSandbox) -> None:
    fal.inject(FalFault(429, "slow down", kind="status", retry_after=0.05))

    async def go() -> Any:
        async with adapter_for(fal) as adapter:
            handle = await adapter.submit(adapter.build_request(shot(), OPTS))
            return await adapter.wait(handle, interval=0.02, timeout=10)

    assert isinstance(run(go()), Succeeded)


def test_expired_output_file(tmp_path: Path) -> None:
    with FalSandbox(FalSandboxConfig(file_ttl=60)) as sbx:

        async def go() -> None:
            async with adapter_for(sbx) as adapter:
                handle = await adapter.submit(adapter.build_request(shot(), OPTS))
                state = await adapter.wait(handle, interval=0.02, timeout=10)
                assert isinstance(state, Succeeded)
                sbx.expire_files()
                await adapter.download(state, tmp_path)

        with pytest.raises(OutputExpired):
            run(go())
