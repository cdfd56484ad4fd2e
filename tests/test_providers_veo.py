"""The Veo adapter end to end against the Veo sandbox over real loopback HTTP."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import av
import pytest
from PIL import Image

from media_helpers import frame_count
from reelforge.generators.base import ElementRef, ShotRequest
from reelforge.providers import Failed, ModerationRejected, Running, Succeeded, TaskState
from reelforge.providers.veo import GeminiCredentials, VeoAdapter
from reelforge.sandbox import LoopbackServer
from reelforge.sandbox.veo import VeoSandbox, VeoSandboxConfig

T = TypeVar("T")
MODEL = "veo-3.1-generate-preview"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=96, fps=24, width=1280, height=720, model=MODEL
    )
    return ShotRequest(**{**base, **kw})


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "REELFORGE_GEMINI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def veo() -> Iterator[VeoSandbox]:
    with VeoSandbox(VeoSandboxConfig(queue_seconds=0.05, processing_seconds=0.15)) as sbx:
        yield sbx


def adapter_for(sbx: VeoSandbox) -> VeoAdapter:
    return VeoAdapter(base_url=sbx.base_url, credentials=sbx.credentials())


def seconds_of(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.duration is not None and stream.time_base is not None
        return float(stream.duration * stream.time_base)


async def _full_run(
    adapter: VeoAdapter, request: ShotRequest, dest: Path, options: dict[str, Any] | None = None
) -> tuple[Succeeded, list[Path], list[TaskState]]:
    seen: list[TaskState] = []
    async with adapter:
        wire = adapter.build_request(request, options, idempotency_key=f"job-{request.shot_id}")
        handle = await adapter.ensure_submitted(wire)  # no lookup: Veo has no idempotency key
        state = await adapter.wait(handle, interval=0.03, timeout=30, on_state=seen.append)
        assert isinstance(state, Succeeded), state
        return state, await adapter.download(state, dest), seen


def test_text_to_video_submit_poll_download(veo: VeoSandbox, tmp_path: Path) -> None:
    request = shot(frames=24 * 4)
    state, paths, seen = run(_full_run(adapter_for(veo), request, tmp_path))
    assert any(isinstance(s, Running) for s in seen) and isinstance(seen[-1], Succeeded)
    assert state.handle.task_id.startswith(f"models/{MODEL}/operations/")
    assert state.charge is None  # Google reports no charge; the catalogue prices it
    assert len(paths) == 1 and paths[0].suffix == ".mp4"
    assert frame_count(paths[0]) == 4 * veo.config.render_fps
    assert seconds_of(paths[0]) == pytest.approx(4.0, abs=0.2)
    body = veo.book.operations[state.handle.task_id].body
    assert body["parameters"] == {
        "sampleCount": 1,
        "durationSeconds": 4,
        "aspectRatio": "16:9",
        "resolution": "720p",
    }
    assert veo.submits == 1


def test_image_to_video_with_last_frame(veo: VeoSandbox, tmp_path: Path) -> None:
    first, last = tmp_path / "first.png", tmp_path / "last.jpg"
    Image.new("RGB", (180, 320), (200, 30, 30)).save(first)
    Image.new("RGB", (180, 320), (30, 30, 200)).save(last)
    request = shot(first_frame=first, last_frame=last, width=1080, height=1920, frames=24 * 5)
    state, paths, _ = run(_full_run(adapter_for(veo), request, tmp_path / "out"))
    body = veo.book.operations[state.handle.task_id].body
    instance, params = body["instances"][0], body["parameters"]
    assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == first.read_bytes()
    assert instance["image"]["mimeType"] == "image/png"
    assert base64.b64decode(instance["lastFrame"]["bytesBase64Encoded"]) == last.read_bytes()
    assert instance["lastFrame"]["mimeType"] == "image/jpeg"
    # 5 s rounds up to 6; portrait 1080x1920 → 9:16 at 1080p
    assert (params["durationSeconds"], params["aspectRatio"], params["resolution"]) == (
        6,
        "9:16",
        "1080p",
    )
    assert seconds_of(paths[0]) == pytest.approx(6.0, abs=0.2)


def test_reference_images_from_elements(veo: VeoSandbox, tmp_path: Path) -> None:
    refs = []
    for i in range(4):
        refs.append(tmp_path / f"ref{i}.png")
        Image.new("RGB", (64, 64), (i * 40, 90, 90)).save(refs[-1])
    elements = (
        ElementRef("hero", references=tuple(refs[:2])),
        ElementRef("dog", references=tuple(refs[2:])),
    )
    adapter = adapter_for(veo)
    wire = adapter.build_request(shot(elements=elements))
    assert any("Veo takes 3" in w for w in wire.warnings)
    state, _, _ = run(_full_run(adapter, shot(elements=elements), tmp_path))
    sent = veo.book.operations[state.handle.task_id].body["instances"][0]["referenceImages"]
    assert [r["referenceType"] for r in sent] == ["ASSET"] * 3


def test_late_moderation_is_failed_with_output_stage(veo: VeoSandbox) -> None:
    async def go() -> TaskState:
        async with adapter_for(veo) as adapter:
            handle = await adapter.submit(adapter.build_request(shot("a contraband crate")))
            return await adapter.wait(handle, interval=0.03, timeout=30)

    state = run(go())
    assert isinstance(state, Failed) and isinstance(state.error, ModerationRejected)
    assert state.error.stage == "output" and state.error.cost == 0
    assert "not be charged" in str(state.error)
    assert state.error.task_id == state.handle.task_id


def test_operation_error_is_task_failed() -> None:
    from reelforge.providers import TaskFailed

    with VeoSandbox(VeoSandboxConfig(failure_rate=1.0)) as sbx:

        async def go() -> TaskState:
            async with adapter_for(sbx) as adapter:
                handle = await adapter.submit(adapter.build_request(shot()))
                return await adapter.wait(handle, interval=0.01, timeout=30)

        state = run(go())
    assert isinstance(state, Failed) and type(state.error) is TaskFailed
    assert state.error.code == "INTERNAL"  # gRPC code 13 in the operation's error


def test_credentials_never_reach_a_foreign_output_host(tmp_path: Path) -> None:
    with LoopbackServer("cdn") as cdn, VeoSandbox(cdn=cdn) as sbx:
        state, paths, _ = run(_full_run(adapter_for(sbx), shot(), tmp_path))
        assert state.outputs[0].url.startswith(cdn.base_url)
        (download,) = cdn.requests_to("/files/")
        assert "x-goog-api-key" not in download.headers and "key" not in download.query
        assert all(r.headers.get("x-goog-api-key") for r in sbx.requests_to("/v1beta/"))
    assert paths[0].stat().st_size > 0


def test_own_host_download_carries_the_key(veo: VeoSandbox, tmp_path: Path) -> None:
    run(_full_run(adapter_for(veo), shot(), tmp_path))
    (download,) = [r for r in veo.requests_to("/v1beta/files/")]
    assert download.headers["x-goog-api-key"] == veo.config.api_key


def test_base_url_and_key_come_from_env(veo: VeoSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELFORGE_GEMINI_BASE_URL", veo.base_url + "/")
    monkeypatch.setenv("GEMINI_API_KEY", veo.config.api_key)
    adapter = VeoAdapter()
    assert adapter.base_url == veo.base_url

    async def go() -> str:
        async with adapter:
            return (await adapter.submit(adapter.build_request(shot()))).task_id

    assert run(go()) in veo.book.operations


def test_default_base_url_without_env() -> None:
    adapter = VeoAdapter(credentials=GeminiCredentials("k"))
    assert adapter.base_url == "https://generativelanguage.googleapis.com"
    assert adapter.provider == "google"
    run(adapter.aclose())


def test_catalogue_route_renders_through_the_adapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wiring the lead adds to ``generators.remote.ADAPTERS``, exercised without editing it."""
    from reelforge.generators import remote

    monkeypatch.setitem(
        remote.ADAPTERS, ("google", "gemini-api"), ("reelforge.providers.veo", "VeoAdapter", ())
    )
    with VeoSandbox(VeoSandboxConfig(render_fps=24)) as sbx:
        monkeypatch.setenv("REELFORGE_GEMINI_BASE_URL", sbx.base_url)
        monkeypatch.setenv("GEMINI_API_KEY", sbx.config.api_key)
        generator = remote.RemoteGenerator("veo-3.1@gemini")
        request = shot(frames=72, model="veo-3.1@gemini")
        clip = generator.render(request, tmp_path / "clip.mp4")
        (op,) = sbx.book.operations.values()
    assert clip.meta["provider"] == "google" and clip.meta["task_id"] == op.name
    assert op.body["parameters"]["durationSeconds"] == 4  # 3 s rounded up to Veo's 4
    assert seconds_of(clip.path) == pytest.approx(4.0, abs=0.2)
