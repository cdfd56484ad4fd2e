"""The Seedance adapter end to end against the Seedance sandbox over real loopback HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image

from media_helpers import frame_count
from reelforge.generators.base import ElementRef, ShotRequest
from reelforge.providers import (
    Canceled,
    Expired,
    Failed,
    InvalidRequest,
    MissingKey,
    ModerationRejected,
    OutputExpired,
    Queued,
    Succeeded,
    TaskState,
    Unsupported,
)
from reelforge.providers.seedance import SeedanceAdapter, dimensions, token_count
from reelforge.sandbox.seedance import SeedanceSandbox, SeedanceSandboxConfig
from reelforge.sandbox.server import LoopbackServer

T = TypeVar("T")
MODEL = "dreamina-seedance-2-0-260128"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
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
    config = SeedanceSandboxConfig(queue_seconds=0.05, processing_seconds=0.15)
    with SeedanceSandbox(config) as sbx:
        yield sbx


def adapter_for(sbx: SeedanceSandbox, **kw: Any) -> SeedanceAdapter:
    return SeedanceAdapter(base_url=sbx.api_base, credentials=sbx.credentials(), **kw)


def png(
    path: Path, size: tuple[int, int] = (64, 36), color: tuple[int, int, int] = (200, 0, 0)
) -> Path:
    Image.new("RGB", size, color).save(path)
    return path


async def full_run(
    adapter: SeedanceAdapter,
    request: ShotRequest,
    dest: Path,
    options: dict[str, Any] | None = None,
) -> tuple[Succeeded, list[Path], list[TaskState]]:
    seen: list[TaskState] = []
    async with adapter:
        wire = adapter.build_request(request, options)
        handle = await adapter.ensure_submitted(wire)
        state = await adapter.wait(handle, interval=0.03, timeout=30, on_state=seen.append)
        assert isinstance(state, Succeeded), state
        return state, await adapter.download(state, dest), seen


def test_text_to_video_end_to_end(ark: SeedanceSandbox, tmp_path: Path) -> None:
    state, paths, seen = run(full_run(adapter_for(ark), shot(), tmp_path))
    assert {s.status for s in seen} >= {"queued", "running", "succeeded"}
    (clip,) = paths
    assert clip.suffix == ".mp4" and clip.stat().st_size > 0
    assert frame_count(clip) == 4 * ark.config.render_fps
    # usage.completion_tokens is the charge, and it is the research's formula: 1280x720, 4 s.
    expected = token_count(1280, 720, 4)
    assert expected == 1280 * 720 * 97 // 1024
    assert state.charge == Decimal(expected) == Decimal(ark.tokens_charged)
    assert state.outputs[0].duration == 4.0 and state.outputs[0].expires_at is not None
    (post,) = [
        r for r in ark.requests_to("/api/v3/contents/generations/tasks") if r.method == "POST"
    ]
    assert post.headers["authorization"] == "Bearer sandbox-ark-key"
    body = post.json()
    assert body["model"] == MODEL and body["ratio"] == "16:9" and body["resolution"] == "720p"
    assert body["duration"] == 4 and body["content"] == [
        {"type": "text", "text": "a lighthouse at dusk"}
    ]
    assert "--" not in body["content"][0]["text"]  # body fields, never inline prompt flags
    assert ark.submits == 1


def test_first_and_last_frame_end_to_end(ark: SeedanceSandbox, tmp_path: Path) -> None:
    first, last = png(tmp_path / "a.png"), png(tmp_path / "b.png", color=(0, 0, 200))
    request = shot(first_frame=first, last_frame=last, frames=120)
    out = tmp_path / "out"
    state, paths, _ = run(full_run(adapter_for(ark), request, out, {"return_last_frame": True}))
    video, still = paths
    assert frame_count(video) == 5 * ark.config.render_fps
    assert [o.kind for o in state.outputs] == ["video", "image"]
    with Image.open(still) as image:
        assert image.size == (64, 36)
    body = ark.requests_to("/api/v3/contents/generations/tasks")[0].json()
    images = [c for c in body["content"] if c["type"] == "image_url"]
    assert [c["role"] for c in images] == ["first_frame", "last_frame"]
    assert all(c["image_url"]["url"].startswith("data:image/png;base64,") for c in images)
    assert body["ratio"] == "adaptive"
    # adaptive resolves to the first frame's shape (64x36 → 16:9); tokens follow the formula
    assert state.raw["ratio"] == "16:9"
    assert state.charge == Decimal(token_count(*dimensions("720p", "16:9"), 5))


def test_reference_images_are_sent_with_their_role(ark: SeedanceSandbox, tmp_path: Path) -> None:
    refs = tuple(png(tmp_path / f"r{i}.png") for i in range(2))
    request = shot(elements=(ElementRef("hero", "a hero", refs),))
    state, _, _ = run(full_run(adapter_for(ark), request, tmp_path))
    body = ark.requests_to("/api/v3/contents/generations/tasks")[0].json()
    assert [c.get("role") for c in body["content"]] == [None, "reference_image", "reference_image"]
    assert isinstance(state, Succeeded)


def test_frames_and_references_are_refused_by_the_adapter(
    ark: SeedanceSandbox, tmp_path: Path
) -> None:
    refs = (png(tmp_path / "r.png"),)
    request = shot(first_frame=png(tmp_path / "f.png"), elements=(ElementRef("e", "", refs),))
    adapter = adapter_for(ark)
    with pytest.raises(InvalidRequest, match="not both"):
        adapter.build_request(request)
    wire = adapter.build_request(request, {"prefer": "frames"})
    assert [c.get("role") for c in wire.body["content"]] == [None, "first_frame"]
    assert any("dropped" in w for w in wire.warnings)
    run(adapter.aclose())
    assert ark.submits == 0


def test_moderation_at_submit(ark: SeedanceSandbox) -> None:
    async def go() -> None:
        async with adapter_for(ark) as adapter:
            await adapter.submit(adapter.build_request(shot("a forbidden scene")))

    with pytest.raises(ModerationRejected) as info:
        run(go())
    assert info.value.stage == "input" and info.value.code == "InputTextSensitiveContentDetected"
    assert info.value.status == 400 and not ark.book.tasks


def test_moderation_late_is_a_failed_task(ark: SeedanceSandbox) -> None:
    async def go() -> TaskState:
        async with adapter_for(ark) as adapter:
            handle = await adapter.submit(adapter.build_request(shot("contraband crates")))
            return await adapter.wait(handle, interval=0.03, timeout=30)

    state = run(go())
    assert isinstance(state, Failed) and isinstance(state.error, ModerationRejected)
    assert state.error.stage == "output"
    assert state.error.code == "OutputVideoSensitiveContentDetected"
    assert state.error.cost == Decimal(0) and state.error.task_id == state.handle.task_id


def test_cancel_a_queued_task(tmp_path: Path) -> None:
    with SeedanceSandbox(SeedanceSandboxConfig(queue_seconds=30)) as sbx:

        async def go() -> TaskState:
            async with adapter_for(sbx) as adapter:
                handle = await adapter.submit(adapter.build_request(shot()))
                assert isinstance(await adapter.poll(handle), Queued)
                await adapter.cancel(handle)
                return await adapter.poll(handle)

        assert isinstance(run(go()), Canceled)
        assert [r.method for r in sbx.log].count("DELETE") == 1


def test_a_running_task_cannot_be_cancelled() -> None:
    with SeedanceSandbox(SeedanceSandboxConfig(processing_seconds=30)) as sbx:

        async def go() -> None:
            async with adapter_for(sbx) as adapter:
                handle = await adapter.submit(adapter.build_request(shot()))
                await adapter.cancel(handle)

        with pytest.raises(Unsupported, match="only queued"):
            run(go())
        assert [r.method for r in sbx.log].count("DELETE") == 0


def test_cancel_leaves_a_finished_task_alone(ark: SeedanceSandbox, tmp_path: Path) -> None:
    async def go() -> None:
        async with adapter_for(ark) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            state = await adapter.wait(handle, interval=0.03, timeout=30)
            assert isinstance(state, Succeeded)
            await adapter.cancel(handle)  # no DELETE: it would erase the record

    run(go())
    assert [r.method for r in ark.log].count("DELETE") == 0 and len(ark.book.tasks) == 1


def test_unfinished_task_expires() -> None:
    config = SeedanceSandboxConfig(processing_seconds=5, max_execution_seconds=0.1)
    with SeedanceSandbox(config) as sbx:

        async def go() -> TaskState:
            async with adapter_for(sbx) as adapter:
                handle = await adapter.submit(adapter.build_request(shot()))
                return await adapter.wait(handle, interval=0.03, timeout=10)

        assert isinstance(run(go()), Expired)


def test_missing_key_names_the_fix() -> None:
    with pytest.raises(MissingKey) as info:
        SeedanceAdapter()
    assert "ARK_API_KEY" in str(info.value) and "reel keys set seedance" in str(info.value)


def test_base_url_from_the_environment(
    ark: SeedanceSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REELFORGE_SEEDANCE_BASE_URL", ark.api_base + "/")
    monkeypatch.setenv("ARK_API_KEY", ark.config.api_key)
    adapter = SeedanceAdapter()
    assert adapter.base_url == ark.api_base
    _, paths, _ = run(full_run(adapter, shot(), tmp_path))
    assert paths[0].exists() and ark.submits == 1


def test_credentials_never_reach_a_foreign_output_host(tmp_path: Path) -> None:
    with LoopbackServer("cdn") as cdn, SeedanceSandbox(cdn=cdn) as sbx:
        state, paths, _ = run(full_run(adapter_for(sbx), shot(), tmp_path))
        assert state.outputs[0].url.startswith(cdn.base_url)
        assert paths[0].stat().st_size > 0
        (fetch,) = cdn.requests_to("/files/")
        assert "authorization" not in fetch.headers
        assert all(r.headers.get("authorization") for r in sbx.requests_to("/api/v3/"))


def test_expired_output_url(ark: SeedanceSandbox, tmp_path: Path) -> None:
    async def go() -> None:
        async with adapter_for(ark) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            state = await adapter.wait(handle, interval=0.03, timeout=30)
            assert isinstance(state, Succeeded)
            ark.expire_files()
            await adapter.download(state, tmp_path)

    with pytest.raises(OutputExpired):
        run(go())
