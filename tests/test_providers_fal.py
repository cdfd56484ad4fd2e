"""The fal adapter end to end against the fal sandbox over loopback HTTP: queue states, MP4
download, COMPLETED-with-error, cancel, credential safety, base URL and key from env."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import av
import pytest
from PIL import Image

from reelforge.generators.base import ShotRequest
from reelforge.providers import (
    Canceled,
    Failed,
    ModerationRejected,
    Queued,
    Running,
    Succeeded,
    TaskState,
)
from reelforge.providers.fal import FalAdapter
from reelforge.sandbox.fal import FalSandbox, FalSandboxConfig
from reelforge.sandbox.server import LoopbackServer

T = TypeVar("T")
MODEL = "fal-ai/veo3.1/fast"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=96, fps=24, width=1280, height=720, model=MODEL
    )
    return ShotRequest(**{**base, **kw})


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FAL_KEY", "FAL_KEY_ID", "FAL_KEY_SECRET", "REELFORGE_FAL_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fal() -> Iterator[FalSandbox]:
    with FalSandbox(FalSandboxConfig(queue_seconds=0.3, processing_seconds=0.3)) as sbx:
        yield sbx


def adapter_for(sbx: FalSandbox) -> FalAdapter:
    return FalAdapter(base_url=sbx.base_url, credentials=sbx.credentials())


def png(path: Path, colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", (160, 90), colour).save(path)
    return path


async def full_run(
    adapter: FalAdapter, request: ShotRequest, dest: Path, options: dict[str, Any] | None = None
) -> tuple[TaskState, list[Path], list[TaskState]]:
    seen: list[TaskState] = []
    async with adapter:
        wire = adapter.build_request(request, options)
        handle = await adapter.submit(wire)
        state = await adapter.wait(handle, interval=0.03, timeout=30, on_state=seen.append)
        paths = await adapter.download(state, dest) if isinstance(state, Succeeded) else []
        return state, paths, seen


def test_text_to_video_queue_states_and_mp4(fal: FalSandbox, tmp_path: Path) -> None:
    state, paths, seen = run(full_run(adapter_for(fal), shot(), tmp_path, {"sound": True}))
    assert isinstance(state, Succeeded)
    assert any(isinstance(s, Queued) for s in seen) and any(isinstance(s, Running) for s in seen)
    (job,) = fal.jobs.values()
    assert job.endpoint == MODEL and job.body["duration"] == "4s"
    assert job.body["generate_audio"] is True and job.body["aspect_ratio"] == "16:9"
    assert state.handle.route == "fal-ai/veo3.1" and state.handle.task_id == job.request_id
    with av.open(str(paths[0])) as c:
        assert c.format.name.startswith("mov") and c.streams.video[0].frames > 0
    # status polled on the app path only, as fal's URLs say, with the Key header
    polls = fal.requests_to(f"/fal-ai/veo3.1/requests/{job.request_id}/status")
    assert polls and all(r.headers["authorization"] == "Key sandbox-fal-key" for r in polls)


def test_first_and_last_frame_pick_the_flf_endpoint(fal: FalSandbox, tmp_path: Path) -> None:
    req = shot(
        first_frame=png(tmp_path / "a.png", (200, 0, 0)),
        last_frame=png(tmp_path / "b.png", (0, 0, 200)),
    )
    state, paths, _ = run(full_run(adapter_for(fal), req, tmp_path))
    assert isinstance(state, Succeeded) and paths[0].stat().st_size > 0
    (job,) = fal.jobs.values()
    assert job.endpoint == "fal-ai/veo3.1/fast/first-last-frame-to-video"
    assert job.body["first_frame_url"].startswith("data:image/png;base64,")
    assert job.body["last_frame_url"] != job.body["first_frame_url"]


def test_kling_image_to_video_route(fal: FalSandbox, tmp_path: Path) -> None:
    req = shot(first_frame=png(tmp_path / "a.png", (9, 9, 9)), frames=120)
    opts = {"model_name": "fal-ai/kling-video/v3/pro", "mode": "pro", "sound": False}
    state, _, _ = run(full_run(adapter_for(fal), req, tmp_path, opts))
    assert isinstance(state, Succeeded)
    (job,) = fal.jobs.values()
    assert job.endpoint == "fal-ai/kling-video/v3/pro/image-to-video"
    assert job.body["duration"] == "5" and "start_image_url" in job.body
    assert "aspect_ratio" not in job.body  # the image decides


def test_completed_with_error_is_failed_moderation(fal: FalSandbox, tmp_path: Path) -> None:
    state, paths, _ = run(full_run(adapter_for(fal), shot("contraband cargo"), tmp_path))
    assert isinstance(state, Failed) and paths == []
    assert isinstance(state.error, ModerationRejected) and state.error.stage == "output"
    assert state.error.code == "content_policy_violation"


def test_cancel_in_queue_ends_canceled(tmp_path: Path) -> None:
    with FalSandbox(FalSandboxConfig(queue_seconds=5)) as sbx:

        async def go() -> TaskState:
            async with adapter_for(sbx) as adapter:
                handle = await adapter.submit(adapter.build_request(shot()))
                await adapter.cancel(handle)
                return await adapter.wait(handle, interval=0.02, timeout=5)

        state = run(go())
        assert isinstance(state, Canceled)
        (put,) = [r for r in sbx.log if r.method == "PUT"]
        assert put.path.endswith("/cancel") and put.path.startswith("/fal-ai/veo3.1/requests/")


def test_cancel_after_completion_is_quiet(fal: FalSandbox, tmp_path: Path) -> None:
    async def go() -> TaskState:
        async with adapter_for(fal) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            state = await adapter.wait(handle, interval=0.03, timeout=10)
            await adapter.cancel(handle)  # 400 ALREADY_COMPLETED is not an error
            return state

    assert isinstance(run(go()), Succeeded)


def test_key_never_goes_to_a_foreign_status_or_output_host(tmp_path: Path) -> None:
    with (
        LoopbackServer("evil") as evil,
        LoopbackServer("cdn") as cdn,
        FalSandbox(FalSandboxConfig(url_host=evil.base_url), cdn=cdn) as sbx,
    ):
        state, paths, _ = run(full_run(adapter_for(sbx), shot(), tmp_path))
        assert isinstance(state, Succeeded) and paths[0].stat().st_size > 0
        assert state.outputs[0].url.startswith(cdn.base_url)
        assert evil.log == []  # the returned status URL's host was never called
        (download,) = cdn.requests_to("/files/")
        assert "authorization" not in download.headers
        assert sbx.requests_to("/fal-ai/veo3.1/requests/")


def test_base_url_and_key_come_from_env(fal: FalSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELFORGE_FAL_BASE_URL", fal.base_url + "/")
    monkeypatch.setenv("FAL_KEY", fal.config.api_key)
    adapter = FalAdapter()
    assert adapter.base_url == fal.base_url

    async def go() -> str:
        async with adapter:
            return (await adapter.submit(adapter.build_request(shot()))).task_id

    assert run(go()) in fal.jobs


def test_key_id_and_secret_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAL_KEY_ID", "id")
    monkeypatch.setenv("FAL_KEY_SECRET", "secret")
    adapter = FalAdapter()
    assert adapter.auth_headers() == {"Authorization": "Key id:secret"}
    assert urlsplit(adapter.base_url)[:2] == ("https", "queue.fal.run") and "secret" not in repr(
        adapter.credentials
    )
    run(adapter.aclose())


def test_catalogue_route_renders_through_the_adapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ADAPTERS line the lead adds, exercised without editing remote.py."""
    from reelforge.generators import remote

    monkeypatch.setitem(
        remote.ADAPTERS, ("fal", "fal-queue"), ("reelforge.providers.fal", "FalAdapter", ())
    )
    with FalSandbox(FalSandboxConfig(render_fps=24)) as sbx:
        monkeypatch.setenv("REELFORGE_FAL_BASE_URL", sbx.base_url)
        monkeypatch.setenv("FAL_KEY", sbx.config.api_key)
        monkeypatch.setenv("REELFORGE_POLL_SECONDS", "0.05")
        clip = remote.RemoteGenerator("veo-3.1-fast@fal").render(
            shot(frames=72, model="veo-3.1-fast@fal"), tmp_path / "clip.mp4"
        )
        (job,) = sbx.jobs.values()
    assert clip.meta["provider"] == "fal" and clip.meta["task_id"] == job.request_id
    assert job.endpoint == "fal-ai/veo3.1/fast" and job.body["duration"] == "4s"
    assert clip.path.stat().st_size > 0
