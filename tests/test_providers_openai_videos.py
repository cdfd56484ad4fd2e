"""The OpenAI-videos adapter end to end against the sandbox over real loopback HTTP."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from PIL import Image

from media_helpers import frame_count
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
    TaskFailed,
    TaskState,
)
from reelforge.providers.openai_videos import ApiyiVideosAdapter, OpenAIVideosAdapter
from reelforge.sandbox.openai_videos import OpenAIVideosSandbox, OpenAIVideosSandboxConfig
from reelforge.sandbox.server import LoopbackServer

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=96, fps=24, width=1280, height=720, model="sora-2"
    )
    base.update(kw)
    return ShotRequest(**base)


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "APIYI_API_KEY", "REELFORGE_OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sbx() -> Iterator[OpenAIVideosSandbox]:
    config = OpenAIVideosSandboxConfig(queue_seconds=0.05, processing_seconds=0.15)
    with OpenAIVideosSandbox(config) as server:
        yield server


def adapter_for(server: OpenAIVideosSandbox, **kw: Any) -> OpenAIVideosAdapter:
    return OpenAIVideosAdapter(base_url=server.api_base, api_key=server.config.api_key, **kw)


async def full_run(
    adapter: OpenAIVideosAdapter,
    request: ShotRequest,
    dest: Path,
    options: dict[str, Any] | None = None,
) -> tuple[Succeeded, list[Path], list[TaskState]]:
    seen: list[TaskState] = []
    async with adapter:
        wire = adapter.build_request(request, options)
        handle = await adapter.submit(wire)
        state = await adapter.wait(handle, interval=0.03, timeout=30, on_state=seen.append)
        assert isinstance(state, Succeeded), state
        return state, await adapter.download(state, dest), seen


def test_text_to_video_create_poll_download(sbx: OpenAIVideosSandbox, tmp_path: Path) -> None:
    state, paths, seen = run(full_run(adapter_for(sbx), shot(), tmp_path))
    assert any(isinstance(s, Queued | Running) for s in seen)
    running = [s for s in seen if isinstance(s, Running)]
    assert all(s.progress is not None and 0 <= s.progress < 1 for s in running)
    video = sbx.book.videos[state.handle.task_id]
    assert (video.model, video.seconds, video.size) == ("sora-2", "4", "1280x720")
    assert state.outputs[0].duration == 4.0 and state.outputs[0].expires_at is not None
    assert paths[0].suffix == ".mp4"
    assert frame_count(paths[0]) == 4 * sbx.config.render_fps
    (create,) = sbx.requests_to("/v1/videos")[:1]
    assert create.headers["content-type"].startswith("multipart/form-data")
    # content came from the provider's own origin, so it carried the key
    (content,) = [r for r in sbx.log if r.path.endswith("/content")]
    assert content.headers["authorization"] == f"Bearer {sbx.config.api_key}"
    assert content.query == {"variant": "video"}


def test_duration_rounds_up_to_an_allowed_length(sbx: OpenAIVideosSandbox, tmp_path: Path) -> None:
    state, paths, _ = run(full_run(adapter_for(sbx), shot(frames=5 * 24), tmp_path))
    assert sbx.book.videos[state.handle.task_id].seconds == "8"
    assert frame_count(paths[0]) == 8 * sbx.config.render_fps


@pytest.mark.parametrize(
    ("width", "height", "image", "size"),
    [(1280, 720, (320, 180), "1280x720"), (720, 1280, (500, 500), "720x1280")],
)
def test_image_to_video_resizes_the_frame_to_the_output_size(
    sbx: OpenAIVideosSandbox,
    tmp_path: Path,
    width: int,
    height: int,
    image: tuple[int, int],
    size: str,
) -> None:
    first = tmp_path / "first.png"
    Image.new("RGB", image, (200, 30, 30)).save(first)
    request = shot(first_frame=first, width=width, height=height)
    state, paths, _ = run(full_run(adapter_for(sbx), request, tmp_path / "out"))
    video = sbx.book.videos[state.handle.task_id]
    assert video.size == size and video.input_image is not None
    with Image.open(video.input_image) as sent:
        assert f"{sent.width}x{sent.height}" == size
        assert sent.getpixel((sent.width // 2, sent.height // 2)) == (200, 30, 30)
    assert frame_count(paths[0]) > 0


def test_wrong_size_image_is_rejected_by_the_server(sbx: OpenAIVideosSandbox) -> None:
    """The sandbox enforces the contract rule the adapter works around."""
    from reelforge.providers import InvalidRequest

    async def go() -> None:
        async with adapter_for(sbx) as adapter:
            wire = adapter.build_request(shot())
            buf = io.BytesIO()
            Image.new("RGB", (64, 64)).save(buf, format="PNG")
            import base64

            ref = {"filename": "x.png", "content_type": "image/png"}
            ref["base64"] = base64.b64encode(buf.getvalue()).decode()
            wire.body["input_reference"] = ref
            await adapter.submit(wire)

    with pytest.raises(InvalidRequest) as info:
        run(go())
    assert "must match the requested width and height" in str(info.value)
    assert info.value.status == 400


def test_moderation_at_submit(sbx: OpenAIVideosSandbox) -> None:
    async def go() -> None:
        async with adapter_for(sbx) as adapter:
            await adapter.submit(adapter.build_request(shot("a forbidden ritual")))

    with pytest.raises(ModerationRejected) as info:
        run(go())
    assert info.value.stage == "input" and info.value.code == "moderation_blocked"
    assert sbx.book.videos == {}


def wait_for(server: OpenAIVideosSandbox, request: ShotRequest) -> TaskState:
    async def go() -> TaskState:
        async with adapter_for(server) as adapter:
            handle = await adapter.submit(adapter.build_request(request))
            return await adapter.wait(handle, interval=0.02, timeout=30)

    return run(go())


def test_late_moderation_is_a_failed_state_with_output_stage(sbx: OpenAIVideosSandbox) -> None:
    state = wait_for(sbx, shot("a contraband crate"))
    assert isinstance(state, Failed) and isinstance(state.error, ModerationRejected)
    assert state.error.stage == "output" and state.error.code == "moderation_blocked"
    assert state.error.payload["status"] == "failed"


def test_generation_failure_is_task_failed() -> None:
    with OpenAIVideosSandbox(OpenAIVideosSandboxConfig(failure_rate=1.0)) as server:
        state = wait_for(server, shot())
    assert isinstance(state, Failed) and type(state.error) is TaskFailed


def test_cancel_deletes_a_running_video(sbx: OpenAIVideosSandbox) -> None:
    sbx.book.config.processing_seconds = 60

    async def go() -> TaskState:
        async with adapter_for(sbx) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            await adapter.cancel(handle)
            await adapter.cancel(handle)  # a second cancel of a gone video is fine
            return await adapter.poll(handle)

    assert isinstance(run(go()), Canceled)
    assert sbx.book.videos == {}
    assert [r.method for r in sbx.log].count("DELETE") == 2


def test_remix_posts_json_and_inherits_length(sbx: OpenAIVideosSandbox, tmp_path: Path) -> None:
    first, _, _ = run(full_run(adapter_for(sbx), shot(frames=8 * 24), tmp_path))
    options = {"remix_video_id": first.handle.task_id}
    state, paths, _ = run(full_run(adapter_for(sbx), shot("now at night"), tmp_path, options))
    assert state.handle.route == "remix"
    video = sbx.book.videos[state.handle.task_id]
    assert video.remixed_from_video_id == first.handle.task_id and video.seconds == "8"
    remix = sbx.requests_to(f"/v1/videos/{first.handle.task_id}/remix")[0]
    assert remix.json() == {"prompt": "now at night"}
    assert frame_count(paths[0]) == 8 * sbx.config.render_fps


def test_credentials_never_reach_a_foreign_content_host(tmp_path: Path) -> None:
    with LoopbackServer("cdn") as cdn, OpenAIVideosSandbox(cdn=cdn) as server:
        state, paths, _ = run(full_run(adapter_for(server), shot(), tmp_path))
        (download,) = cdn.requests_to("/files/")
        assert "authorization" not in download.headers
        assert all("authorization" in r.headers for r in server.requests_to("/v1/"))
        assert state.outputs[0].url.startswith(server.api_base)
    assert paths[0].stat().st_size > 0


def test_expired_assets_raise_output_expired(sbx: OpenAIVideosSandbox, tmp_path: Path) -> None:
    async def go() -> None:
        async with adapter_for(sbx) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            state = await adapter.wait(handle, interval=0.02, timeout=30)
            assert isinstance(state, Succeeded)
            sbx.expire_assets()
            await adapter.download(state, tmp_path)

    with pytest.raises(OutputExpired):
        run(go())


def test_missing_key_names_the_fix() -> None:
    with pytest.raises(MissingKey) as info:
        OpenAIVideosAdapter()
    assert "OPENAI_API_KEY" in str(info.value)
    assert "reel keys set openai" in str(info.value)


def test_key_and_base_url_from_env(
    sbx: OpenAIVideosSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REELFORGE_OPENAI_BASE_URL", sbx.api_base + "/")
    monkeypatch.setenv("OPENAI_API_KEY", sbx.config.api_key)
    adapter = OpenAIVideosAdapter()
    assert adapter.base_url == sbx.api_base  # scheme + host + /v1, as the openai SDK means it
    state, _, _ = run(full_run(adapter, shot(), tmp_path))
    assert state.handle.task_id in sbx.book.videos


def test_default_base_url_without_env() -> None:
    adapter = OpenAIVideosAdapter(api_key="k")
    assert urlsplit(adapter.base_url)[:3] == ("https", "api.openai.com", "/v1")
    run(adapter.aclose())


def test_relay_adapter_keeps_its_own_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    with pytest.raises(MissingKey) as info:
        ApiyiVideosAdapter()  # an OpenAI key is never reused for a relay
    assert "APIYI_API_KEY" in str(info.value) and "reel keys set apiyi" in str(info.value)
    monkeypatch.setenv("APIYI_API_KEY", "relay-key")
    monkeypatch.setenv("REELFORGE_APIYI_BASE_URL", "http://127.0.0.1:9/v1")
    adapter = ApiyiVideosAdapter()
    assert adapter.auth_headers() == {"Authorization": "Bearer relay-key"}
    assert adapter.base_url == "http://127.0.0.1:9/v1"
    run(adapter.aclose())
