"""How the Kling adapter fails: idempotency, ambiguous submits, every error code, expiry, cancel."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from reelforge.generators.base import ShotRequest
from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    ConcurrencyLimited,
    Failed,
    InvalidRequest,
    KlingAdapter,
    KlingCredentials,
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
from reelforge.providers.kling import CODE_TABLE
from reelforge.sandbox import Fault, KlingSandbox, KlingSandboxConfig

T = TypeVar("T")

# The HTTP status Kling pairs with each business code (research §3.7).
STATUS_FOR_CODE = {
    **dict.fromkeys(range(1000, 1005), 401),
    **dict.fromkeys((1100, 1101, 1102, 1302, 1303, 1304), 429),
    1103: 403,
    **dict.fromkeys((1200, 1201, 1300, 1301), 400),
    **dict.fromkeys((1202, 1203), 404),
    5000: 500,
    5001: 503,
    5002: 504,
}
EXPECTED = {
    **dict.fromkeys((1000, 1001, 1002, 1003, 1004, 1103, 1304), AuthError),
    **dict.fromkeys((1100, 1101, 1102), QuotaExceeded),
    **dict.fromkeys((1200, 1201, 1202, 1203), InvalidRequest),
    **dict.fromkeys((1300, 1301), ModerationRejected),
    1302: RateLimited,
    1303: ConcurrencyLimited,
    **dict.fromkeys((5000, 5001, 5002), TransientProviderError),
}


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a quiet harbour", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=120, fps=24, width=1280, height=720, model="kling-v3"
    )
    return ShotRequest(**{**base, **kw})


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "KLING_API_KEY",
        "KLING_ACCESS_KEY",
        "KLING_SECRET_KEY",
        "REELFORGE_KLING_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def kling() -> Iterator[KlingSandbox]:
    with KlingSandbox() as sbx:
        yield sbx


def adapter_for(sbx: KlingSandbox, **kw: Any) -> KlingAdapter:
    return KlingAdapter(base_url=sbx.base_url, credentials=sbx.credentials(), **kw)


async def submit_once(adapter: KlingAdapter, request: ShotRequest, key: str = "job-1") -> Any:
    async with adapter:
        return await adapter.submit(adapter.build_request(request, idempotency_key=key))


def test_every_code_in_the_table_is_tested() -> None:
    assert set(EXPECTED) == set(CODE_TABLE) == set(STATUS_FOR_CODE)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_error_code_mapping_over_http(kling: KlingSandbox, code: int) -> None:
    kling.inject(Fault(STATUS_FOR_CODE[code], code, f"scripted {code}", kind="query"))

    async def go() -> None:
        async with adapter_for(kling) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            await adapter.poll(handle)

    with pytest.raises(ProviderError) as info:
        run(go())
    assert type(info.value) is EXPECTED[code]
    assert info.value.code == code and info.value.status == STATUS_FOR_CODE[code]
    assert info.value.provider == "kling" and info.value.model == "kling-v3"
    assert info.value.payload["message"] == f"scripted {code}"


def test_wrong_secret_is_auth_error(kling: KlingSandbox) -> None:
    creds = KlingCredentials(access_key=kling.config.access_key, secret_key="not-the-secret")
    adapter = KlingAdapter(base_url=kling.base_url, credentials=creds)
    with pytest.raises(AuthError) as info:
        run(submit_once(adapter, shot()))
    assert info.value.status == 401 and info.value.code == 1000
    assert not kling.book.tasks


def test_rate_limit_carries_retry_after(kling: KlingSandbox) -> None:
    kling.inject(Fault(429, 1302, "request rate too high", retry_after=7))
    with pytest.raises(RateLimited) as info:
        run(submit_once(adapter_for(kling), shot()))
    assert info.value.retry_after == 7.0 and info.value.retryable


def test_quota_exhausted(kling: KlingSandbox) -> None:
    kling.inject(Fault(429, 1102, "resource pack depleted"))
    with pytest.raises(QuotaExceeded, match="resource pack depleted"):
        run(submit_once(adapter_for(kling), shot()))


def test_invalid_request_from_the_wire(kling: KlingSandbox) -> None:
    adapter = adapter_for(kling)
    wire = adapter.build_request(shot(), {"model_name": "kling-v9"})
    with pytest.raises(InvalidRequest) as info:

        async def go() -> None:
            async with adapter:
                await adapter.submit(wire)

        run(go())
    assert info.value.code == 1203


def test_invalid_request_caught_before_spending(kling: KlingSandbox) -> None:
    adapter = adapter_for(kling)
    with pytest.raises(InvalidRequest, match="longer than kling-v3"):
        adapter.build_request(shot(frames=24 * 20))
    run(adapter.aclose())
    assert not kling.log  # nothing was sent


def test_moderation_at_submit(kling: KlingSandbox) -> None:
    with pytest.raises(ModerationRejected) as info:
        run(submit_once(adapter_for(kling), shot("a forbidden scene")))
    assert info.value.stage == "input" and info.value.code == 1301
    assert info.value.payload["code"] == 1301


def test_concurrency_limit() -> None:
    config = KlingSandboxConfig(concurrency_limit=1, processing_seconds=30)
    with KlingSandbox(config) as sbx:

        async def go() -> None:
            async with adapter_for(sbx) as adapter:
                await adapter.submit(adapter.build_request(shot(), idempotency_key="a"))
                await adapter.submit(adapter.build_request(shot(), idempotency_key="b"))

        with pytest.raises(ConcurrencyLimited) as info:
            run(go())
        assert info.value.code == 1303
        assert len(sbx.book.tasks) == 1


def test_transient_poll_error_then_wait_recovers(kling: KlingSandbox) -> None:
    kling.inject(Fault(503, 5001, "service unavailable", kind="query"))

    async def go() -> tuple[type, Any]:
        async with adapter_for(kling) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            try:
                await adapter.poll(handle)
            except TransientProviderError as exc:
                first = type(exc)
            return first, await adapter.wait(handle, interval=0.01, timeout=30)

    first, state = run(go())
    assert first is TransientProviderError
    assert isinstance(state, Succeeded)


def test_same_key_attaches_instead_of_resubmitting(kling: KlingSandbox) -> None:
    async def go() -> tuple[TaskHandle, TaskHandle]:
        async with adapter_for(kling) as adapter:
            wire = adapter.build_request(shot(), idempotency_key="job-42")
            return await adapter.ensure_submitted(wire), await adapter.ensure_submitted(wire)

    one, two = run(go())
    assert one.task_id == two.task_id
    assert kling.submits["job-42"] == 1 and len(kling.book.tasks) == 1


def test_ambiguous_5xx_submit_is_reconciled_not_resubmitted(kling: KlingSandbox) -> None:
    kling.inject(Fault(500, 5000, "server error", after_create=True))

    async def go() -> tuple[AmbiguousSubmit, TaskHandle | None]:
        async with adapter_for(kling) as adapter:
            wire = adapter.build_request(shot(), idempotency_key="job-7")
            try:
                await adapter.submit(wire)
            except AmbiguousSubmit as exc:
                return exc, await adapter.reconcile(wire)
        raise AssertionError("submit did not raise")

    exc, found = run(go())
    assert exc.idempotency_key == "job-7" and not exc.retryable
    assert found is not None and found.task_id in kling.book.tasks
    assert kling.submits["job-7"] == 1


def test_submit_timeout_is_ambiguous_and_reconciled(kling: KlingSandbox) -> None:
    kling.inject(Fault(200, 0, after_create=True, delay=1.0))

    async def go() -> TaskHandle | None:
        async with adapter_for(kling, timeout=0.3) as adapter:
            wire = adapter.build_request(shot(), idempotency_key="job-slow")
            with pytest.raises(AmbiguousSubmit):
                await adapter.submit(wire)
            return await adapter.reconcile(wire)

    found = run(go())
    assert found is not None and kling.submits["job-slow"] == 1


def test_reconcile_finds_nothing_when_nothing_was_created(kling: KlingSandbox) -> None:
    async def go() -> TaskHandle | None:
        async with adapter_for(kling) as adapter:
            return await adapter.reconcile(adapter.build_request(shot(), idempotency_key="never"))

    assert run(go()) is None


def test_unreachable_host_is_plain_transient_not_ambiguous() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    adapter = KlingAdapter(
        base_url=f"http://127.0.0.1:{port}", credentials=KlingCredentials(api_key="k")
    )
    with pytest.raises(TransientProviderError) as info:
        run(submit_once(adapter, shot()))
    assert not isinstance(info.value, AmbiguousSubmit)


def test_expired_output_url(kling: KlingSandbox, tmp_path: Path) -> None:
    async def go() -> None:
        async with adapter_for(kling) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            state = await adapter.wait(handle, interval=0.01, timeout=30)
            assert isinstance(state, Succeeded)
            kling.expire_files()
            await adapter.download(state, tmp_path)

    with pytest.raises(OutputExpired) as info:
        run(go())
    assert info.value.task_id and info.value.provider == "kling"
    assert not list(tmp_path.iterdir())  # no partial file left behind


def test_kling_cannot_cancel(kling: KlingSandbox) -> None:
    adapter = adapter_for(kling)
    assert adapter.can_cancel is False
    handle = TaskHandle("kling", "kling-v3", "text2video", "t1")
    with pytest.raises(Unsupported, match="no cancel endpoint"):
        run(adapter.cancel(handle))
    run(adapter.aclose())


def test_missing_key_names_the_fix() -> None:
    with pytest.raises(MissingKey) as info:
        KlingAdapter()
    text = str(info.value)
    assert "reel keys set kling" in text
    assert "KLING_API_KEY" in text and "KLING_ACCESS_KEY + KLING_SECRET_KEY" in text


def test_half_a_key_pair_is_still_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLING_ACCESS_KEY", "ak")
    with pytest.raises(MissingKey):
        KlingAdapter()
    monkeypatch.setenv("KLING_SECRET_KEY", "sk")
    adapter = KlingAdapter()
    assert adapter.credentials.access_key == "ak" and "sk" not in repr(adapter.credentials)
    run(adapter.aclose())


def _mock_adapter(answer: dict[str, Any]) -> KlingAdapter:
    """An adapter whose transport answers every request with ``answer`` (no socket at all)."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answer)

    return KlingAdapter(
        base_url="http://127.0.0.1:9",
        credentials=KlingCredentials(api_key="k"),
        transport=httpx.MockTransport(handler),
    )


def test_http_200_with_an_error_code_is_still_an_error() -> None:
    answer = {"code": 1303, "message": "parallel task over limit", "request_id": "r", "data": None}
    with pytest.raises(ConcurrencyLimited, match="parallel task over limit"):
        run(submit_once(_mock_adapter(answer), shot()))


@pytest.mark.parametrize(
    ("status", "videos", "expected"),
    [
        ("succeeded", [{"url": "http://127.0.0.1:9/v.mp4", "duration": "5"}], Succeeded),
        ("succeed", [], Failed),  # "succeeded but empty" is not a success
    ],
)
def test_status_spellings_and_empty_success(status: str, videos: list[Any], expected: type) -> None:
    data = {"task_id": "t1", "task_status": status, "task_result": {"videos": videos}}
    adapter = _mock_adapter({"code": 0, "message": "ok", "request_id": "r", "data": data})

    async def go() -> Any:
        async with adapter:
            return await adapter.poll(TaskHandle("kling", "kling-v3", "text2video", "t1"))

    assert type(run(go())) is expected
