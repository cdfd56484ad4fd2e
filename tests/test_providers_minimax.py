"""The MiniMax adapter end to end against the MiniMax sandbox over real loopback HTTP: v1 Hailuo
(query, then file retrieval) and v2 MiniMax-H3 (usage seconds), moderation, cancel, expiry,
credentials kept off foreign hosts, and the base URL from the environment."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image

from media_helpers import frame_count
from reelforge.generators.base import ShotRequest
from reelforge.providers import (
    Expired,
    Failed,
    ModerationRejected,
    OutputExpired,
    Succeeded,
    TaskState,
    Unsupported,
)
from reelforge.providers.minimax import MiniMaxAdapter
from reelforge.sandbox.minimax import MiniMaxSandbox, MiniMaxSandboxConfig
from reelforge.sandbox.server import LoopbackServer

T = TypeVar("T")
HAILUO, H3 = "MiniMax-Hailuo-2.3", "MiniMax-H3"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=96, fps=24, width=1280, height=720, model=HAILUO
    )
    base.update(kw)
    return ShotRequest(**base)


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MINIMAX_API_KEY", "REELFORGE_MINIMAX_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def mm() -> Iterator[MiniMaxSandbox]:
    with MiniMaxSandbox(MiniMaxSandboxConfig(queue_seconds=0.3, processing_seconds=0.2)) as sbx:
        yield sbx


def adapter_for(sbx: MiniMaxSandbox) -> MiniMaxAdapter:
    return MiniMaxAdapter(base_url=sbx.base_url, credentials=sbx.credentials())


async def full_run(
    adapter: MiniMaxAdapter, request: ShotRequest, dest: Path, options: dict[str, Any] | None = None
) -> tuple[TaskState, list[Path], list[TaskState]]:
    seen: list[TaskState] = []
    async with adapter:
        wire = adapter.build_request(request, options)
        handle = await adapter.ensure_submitted(wire)
        state = await adapter.wait(handle, interval=0.02, timeout=30, on_state=seen.append)
        paths = await adapter.download(state, dest) if isinstance(state, Succeeded) else []
        return state, paths, seen


def test_v1_text_to_video_end_to_end_through_file_retrieval(
    mm: MiniMaxSandbox, tmp_path: Path
) -> None:
    state, paths, seen = run(full_run(adapter_for(mm), shot(), tmp_path))
    assert isinstance(state, Succeeded) and state.charge is None  # v1 reports no usage
    assert seen[0].status == "queued" and "running" in {s.status for s in seen}
    assert {s.raw.get("status") for s in seen} >= {"Preparing", "Queueing", "Processing"}
    (clip,) = paths
    assert clip.suffix == ".mp4" and frame_count(clip) == 6 * mm.config.render_fps
    assert state.outputs[0].expires_at is not None
    assert state.raw["file"]["file_id"] == state.raw["file_id"]
    (post,) = mm.requests_to("/v1/video_generation")
    assert post.headers["authorization"] == "Bearer sandbox-minimax-key"
    assert post.json()["duration"] == 6 and post.json()["resolution"] == "768P"
    assert len(mm.requests_to("/v1/files/retrieve")) == 1 and mm.submits == 1


def test_v1_first_and_last_frame(mm: MiniMaxSandbox, tmp_path: Path) -> None:
    first, last = tmp_path / "a.png", tmp_path / "b.png"
    Image.new("RGB", (64, 36), (200, 0, 0)).save(first)
    Image.new("RGB", (64, 36), (0, 0, 200)).save(last)
    request = shot(first_frame=first, last_frame=last, model="MiniMax-Hailuo-02")
    out = tmp_path / "out"
    state, paths, _ = run(full_run(adapter_for(mm), request, out))
    assert isinstance(state, Succeeded) and paths[0].stat().st_size > 0
    body = mm.requests_to("/v1/video_generation")[0].json()
    assert body["first_frame_image"].startswith("data:image/png;base64,")
    assert "last_frame_image" in body


def test_v2_h3_end_to_end_with_usage_charge(mm: MiniMaxSandbox, tmp_path: Path) -> None:
    request = shot(frames=24 * 7, model=H3)
    state, paths, seen = run(full_run(adapter_for(mm), request, tmp_path))
    assert isinstance(state, Succeeded)
    assert {s.raw["task"]["status"] for s in seen} >= {"queued", "running", "succeeded"}
    assert state.charge == Decimal(7) == Decimal(mm.seconds_charged)
    assert state.outputs[0].duration == 7.0
    assert frame_count(paths[0]) == 7 * mm.config.render_fps
    (post,) = mm.requests_to("/v2/video_generation")
    assert post.json()["resolution"] == "2K" and post.json()["ratio"] == "16:9"
    assert mm.requests_to("/v2/query/video_generation/")


@pytest.mark.parametrize("model", [HAILUO, H3])
def test_moderation_at_submit(mm: MiniMaxSandbox, model: str) -> None:
    async def go() -> None:
        async with adapter_for(mm) as adapter:
            await adapter.submit(adapter.build_request(shot("a forbidden act", model=model)))

    with pytest.raises(ModerationRejected) as info:
        run(go())
    assert info.value.stage == "input" and info.value.code == 1026
    assert not mm.book.tasks


@pytest.mark.parametrize("model", [HAILUO, H3])
def test_late_moderation_fails_the_task(mm: MiniMaxSandbox, tmp_path: Path, model: str) -> None:
    state, paths, _ = run(
        full_run(adapter_for(mm), shot("contraband cargo", model=model), tmp_path)
    )
    assert isinstance(state, Failed) and not paths
    assert isinstance(state.error, ModerationRejected) and state.error.stage == "output"
    assert state.error.code == 1027 and state.error.task_id == state.handle.task_id


def test_cancel_is_unsupported(mm: MiniMaxSandbox) -> None:
    async def go() -> None:
        async with adapter_for(mm) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            await adapter.cancel(handle)

    with pytest.raises(Unsupported, match="no cancel"):
        run(go())


def test_v2_task_expires() -> None:
    config = MiniMaxSandboxConfig(processing_seconds=5, max_task_seconds=0.1)
    with MiniMaxSandbox(config) as sbx:

        async def go() -> TaskState:
            async with adapter_for(sbx) as adapter:
                handle = await adapter.submit(adapter.build_request(shot(model=H3)))
                return await adapter.wait(handle, interval=0.05, timeout=10)

        assert isinstance(run(go()), Expired)


def test_expired_output_url_raises_output_expired(tmp_path: Path) -> None:
    with MiniMaxSandbox(MiniMaxSandboxConfig(url_ttl=0.0)) as sbx, pytest.raises(OutputExpired):
        run(full_run(adapter_for(sbx), shot(), tmp_path))


@pytest.mark.parametrize("model", [HAILUO, H3])
def test_credentials_never_reach_the_output_host(tmp_path: Path, model: str) -> None:
    with LoopbackServer("cdn") as cdn, MiniMaxSandbox(cdn=cdn) as sbx:
        state, paths, _ = run(full_run(adapter_for(sbx), shot(model=model), tmp_path))
        assert isinstance(state, Succeeded) and paths[0].exists()
        (get,) = cdn.requests_to("/files/")
        assert "authorization" not in get.headers
        api = [r for r in sbx.log if not r.path.startswith("/files/")]
        assert api and all(r.headers["authorization"].startswith("Bearer ") for r in api)


def test_base_url_and_key_come_from_the_environment(
    mm: MiniMaxSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELFORGE_MINIMAX_BASE_URL", mm.base_url)
    monkeypatch.setenv("MINIMAX_API_KEY", mm.config.api_key)
    adapter = MiniMaxAdapter()
    assert adapter.base_url == mm.base_url
    state, _, _ = run(full_run(adapter, shot(), tmp_path))
    assert isinstance(state, Succeeded) and mm.submits == 1
