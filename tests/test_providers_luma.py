"""The Luma adapter end to end against the Luma sandbox over real loopback HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest

from media_helpers import frame_count
from reelforge.generators import remote
from reelforge.generators.base import ShotRequest
from reelforge.providers import (
    Canceled,
    Failed,
    MissingKey,
    ModerationRejected,
    OutputExpired,
    Queued,
    Running,
    Succeeded,
    TaskState,
)
from reelforge.providers.keys import store_key
from reelforge.providers.luma import DEFAULT_BASE_URL, LumaAdapter, LumaCredentials
from reelforge.sandbox.luma import LumaSandbox, LumaSandboxConfig
from reelforge.sandbox.server import LoopbackServer

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=120, fps=24, width=1280, height=720, model="ray-2"
    )
    base.update(kw)
    return ShotRequest(**base)


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LUMAAI_API_KEY", "REELFORGE_LUMA_BASE_URL", "LUMAAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def luma() -> Iterator[LumaSandbox]:
    with LumaSandbox(LumaSandboxConfig(queue_seconds=0.05, processing_seconds=0.15)) as sbx:
        yield sbx


def adapter_for(sbx: LumaSandbox) -> LumaAdapter:
    return LumaAdapter(base_url=sbx.api_base, credentials=sbx.credentials())


async def full_run(
    adapter: LumaAdapter,
    request: ShotRequest,
    options: dict[str, Any] | None = None,
    dest: Path | None = None,
    key: str | None = None,
) -> tuple[TaskState, list[TaskState], list[Path]]:
    seen: list[TaskState] = []
    async with adapter:
        wire = adapter.build_request(request, options, idempotency_key=key)
        handle = await adapter.ensure_submitted(wire)
        state = await adapter.wait(handle, interval=0.03, timeout=20, on_state=seen.append)
        paths = await adapter.download(state, dest) if isinstance(state, Succeeded) and dest else []
    return state, seen, paths


def test_text_to_video_end_to_end(luma: LumaSandbox, tmp_path: Path) -> None:
    state, seen, paths = run(full_run(adapter_for(luma), shot(), dest=tmp_path))
    assert isinstance(state, Succeeded) and state.charge is None
    assert {s.status for s in seen} >= {"queued", "running", "succeeded"}
    assert luma.submits == 1
    assert paths[0].suffix == ".mp4" and paths[0].read_bytes()[4:8] == b"ftyp"
    assert frame_count(paths[0]) == 5 * luma.config.render_fps  # "5s" at the sandbox's fps
    sent = luma.requests_to("/dream-machine/v1/generations/video")[0]
    assert sent.headers["authorization"] == f"Bearer {luma.config.api_key}"
    body = sent.json()
    assert body["model"] == "ray-2" and body["duration"] == "5s"
    assert body["aspect_ratio"] == "16:9" and body["resolution"] == "720p"
    assert "keyframes" not in body


def test_nine_seconds_flash_vertical(luma: LumaSandbox, tmp_path: Path) -> None:
    req = shot(frames=7 * 24, width=1080, height=1920)
    state, _, paths = run(full_run(adapter_for(luma), req, {"model_name": "ray-flash-2"}, tmp_path))
    assert isinstance(state, Succeeded) and state.handle.model == "ray-flash-2"
    body = luma.requests_to("/dream-machine/v1/generations/video")[0].json()
    assert (body["duration"], body["aspect_ratio"], body["resolution"]) == ("9s", "9:16", "1080p")
    assert frame_count(paths[0]) == 9 * luma.config.render_fps


def test_first_and_last_keyframes_by_url(luma: LumaSandbox, tmp_path: Path) -> None:
    opts = {"frame0_url": "https://img.example/a.png", "frame1_url": "https://img.example/b.png"}
    state, _, _ = run(full_run(adapter_for(luma), shot(), opts, tmp_path))
    assert isinstance(state, Succeeded)
    body = luma.requests_to("/dream-machine/v1/generations/video")[0].json()
    assert body["keyframes"] == {
        "frame0": {"type": "image", "url": "https://img.example/a.png"},
        "frame1": {"type": "image", "url": "https://img.example/b.png"},
    }
    assert not luma.requests_to("/a.png")  # the sandbox never fetches keyframe images


def test_extension_by_generation_id(luma: LumaSandbox, tmp_path: Path) -> None:
    first, _, _ = run(full_run(adapter_for(luma), shot()))
    assert isinstance(first, Succeeded)
    prior = first.handle.task_id
    req = shot("the lighthouse beam sweeps on")
    state, _, paths = run(
        full_run(adapter_for(luma), req, {"frame0_generation_id": prior}, tmp_path)
    )
    assert isinstance(state, Succeeded) and state.handle.task_id != prior
    body = luma.requests_to("/dream-machine/v1/generations/video")[1].json()
    assert body["keyframes"] == {"frame0": {"type": "generation", "id": prior}}
    assert paths[0].exists()


def test_reconcile_reattaches_instead_of_paying_twice(luma: LumaSandbox) -> None:
    first, _, _ = run(full_run(adapter_for(luma), shot(), key="rf-1"))
    again, _, _ = run(full_run(adapter_for(luma), shot(), key="rf-1"))
    assert isinstance(first, Succeeded) and isinstance(again, Succeeded)
    assert again.handle.task_id == first.handle.task_id and luma.submits == 1
    other, _, _ = run(full_run(adapter_for(luma), shot("another scene"), key="rf-2"))
    assert other.handle.task_id != first.handle.task_id and luma.submits == 2


def test_moderation_at_submit_is_an_input_rejection(luma: LumaSandbox) -> None:
    with pytest.raises(ModerationRejected) as info:
        run(full_run(adapter_for(luma), shot("a forbidden scene")))
    assert info.value.stage == "input" and info.value.status == 400
    assert not info.value.retryable and luma.submits == 1 and not luma.book.generations


def test_late_moderation_is_an_output_rejection(luma: LumaSandbox) -> None:
    state, seen, _ = run(full_run(adapter_for(luma), shot("contraband crates")))
    assert isinstance(state, Failed) and isinstance(state.error, ModerationRejected)
    assert state.error.stage == "output" and "moderation" in state.error.message
    assert any(isinstance(s, Running) for s in seen)


def test_cancel_a_live_generation(tmp_path: Path) -> None:
    with LumaSandbox(LumaSandboxConfig(queue_seconds=5.0)) as sbx:

        async def go() -> tuple[TaskState, TaskState]:
            async with adapter_for(sbx) as adapter:
                handle = await adapter.submit(adapter.build_request(shot()))
                before = await adapter.poll(handle)
                await adapter.cancel(handle)
                return before, await adapter.poll(handle)

        before, after = run(go())
        assert isinstance(before, Queued) and isinstance(after, Canceled)
        assert not sbx.book.generations  # DELETE erased it
        assert len(sbx.requests_to("/dream-machine/v1/generations/")) >= 3


def test_cancel_leaves_a_finished_generation_alone(luma: LumaSandbox) -> None:
    state, _, _ = run(full_run(adapter_for(luma), shot()))
    assert isinstance(state, Succeeded)

    async def go() -> None:
        async with adapter_for(luma) as adapter:
            await adapter.cancel(state.handle)

    run(go())
    assert not [r for r in luma.log if r.method == "DELETE"]
    assert state.handle.task_id in luma.book.generations


def test_expired_url_is_fetched_afresh(luma: LumaSandbox, tmp_path: Path) -> None:
    async def go() -> tuple[Succeeded, list[Path]]:
        async with adapter_for(luma) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            state = await adapter.wait(handle, interval=0.03, timeout=20)
            assert isinstance(state, Succeeded)
            luma.expire_files()
            return state, await adapter.download(state, tmp_path)

    state, paths = run(go())
    assert paths[0].read_bytes()[4:8] == b"ftyp"
    file_gets = [r.path for r in luma.log if r.path.startswith("/files/")]
    assert len(file_gets) == 2 and file_gets[0] != file_gets[1]  # expired URL, then a fresh one
    assert state.outputs[0].url.endswith(file_gets[0])


def test_output_expired_when_generation_cannot_refresh(tmp_path: Path) -> None:
    with LumaSandbox(LumaSandboxConfig(url_ttl=0.0)) as sbx:

        async def go() -> None:
            async with adapter_for(sbx) as adapter:
                handle = await adapter.submit(adapter.build_request(shot()))
                state = await adapter.wait(handle, interval=0.03, timeout=20)
                assert isinstance(state, Succeeded)
                await adapter.download(state, tmp_path)

        with pytest.raises(OutputExpired):
            run(go())


def test_no_credentials_to_a_foreign_output_host(tmp_path: Path) -> None:
    with LoopbackServer("cdn") as cdn, LumaSandbox(LumaSandboxConfig(), cdn=cdn) as sbx:
        state, _, paths = run(full_run(adapter_for(sbx), shot(), dest=tmp_path))
        assert isinstance(state, Succeeded) and paths[0].exists()
        assert state.outputs[0].url.startswith(cdn.base_url)
        assert cdn.log and all("authorization" not in r.headers for r in cdn.log)
        assert all("authorization" in r.headers for r in sbx.log)


def test_base_url_override_from_env(luma: LumaSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELFORGE_LUMA_BASE_URL", luma.api_base + "/")
    monkeypatch.setenv("LUMAAI_API_KEY", luma.config.api_key)
    adapter = LumaAdapter()
    assert adapter.base_url == luma.api_base
    state, _, _ = run(full_run(adapter, shot()))
    assert isinstance(state, Succeeded)
    monkeypatch.delenv("REELFORGE_LUMA_BASE_URL")
    assert LumaAdapter().base_url == DEFAULT_BASE_URL
    assert urlsplit(DEFAULT_BASE_URL)[:3] == ("https", "api.lumalabs.ai", "/dream-machine/v1")


def test_missing_key_names_env_and_command() -> None:
    with pytest.raises(MissingKey) as info:
        LumaAdapter()
    assert "LUMAAI_API_KEY" in str(info.value) and "reel keys set luma" in str(info.value)
    assert "sandbox-luma-key" not in repr(LumaCredentials("sandbox-luma-key"))


def test_stored_key_is_used() -> None:
    store_key("LUMAAI_API_KEY", "stored-luma")
    assert LumaAdapter().credentials.api_key == "stored-luma"


def test_catalogue_routes_render_through_the_remote_generator(
    luma: LumaSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REELFORGE_LUMA_BASE_URL", luma.api_base)
    monkeypatch.setenv("LUMAAI_API_KEY", luma.config.api_key)
    monkeypatch.setenv("REELFORGE_POLL_SECONDS", "0.03")
    monkeypatch.setitem(
        remote.ADAPTERS,
        ("luma", "dream-machine-api"),
        ("reelforge.providers.luma", "LumaAdapter", ()),
    )
    gen = remote.RemoteGenerator("luma-ray-flash-2")
    out = tmp_path / "clip.mp4"
    clip = gen.render(shot(model="luma-ray-flash-2"), out)
    assert out.read_bytes()[4:8] == b"ftyp" and clip.meta["provider"] == "luma"
    body = luma.requests_to("/dream-machine/v1/generations/video")[0].json()
    assert body["model"] == "ray-flash-2"
