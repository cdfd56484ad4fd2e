"""MiniMax failure paths over loopback HTTP: every status code in the table on both envelopes
(v1 ``base_resp`` on HTTP 200, v2 HTTP status + ``error``), ambiguous submits, rate limits,
concurrency, auth, and a catalogue route rendered by the remote generator."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from reelforge.generators import remote
from reelforge.generators.base import ShotRequest
from reelforge.media.probe import probe
from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    ConcurrencyLimited,
    ModerationRejected,
    ProviderError,
    RateLimited,
    Succeeded,
    TaskHandle,
    TransientProviderError,
    Unsupported,
)
from reelforge.providers.minimax import CODE_TABLE, MiniMaxAdapter, MiniMaxCredentials
from reelforge.sandbox.minimax import Fault, MiniMaxSandbox, MiniMaxSandboxConfig

T = TypeVar("T")
HAILUO, H3 = "MiniMax-Hailuo-2.3", "MiniMax-H3"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(model: str = HAILUO, **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt="a kite", frames=96, fps=24, width=1280, height=720, model=model
    )
    base.update(kw)
    return ShotRequest(**base)


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MINIMAX_API_KEY", "REELFORGE_MINIMAX_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def mm() -> Iterator[MiniMaxSandbox]:
    with MiniMaxSandbox(MiniMaxSandboxConfig(processing_seconds=0.1)) as sbx:
        yield sbx


def adapter_for(sbx: MiniMaxSandbox, **kw: Any) -> MiniMaxAdapter:
    return MiniMaxAdapter(base_url=sbx.base_url, credentials=sbx.credentials(), **kw)


async def submit(sbx: MiniMaxSandbox, model: str = HAILUO, **kw: Any) -> TaskHandle:
    async with adapter_for(sbx, **kw) as adapter:
        return await adapter.submit(adapter.build_request(shot(model)))


@pytest.mark.parametrize("code", sorted(CODE_TABLE))
def test_v1_base_resp_codes_at_submit(mm: MiniMaxSandbox, code: int) -> None:
    _, cls, message = CODE_TABLE[code]
    mm.inject(Fault(code, message))
    expected: type[ProviderError] = cls
    if cls is TransientProviderError:  # timeout/internal at submit: the task may exist
        expected = AmbiguousSubmit
    with pytest.raises(expected) as info:
        run(submit(mm))
    assert type(info.value) is expected and info.value.code == code
    assert info.value.provider == "minimax" and info.value.model == HAILUO


@pytest.mark.parametrize("code", sorted(CODE_TABLE))
def test_v2_http_codes_on_query(mm: MiniMaxSandbox, code: int) -> None:
    status, cls, message = CODE_TABLE[code]
    mm.inject(Fault(code, message, kind="query"))

    async def go() -> None:
        async with adapter_for(mm) as adapter:
            await adapter.poll(TaskHandle("minimax", H3, "v2", "abc"))

    with pytest.raises(ProviderError) as info:
        run(go())
    assert type(info.value) is cls and info.value.code == code and info.value.status == status
    assert info.value.task_id == "abc"
    if cls is ModerationRejected:
        assert isinstance(info.value, ModerationRejected)
        assert info.value.stage == ("output" if code == 1027 else "input")


@pytest.mark.parametrize("model", [HAILUO, H3])
def test_ambiguous_submit_after_a_5xx_that_created_the_task(mm: MiniMaxSandbox, model: str) -> None:
    mm.inject(Fault(1000, "internal error", http_status=502, after_create=True))
    with pytest.raises(AmbiguousSubmit):
        run(submit(mm, model))
    assert mm.submits == 1 and len(mm.book.tasks) == 1  # it exists; we did not resubmit


def test_submit_timeout_is_ambiguous_and_cannot_be_reconciled(mm: MiniMaxSandbox) -> None:
    mm.inject(Fault(1000, after_create=True, delay=1.0))

    async def go() -> None:
        async with adapter_for(mm, timeout=0.3) as adapter:
            wire = adapter.build_request(shot())
            try:
                await adapter.submit(wire)
            finally:
                with pytest.raises(Unsupported, match="idempotency key"):
                    await adapter.reconcile(wire)

    with pytest.raises(AmbiguousSubmit):
        run(go())
    assert mm.submits == 1


@pytest.mark.parametrize("model", [HAILUO, H3])
def test_wrong_key_is_an_auth_error(mm: MiniMaxSandbox, model: str) -> None:
    async def go() -> None:
        bad = MiniMaxCredentials("wrong")
        async with MiniMaxAdapter(base_url=mm.base_url, credentials=bad) as adapter:
            await adapter.submit(adapter.build_request(shot(model)))

    with pytest.raises(AuthError) as info:
        run(go())
    assert info.value.code == 1004 and not mm.book.tasks


def test_rate_limit_carries_retry_after_and_wait_backs_off(mm: MiniMaxSandbox) -> None:
    mm.inject(Fault(1002, "rate limit, please retry later", kind="query", retry_after=0.05))

    async def go() -> Any:
        async with adapter_for(mm) as adapter:
            handle = await adapter.submit(adapter.build_request(shot(H3)))
            return await adapter.wait(handle, interval=0.02, timeout=20)

    assert isinstance(run(go()), Succeeded)
    mm.inject(Fault(1002, "rate limit, please retry later", kind="submit", retry_after=7))
    with pytest.raises(RateLimited) as info:
        run(submit(mm, H3))
    assert info.value.retry_after == 7.0 and info.value.status == 429


@pytest.mark.parametrize("model", [HAILUO, H3])
def test_concurrency_limit(model: str) -> None:
    config = MiniMaxSandboxConfig(processing_seconds=5, max_concurrent=1)
    with MiniMaxSandbox(config) as sbx:
        run(submit(sbx, model))
        with pytest.raises(ConcurrencyLimited):
            run(submit(sbx, model))
        assert sbx.submits == 2 and len(sbx.book.tasks) == 1


def test_file_retrieval_error_is_mapped(mm: MiniMaxSandbox) -> None:
    mm.inject(Fault(1004, "login fail", kind="retrieve"))

    async def go() -> None:
        async with adapter_for(mm) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            await adapter.wait(handle, interval=0.02, timeout=20)

    with pytest.raises(AuthError):
        run(go())


@pytest.mark.parametrize(
    ("route_id", "model", "seconds"), [("hailuo-2.3", HAILUO, 6), ("minimax-h3", H3, 5)]
)
def test_catalogue_route_renders_through_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, route_id: str, model: str, seconds: int
) -> None:
    entry = ("reelforge.providers.minimax", "MiniMaxAdapter", ())
    monkeypatch.setitem(remote.ADAPTERS, ("minimax", "minimax-api"), entry)
    monkeypatch.setattr(MiniMaxAdapter, "poll_interval", 0.05)
    with MiniMaxSandbox(MiniMaxSandboxConfig(processing_seconds=0.1, render_fps=24)) as sbx:
        monkeypatch.setenv("REELFORGE_MINIMAX_BASE_URL", sbx.base_url)
        monkeypatch.setenv("MINIMAX_API_KEY", sbx.config.api_key)
        assert remote.has_adapter("minimax", "minimax-api", model)
        request = ShotRequest(
            shot_id="s", prompt="a paper boat", frames=96, fps=24, width=1280, height=720
        )
        clip = remote.RemoteGenerator(route_id).render(request, tmp_path / "s.mp4")
        (post,) = [r for r in sbx.log if r.method == "POST"]
    assert post.json()["model"] == model and post.json()["duration"] == seconds
    assert clip.meta["provider"] == "minimax" and clip.meta["billing_unit"] == "second"
    assert sbx.submits == 1 and probe(clip.path, count_frames=True).frames == seconds * 24
