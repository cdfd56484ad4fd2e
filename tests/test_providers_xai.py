"""The xAI adapter end to end against the sandbox over real loopback HTTP: generations (text,
image, references), edits and extensions, the exact charge, late moderation (billed), failed and
expired jobs, expiring output URLs, credentials kept off the output host, cancel, and a
catalogue route rendered through the remote generator with the base URL taken from the env."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image

from media_helpers import frame_count
from reelforge.generators import remote
from reelforge.generators.base import ElementRef, ShotRequest
from reelforge.providers import (
    Expired,
    Failed,
    ModerationRejected,
    OutputExpired,
    Queued,
    Running,
    Succeeded,
    TaskFailed,
    TaskState,
    Unsupported,
)
from reelforge.providers.xai import XaiAdapter
from reelforge.sandbox.xai import XaiSandbox, XaiSandboxConfig

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=48, fps=24, width=1280, height=720, model="previz"
    )
    base.update(kw)
    return ShotRequest(**base)


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("XAI_API_KEY", "REELFORGE_XAI_BASE_URL", "REELFORGE_POLL_SECONDS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sbx() -> Iterator[XaiSandbox]:
    with XaiSandbox(XaiSandboxConfig(queue_seconds=0.05, processing_seconds=0.15)) as server:
        yield server


def adapter_for(server: XaiSandbox) -> XaiAdapter:
    return XaiAdapter(base_url=server.api_base, api_key=server.config.api_key)


async def finish(
    adapter: XaiAdapter, request: ShotRequest, options: dict[str, Any] | None = None
) -> tuple[TaskState, list[TaskState]]:
    seen: list[TaskState] = []
    wire = adapter.build_request(request, options)
    handle = await adapter.submit(wire)
    state = await adapter.wait(handle, interval=0.03, timeout=30, on_state=seen.append)
    return state, seen


def test_text_to_video_downloads_an_mp4_and_reports_the_exact_charge(
    sbx: XaiSandbox, tmp_path: Path
) -> None:
    async def go() -> tuple[TaskState, list[TaskState], list[Path]]:
        async with adapter_for(sbx) as a:
            state, seen = await finish(a, shot(), {"model_name": "grok-imagine-video"})
            assert isinstance(state, Succeeded)
            return state, seen, await a.download(state, tmp_path)

    state, seen, paths = run(go())
    assert isinstance(state, Succeeded)
    assert state.charge == Decimal("0.14")  # 2 s x $0.07 at 720p, from cost_in_usd_ticks
    assert state.raw["usage"]["cost_in_usd_ticks"] == 1_400_000_000
    assert isinstance(seen[0], Queued) and any(isinstance(s, Running) for s in seen)
    assert paths[0].suffix == ".mp4" and frame_count(paths[0]) == 2 * sbx.config.render_fps
    assert state.outputs[0].duration == 2.0 and state.outputs[0].expires_at is not None
    # The output lives on the vidgen host: fetched there, without the key.
    (get,) = sbx.cdn.requests_to("/files/")
    assert "authorization" not in get.headers
    assert all(r.headers.get("authorization") == "Bearer xai-sandbox-key" for r in sbx.log)
    assert sbx.submit_count == 1


def test_image_and_reference_inputs_are_sent_and_billed(sbx: XaiSandbox, tmp_path: Path) -> None:
    frame = tmp_path / "f.png"
    Image.new("RGB", (64, 36), (10, 200, 10)).save(frame)

    async def go() -> tuple[TaskState, TaskState]:
        async with adapter_for(sbx) as a:
            i2v, _ = await finish(a, shot(first_frame=frame, width=848, height=480))
            refs = (ElementRef("hero", references=(frame, frame)),)
            r2v, _ = await finish(
                a,
                shot(elements=refs, width=848, height=480),
                {"model_name": "grok-imagine-video-1.5"},
            )
            return i2v, r2v

    i2v, r2v = run(go())
    assert isinstance(i2v, Succeeded) and isinstance(r2v, Succeeded)
    assert i2v.charge == Decimal("0.102")  # 2 s x 0.05 + one image x 0.002
    assert r2v.charge == Decimal("0.18")  # 2 s x 0.08 + two images x 0.01
    sent = [r.json() for r in sbx.requests_to("/v1/videos/generations")]
    assert sent[0]["image"]["url"].startswith("data:image/png;base64,")
    assert len(sent[1]["reference_images"]) == 2 and "image" not in sent[1]


def test_edit_and_extension_of_a_generated_video(sbx: XaiSandbox, tmp_path: Path) -> None:
    async def go() -> tuple[Succeeded, Succeeded, Succeeded, list[Path]]:
        async with adapter_for(sbx) as a:
            first, _ = await finish(a, shot(frames=96))
            assert isinstance(first, Succeeded)
            source = first.outputs[0].url
            edit, _ = await finish(
                a, shot("make it snow"), {"operation": "edit", "video_url": source}
            )
            ext, _ = await finish(
                a,
                shot("the camera keeps rising", frames=72),
                {"operation": "extend", "video_url": source},
            )
            assert isinstance(edit, Succeeded) and isinstance(ext, Succeeded)
            return first, edit, ext, await a.download(ext, tmp_path)

    _, edit, ext, paths = run(go())
    assert edit.outputs[0].duration == 4.0  # an edit keeps the source's length
    assert ext.outputs[0].duration == 7.0  # 4 s source + 3 s extension
    assert ext.charge == Decimal("0.49")  # 7 s at 720p
    assert frame_count(paths[0]) == 7 * sbx.config.render_fps
    paths_hit = [r.path for r in sbx.log if r.method == "POST"]
    assert paths_hit == ["/v1/videos/generations", "/v1/videos/edits", "/v1/videos/extensions"]


def test_late_moderation_is_a_billed_failure(sbx: XaiSandbox) -> None:
    async def go() -> TaskState:
        async with adapter_for(sbx) as a:
            state, _ = await finish(a, shot("a contraband crate"))
            return state

    state = run(go())
    assert isinstance(state, Failed)
    assert isinstance(state.error, ModerationRejected) and state.error.stage == "output"
    assert state.error.cost == Decimal("0.14")  # billed: the charge is recorded on the error
    assert state.raw["video"] == {"url": "", "duration": 0, "respect_moderation": False}
    assert sbx.billed_ticks() == 1_400_000_000


def test_failed_and_expired_jobs(sbx: XaiSandbox) -> None:
    async def go() -> tuple[TaskState, TaskState]:
        async with adapter_for(sbx) as a:
            failed, _ = await finish(a, shot("a meltdown"))
            expired, _ = await finish(a, shot("a stale scene"))
            return failed, expired

    failed, expired = run(go())
    assert isinstance(failed, Failed) and isinstance(failed.error, TaskFailed)
    assert failed.error.code == "internal_error" and failed.error.cost is None
    assert isinstance(expired, Expired)


def test_pending_as_empty_202_is_queued() -> None:
    config = XaiSandboxConfig(processing_seconds=0.2, pending_as_202=True)
    with XaiSandbox(config) as server:

        async def go() -> tuple[TaskState, list[TaskState]]:
            async with adapter_for(server) as a:
                return await finish(a, shot())

        state, seen = run(go())
    assert isinstance(state, Succeeded)
    assert isinstance(seen[0], Queued) and not any(isinstance(s, Running) for s in seen)


def test_expired_output_url_raises_output_expired(sbx: XaiSandbox, tmp_path: Path) -> None:
    async def go() -> None:
        async with adapter_for(sbx) as a:
            state, _ = await finish(a, shot())
            assert isinstance(state, Succeeded)
            sbx.expire_outputs()
            await a.download(state, tmp_path)

    with pytest.raises(OutputExpired):
        run(go())
    assert not list(tmp_path.glob("*.mp4"))


def test_cancel_is_unsupported_and_sends_nothing(sbx: XaiSandbox) -> None:
    async def go() -> None:
        async with adapter_for(sbx) as a:
            handle = await a.submit(a.build_request(shot()))
            await a.cancel(handle)

    before = len(sbx.log)
    with pytest.raises(Unsupported, match="no cancel"):
        run(go())
    assert len(sbx.log) == before + 1  # the submit only
    assert XaiAdapter.can_cancel is False


def test_ensure_submitted_reattaches_in_process(sbx: XaiSandbox) -> None:
    async def go() -> tuple[str, str]:
        async with adapter_for(sbx) as a:
            wire = a.build_request(shot(), idempotency_key="rf-1")
            first = await a.ensure_submitted(wire)
            again = await a.ensure_submitted(wire)
            return first.task_id, again.task_id

    first, again = run(go())
    assert first == again and sbx.submit_count == 1


def test_catalogue_route_renders_with_base_url_from_env(
    sbx: XaiSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELFORGE_XAI_BASE_URL", sbx.api_base)
    monkeypatch.setenv("XAI_API_KEY", sbx.config.api_key)
    monkeypatch.setenv("REELFORGE_POLL_SECONDS", "0.05")
    monkeypatch.setitem(
        remote.ADAPTERS, ("xai", "xai-api"), ("reelforge.providers.xai", "XaiAdapter", ())
    )
    gen = remote.RemoteGenerator("grok-imagine-video")
    out = tmp_path / "clip.mp4"
    clip = gen.render(shot(frames=72, fps=24, width=320, height=180), out)
    assert out.exists() and frame_count(out) == 3 * sbx.config.render_fps
    assert clip.meta["provider"] == "xai" and clip.meta["billing_unit"] == "usd"
    assert clip.meta["charge"] == "0.15"  # 3 s at 480p x $0.05
    (sent,) = [r.json() for r in sbx.requests_to("/v1/videos/generations")]
    assert sent["model"] == "grok-imagine-video" and sent["resolution"] == "480p"
    assert isinstance(sent["generate_audio"], bool)
