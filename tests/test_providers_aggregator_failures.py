"""Failures through the generic aggregator adapter against the generic sandbox: the error
mapping table per aggregator (HTTP statuses and envelope codes), submits that are never
retried (AmbiguousSubmit), moderation at submit and late, Atlas's 5xx terminal bodies, expired
output URLs and cancel."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import yaml

from reelforge.generators.base import ShotRequest
from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    Canceled,
    ConcurrencyLimited,
    Failed,
    InvalidRequest,
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
from reelforge.providers.aggregator import NAMED, AggregatorAdapter, load_profiles, parse_profiles
from reelforge.sandbox.aggregator import AggregatorSandbox, AggregatorSandboxConfig, Fault

T = TypeVar("T")
NAMES = sorted(load_profiles())
MODEL = "vendor/some-model/text-to-video"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk") -> ShotRequest:
    return ShotRequest(shot_id="s1", prompt=prompt, frames=120, fps=24, width=1280, height=720)


def sandbox(name: str, **kw: Any) -> AggregatorSandbox:
    kw.setdefault("queue_seconds", 0.02)
    kw.setdefault("processing_seconds", 0.05)
    return AggregatorSandbox(name, AggregatorSandboxConfig(**kw))


def adapter_for(sbx: AggregatorSandbox, **kw: Any) -> AggregatorAdapter:
    return NAMED[sbx.profile.name](base_url=sbx.base_url, api_key=sbx.api_key, **kw)


async def submit(adapter: AggregatorAdapter, prompt: str = "a lighthouse") -> TaskHandle:
    async with adapter:
        return await adapter.submit(adapter.build_request(shot(prompt), {"model_name": MODEL}))


async def submit_and_wait(adapter: AggregatorAdapter, prompt: str = "a lighthouse") -> Any:
    async with adapter:
        handle = await adapter.submit(adapter.build_request(shot(prompt), {"model_name": MODEL}))
        return await adapter.wait(handle, interval=0.02, timeout=10)


# (HTTP status, words in the message, expected exception): the same table for every
# aggregator, plus each profile's own rows below.
TABLE: list[tuple[int, str, type[ProviderError]]] = [
    (400, "bad duration", InvalidRequest),
    (401, "Invalid credentials", AuthError),
    (402, "payment required", QuotaExceeded),
    (400, "Insufficient balance on the account", QuotaExceeded),
    (403, "forbidden model", AuthError),
    (404, "no such model", InvalidRequest),
    (422, "prompt too long", InvalidRequest),
    (429, "slow down", RateLimited),
    (400, "content policy violation", ModerationRejected),
]
OWN: dict[str, list[tuple[int, str, type[ProviderError]]]] = {
    "higgsfield": [(423, "model locked for this account", AuthError)],
    "wavespeed": [(429, "max concurrency reached", ConcurrencyLimited)],
}
CASES = [(n, *row) for n in NAMES for row in TABLE + OWN.get(n, [])]


@pytest.mark.parametrize(("name", "status", "message", "expected"), CASES)
def test_error_table_at_submit(
    name: str, status: int, message: str, expected: type[ProviderError]
) -> None:
    with sandbox(name) as sbx:
        sbx.inject(Fault(status, message, retry_after=7 if status == 429 else None))
        with pytest.raises(ProviderError) as err:
            run(submit(adapter_for(sbx)))
    assert type(err.value) is expected and err.value.status == status
    assert message in err.value.message and err.value.provider == name
    assert sbx.submits == 1
    if expected is RateLimited:
        assert isinstance(err.value, RateLimited) and err.value.retry_after == 7.0
    if expected is ModerationRejected:
        assert isinstance(err.value, ModerationRejected) and err.value.stage == "input"


@pytest.mark.parametrize("name", [n for n in NAMES if load_profiles()[n].envelope_code_path])
@pytest.mark.parametrize(
    ("code", "expected"), [(401, AuthError), (400, InvalidRequest), (429, RateLimited)]
)
def test_envelope_codes_in_http_200_are_errors(
    name: str, code: int, expected: type[ProviderError]
) -> None:
    with sandbox(name) as sbx:
        sbx.inject(Fault(code, "envelope says no", in_envelope=True))
        with pytest.raises(ProviderError) as err:
            run(submit(adapter_for(sbx)))
    assert type(err.value) is expected and err.value.code == code


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_submit_5xx_after_create_is_ambiguous_and_never_retried(name: str, status: int) -> None:
    with sandbox(name) as sbx:
        sbx.inject(Fault(status, "upstream trouble", after_create=True))
        with pytest.raises(AmbiguousSubmit) as err:
            run(submit(adapter_for(sbx)))
        created = len(sbx.book.tasks)
    assert sbx.submits == 1 and created == 1  # the task exists; we did not send a second
    assert not err.value.retryable and err.value.status == status


@pytest.mark.parametrize("name", NAMES)
def test_submit_timeout_is_ambiguous_and_never_retried(name: str) -> None:
    with sandbox(name) as sbx:
        sbx.inject(Fault(200, kind="submit", after_create=True, delay=0.6))
        with pytest.raises(AmbiguousSubmit):
            run(submit(adapter_for(sbx, timeout=0.2)))
        assert sbx.submits == 1


@pytest.mark.parametrize("name", NAMES)
def test_connect_failure_is_transient_not_ambiguous(name: str) -> None:
    adapter = NAMED[name](base_url="http://127.0.0.1:9", api_key="k")
    with pytest.raises(TransientProviderError) as err:
        run(submit(adapter))
    assert not isinstance(err.value, AmbiguousSubmit)


def test_an_envelope_5xx_at_submit_is_ambiguous() -> None:
    with sandbox("wavespeed") as sbx:
        sbx.inject(Fault(500, "internal", in_envelope=True, after_create=True))
        with pytest.raises(AmbiguousSubmit):
            run(submit(adapter_for(sbx)))
    assert sbx.submits == 1


@pytest.mark.parametrize("name", NAMES)
def test_moderation_at_submit_and_late(name: str) -> None:
    with sandbox(name) as sbx:
        with pytest.raises(ModerationRejected) as early:
            run(submit(adapter_for(sbx), "a forbidden scene"))
        late = run(submit_and_wait(adapter_for(sbx), "smuggling contraband"))
    assert early.value.stage == "input" and early.value.status == 400
    assert isinstance(late, Failed) and isinstance(late.error, ModerationRejected)
    assert late.error.stage == "output" and late.error.task_id == late.handle.task_id
    spelled = sbx.profile.spelling("moderated")
    assert spelled in late.error.message  # Higgsfield says "nsfw"; the others "failed"/"error"


def test_atlas_failed_prediction_as_http_500_is_an_answer() -> None:
    with sandbox("atlas") as sbx:
        state = run(submit_and_wait(adapter_for(sbx), "contraband"))
        answers = [r for r in sbx.log if r.method == "GET"]
    assert isinstance(state, Failed) and isinstance(state.error, ModerationRejected)
    assert answers  # and the sandbox did answer those polls with HTTP 500:
    with sandbox("atlas", queue_seconds=0, processing_seconds=0) as sbx:
        task = sbx.book.create(MODEL, {"prompt": "contraband"})
        sbx.book.advance()
        resp = httpx.get(
            f"{sbx.base_url}/api/v1/model/prediction/{task.id}",
            headers={"Authorization": f"Bearer {sbx.api_key}"},
        )
    assert resp.status_code == 500 and resp.json()["data"]["status"] == "failed"


def test_a_plain_5xx_poll_is_retried_not_an_answer() -> None:
    with sandbox("atlas") as sbx:
        sbx.inject(Fault(503, "busy", kind="poll"))
        state = run(submit_and_wait(adapter_for(sbx)))
    assert isinstance(state, Succeeded)


@pytest.mark.parametrize("name", NAMES)
def test_poll_auth_failure_stops_waiting(name: str) -> None:
    with sandbox(name) as sbx:
        sbx.inject(Fault(401, "Invalid credentials", kind="poll"))
        with pytest.raises(AuthError):
            run(submit_and_wait(adapter_for(sbx)))


@pytest.mark.parametrize("name", NAMES)
def test_expired_output_url_raises_output_expired(name: str, tmp_path: Path) -> None:
    with sandbox(name) as sbx:
        adapter = adapter_for(sbx)

        async def go() -> None:
            async with adapter:
                wire = adapter.build_request(shot(), {"model_name": MODEL})
                handle = await adapter.submit(wire)
                state = await adapter.wait(handle, interval=0.02, timeout=10)
                assert isinstance(state, Succeeded)
                sbx.expire_files()
                await adapter.download(state, tmp_path)

        with pytest.raises(OutputExpired):
            run(go())
    assert not list(tmp_path.glob("*.mp4"))


def test_higgsfield_cancels_queued_requests_only() -> None:
    with sandbox("higgsfield", queue_seconds=5) as sbx:
        adapter = adapter_for(sbx)

        async def go() -> Any:
            async with adapter:
                handle = await adapter.submit(adapter.build_request(shot(), {"model_name": MODEL}))
                await adapter.cancel(handle)
                return await adapter.poll(handle)

        assert isinstance(run(go()), Canceled)
        assert adapter.can_cancel
    with sandbox("higgsfield", queue_seconds=0) as sbx:
        adapter = adapter_for(sbx)

        async def late() -> None:
            async with adapter:
                handle = await adapter.submit(adapter.build_request(shot(), {"model_name": MODEL}))
                await adapter.poll(handle)  # now running
                await adapter.cancel(handle)

        with pytest.raises(Unsupported, match="queued"):
            run(late())


@pytest.mark.parametrize("name", [n for n in NAMES if n != "higgsfield"])
def test_cancel_is_unsupported_without_an_endpoint(name: str) -> None:
    adapter = NAMED[name](base_url="http://127.0.0.1:9", api_key="k")
    assert not adapter.can_cancel
    with pytest.raises(Unsupported):
        run(adapter.cancel(TaskHandle(name, MODEL, "x", "t1")))


def test_submit_without_an_id_is_ambiguous() -> None:
    adapter = NAMED["aimlapi"](base_url="http://127.0.0.1:9", api_key="k")
    wire = adapter.build_request(shot(), {"model_name": MODEL})
    with pytest.raises(AmbiguousSubmit, match="without id"):
        adapter.parse_submit(wire, {"status": "queued"})
    assert wire.idempotency_key is None  # aggregators take none: reconcile is impossible
    with pytest.raises(Unsupported):
        run(adapter.reconcile(wire))


def test_unknown_error_class_in_the_table_fails_at_load() -> None:
    bad = {
        **load_profiles()["atlas"].model_dump(exclude={"name"}),
        "http_errors": {418: "Teapot"},
    }
    with pytest.raises(ValueError, match="Teapot"):
        parse_profiles(yaml.safe_dump({"x": bad}))
    assert set(parse_profiles(yaml.safe_dump({"x": {**bad, "http_errors": {}}}))) == {"x"}
