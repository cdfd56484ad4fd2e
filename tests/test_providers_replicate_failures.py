"""How the Replicate adapter fails, table-driven over loopback HTTP (RFC 7807 problem bodies),
plus ambiguous submits, missing keys and request building per catalogue model."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image

from reelforge.generators.base import ShotRequest
from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    InvalidRequest,
    MissingKey,
    ModerationRejected,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    Succeeded,
    TaskHandle,
    TransientProviderError,
)
from reelforge.providers.replicate import ReplicateAdapter, ReplicateCredentials
from reelforge.sandbox.replicate import ReplicateFault, ReplicateSandbox, ReplicateSandboxConfig

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a quiet harbour", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=96, fps=24, width=1280, height=720, model="x"
    )
    return ShotRequest(**{**base, **kw})


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REPLICATE_API_TOKEN", "REELFORGE_REPLICATE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def rep() -> Iterator[ReplicateSandbox]:
    with ReplicateSandbox(ReplicateSandboxConfig(processing_seconds=0.1)) as sbx:
        yield sbx


def adapter_for(sbx: ReplicateSandbox, **kw: Any) -> ReplicateAdapter:
    kw.setdefault("credentials", sbx.credentials())
    return ReplicateAdapter(base_url=sbx.base_url, **kw)


async def submit_once(sbx: ReplicateSandbox, **kw: Any) -> TaskHandle:
    async with adapter_for(sbx, **kw) as adapter:
        return await adapter.submit(adapter.build_request(shot()))


SUBMIT_ROWS: list[tuple[int, str, str, type[ProviderError]]] = [
    (400, "Bad request", "malformed", InvalidRequest),
    (401, "Unauthenticated", "You did not pass a valid authentication token", AuthError),
    (402, "Insufficient credit", "You have insufficient credit to run this model.", QuotaExceeded),
    (403, "Forbidden", "You do not have permission", AuthError),
    (404, "Not found", "The requested resource could not be found.", InvalidRequest),
    (422, "Input validation failed", "- input.duration: must be one of", InvalidRequest),
    (
        422,
        "Input validation failed",
        "The input was flagged as sensitive (E005)",
        ModerationRejected,
    ),
    (429, "Too Many Requests", "Request was throttled.", RateLimited),
    (500, "Internal Server Error", "boom", AmbiguousSubmit),
    (503, "Service Unavailable", "down", AmbiguousSubmit),
]


@pytest.mark.parametrize(("status", "title", "detail", "expected"), SUBMIT_ROWS)
def test_submit_errors_map_over_http(
    rep: ReplicateSandbox, status: int, title: str, detail: str, expected: type[ProviderError]
) -> None:
    rep.inject(ReplicateFault(status, detail, title, retry_after=9 if status == 429 else None))
    with pytest.raises(ProviderError) as info:
        run(submit_once(rep))
    assert type(info.value) is expected and info.value.status == status
    assert info.value.provider == "replicate"
    if isinstance(info.value, RateLimited):
        assert info.value.retry_after == 9.0
    assert rep.submits == 1


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (500, TransientProviderError),
        (502, TransientProviderError),
        (401, AuthError),
        (404, InvalidRequest),
        (429, RateLimited),
    ],
)
def test_poll_errors_map_over_http(
    rep: ReplicateSandbox, status: int, expected: type[ProviderError]
) -> None:
    async def go() -> None:
        async with adapter_for(rep) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            rep.inject(ReplicateFault(status, kind="get"))
            await adapter.poll(handle)

    with pytest.raises(ProviderError) as info:
        run(go())
    assert type(info.value) is expected and info.value.task_id


def test_ambiguous_submit_is_reconciled_by_lookup(rep: ReplicateSandbox) -> None:
    rep.inject(ReplicateFault(200, after_create=True, delay=1.0))

    async def go() -> tuple[TaskHandle | None, Any]:
        async with adapter_for(rep, timeout=0.3) as adapter:
            wire = adapter.build_request(shot(), idempotency_key="k1")
            with pytest.raises(AmbiguousSubmit):
                await adapter.submit(wire)
            found = await adapter.reconcile(wire)
            assert found is not None
            return found, await adapter.wait(found, interval=0.02, timeout=10)

    found, state = run(go())
    assert found is not None and found.task_id in rep.predictions
    assert isinstance(state, Succeeded) and rep.submits == 1


def test_wrong_token_and_missing_token(rep: ReplicateSandbox) -> None:
    with pytest.raises(AuthError):
        run(submit_once(rep, credentials=ReplicateCredentials("wrong")))
    with pytest.raises(MissingKey) as info:
        ReplicateAdapter()
    assert "REPLICATE_API_TOKEN" in str(info.value)
    assert "`reel keys set replicate`" in str(info.value)


def test_invalid_input_reaches_the_sandbox_as_422(rep: ReplicateSandbox) -> None:
    async def go() -> None:
        async with adapter_for(rep) as adapter:
            wire = adapter.build_request(shot())
            wire.body["input"]["duration"] = 5  # not 4/6/8
            await adapter.submit(wire)

    with pytest.raises(InvalidRequest, match="duration"):
        run(go())


# -- request building ------------------------------------------------------------------------


@pytest.fixture
def adapter() -> ReplicateAdapter:
    return ReplicateAdapter(base_url="http://127.0.0.1:9", credentials=ReplicateCredentials("t"))


def png(tmp_path: Path, name: str = "f.png") -> Path:
    Image.new("RGB", (32, 18), (1, 2, 3)).save(tmp_path / name)
    return tmp_path / name


def test_paths_per_model_and_version(adapter: ReplicateAdapter) -> None:
    wire = adapter.build_request(shot(), {"model_name": "minimax/hailuo-2.3"})
    assert wire.path == "/v1/models/minimax/hailuo-2.3/predictions"
    assert wire.body == {
        "input": {"prompt": "a quiet harbour", "duration": 6, "resolution": "768p"}
    }
    pinned = adapter.build_request(shot(), {"model_name": "google/veo-3.1:abc123"})
    assert pinned.path == "/v1/predictions" and pinned.body["version"] == "google/veo-3.1:abc123"


def test_sora_and_hailuo_shapes(adapter: ReplicateAdapter, tmp_path: Path) -> None:
    sora = adapter.build_request(
        shot(width=720, height=1280, frames=200, first_frame=png(tmp_path)),
        {"model_name": "openai/sora-2-pro"},
    )
    assert sora.body["input"]["seconds"] == 12 and sora.body["input"]["aspect_ratio"] == "portrait"
    assert sora.body["input"]["input_reference"].startswith("data:image/png")
    with pytest.raises(InvalidRequest, match="no end frame"):
        adapter.build_request(
            shot(first_frame=png(tmp_path), last_frame=png(tmp_path, "l.png")),
            {"model_name": "minimax/hailuo-2.3"},
        )


def test_veo_frames_and_too_long(adapter: ReplicateAdapter, tmp_path: Path) -> None:
    wire = adapter.build_request(
        shot(first_frame=png(tmp_path), last_frame=png(tmp_path, "l.png")),
        {"model_name": "google/veo-3.1", "sound": True},
    )
    inp = wire.body["input"]
    assert {"image", "last_frame"} <= set(inp) and inp["generate_audio"] is True
    with pytest.raises(InvalidRequest, match="longer than"):
        adapter.build_request(shot(frames=24 * 9), {"model_name": "google/veo-3.1"})
    with pytest.raises(InvalidRequest, match="no Replicate input builder"):
        adapter.build_request(shot(), {"model_name": "who/knows"})
