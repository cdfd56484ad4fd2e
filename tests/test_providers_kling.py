"""The Kling adapter end to end against the Kling sandbox over real loopback HTTP."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Coroutine, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image

from media_helpers import frame_count
from reelforge.generators.base import ShotRequest
from reelforge.providers import (
    Failed,
    KlingAdapter,
    ModerationRejected,
    Queued,
    Running,
    Succeeded,
    TaskState,
)
from reelforge.sandbox import KlingSandbox, KlingSandboxConfig, LoopbackServer

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=120, fps=24, width=1280, height=720, model="kling-v3"
    )
    base.update(kw)
    return ShotRequest(**base)


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
    with KlingSandbox(KlingSandboxConfig(queue_seconds=0.05, processing_seconds=0.15)) as sbx:
        yield sbx


def adapter_for(sbx: KlingSandbox, **kw: Any) -> KlingAdapter:
    return KlingAdapter(base_url=sbx.base_url, credentials=sbx.credentials(), **kw)


async def _full_run(
    adapter: KlingAdapter, request: ShotRequest, dest: Path, options: dict[str, Any] | None = None
) -> tuple[Succeeded, list[Path], list[TaskState]]:
    seen: list[TaskState] = []
    async with adapter:
        wire = adapter.build_request(request, options, idempotency_key=f"job-{request.shot_id}")
        handle = await adapter.submit(wire)
        state = await adapter.wait(handle, interval=0.03, timeout=30, on_state=seen.append)
        assert isinstance(state, Succeeded), state
        return state, await adapter.download(state, dest), seen


def test_text_to_video_submit_poll_download(kling: KlingSandbox, tmp_path: Path) -> None:
    state, paths, seen = run(_full_run(adapter_for(kling), shot(), tmp_path))
    assert [type(s) for s in seen][-1] is Succeeded
    assert any(isinstance(s, Queued | Running) for s in seen)  # it really went through states
    assert len(paths) == 1 and paths[0].suffix == ".mp4"
    assert frame_count(paths[0]) == 5 * kling.config.render_fps
    # kling-v3 std without sound: 0.6 units/s x 5 s, read from final_unit_deduction
    assert state.charge == Decimal("3.0")
    task = kling.book.tasks[state.handle.task_id]
    assert task.body["duration"] == "5" and task.body["aspect_ratio"] == "16:9"
    assert task.body["sound"] == "off"


def test_image_to_video_sends_first_and_tail_frames(kling: KlingSandbox, tmp_path: Path) -> None:
    first, last = tmp_path / "first.png", tmp_path / "last.png"
    Image.new("RGB", (320, 180), (200, 30, 30)).save(first)
    Image.new("RGB", (320, 180), (30, 30, 200)).save(last)
    request = shot(first_frame=first, last_frame=last)
    state, paths, _ = run(_full_run(adapter_for(kling), request, tmp_path / "out", {"mode": "pro"}))
    body = kling.book.tasks[state.handle.task_id].body
    assert state.handle.route == "image2video"
    assert base64.b64decode(body["image"]) == first.read_bytes()
    assert base64.b64decode(body["image_tail"]) == last.read_bytes()
    assert "aspect_ratio" not in body  # image2video takes its shape from the image
    assert frame_count(paths[0]) > 0


def test_late_moderation_is_a_failed_state_with_output_stage(kling: KlingSandbox) -> None:
    async def go() -> TaskState:
        async with adapter_for(kling) as adapter:
            handle = await adapter.submit(adapter.build_request(shot("a contraband crate")))
            return await adapter.wait(handle, interval=0.03, timeout=30)

    state = run(go())
    assert isinstance(state, Failed)
    assert isinstance(state.error, ModerationRejected)
    assert state.error.stage == "output"
    assert state.error.cost == Decimal(0)  # failed tasks are not charged
    assert state.error.payload["task_status"] == "failed"


def test_random_failure_is_task_failed_not_moderation(tmp_path: Path) -> None:
    from reelforge.providers import TaskFailed

    with KlingSandbox(KlingSandboxConfig(failure_rate=1.0)) as sbx:

        async def go() -> TaskState:
            async with adapter_for(sbx) as adapter:
                handle = await adapter.submit(adapter.build_request(shot()))
                return await adapter.wait(handle, interval=0.01, timeout=30)

        state = run(go())
    assert isinstance(state, Failed)
    assert type(state.error) is TaskFailed
    assert "Internal error" in str(state.error)


def test_credentials_never_reach_a_foreign_output_host(tmp_path: Path) -> None:
    with LoopbackServer("cdn") as cdn, KlingSandbox(cdn=cdn) as sbx:
        state, paths, _ = run(_full_run(adapter_for(sbx), shot(), tmp_path))
        assert state.outputs[0].url.startswith(cdn.base_url)
        downloads = cdn.requests_to("/files/")
        assert len(downloads) == 1
        assert "authorization" not in downloads[0].headers
        # ...while the provider's own host did get them
        assert all("authorization" in r.headers for r in sbx.requests_to("/v1/"))
    assert paths[0].stat().st_size > 0


def test_own_host_output_download_may_carry_auth(kling: KlingSandbox, tmp_path: Path) -> None:
    run(_full_run(adapter_for(kling), shot(), tmp_path))
    (download,) = kling.requests_to("/files/")
    assert download.headers["authorization"].startswith("Bearer ")


def test_api_key_auth_works_end_to_end(kling: KlingSandbox, tmp_path: Path) -> None:
    adapter = KlingAdapter(base_url=kling.base_url, credentials=kling.credentials(api_key=True))
    run(_full_run(adapter, shot(), tmp_path))
    sent = kling.requests_to("/v1/")[0].headers["authorization"]
    assert sent == f"Bearer {kling.config.api_key}"


def test_base_url_comes_from_env(kling: KlingSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELFORGE_KLING_BASE_URL", kling.base_url + "/")
    monkeypatch.setenv("KLING_ACCESS_KEY", kling.config.access_key)
    monkeypatch.setenv("KLING_SECRET_KEY", kling.config.secret_key)
    adapter = KlingAdapter()
    assert adapter.base_url == kling.base_url

    async def go() -> str:
        async with adapter:
            return (await adapter.submit(adapter.build_request(shot()))).task_id

    task_id = run(go())
    assert task_id in kling.book.tasks


def test_default_base_url_without_env() -> None:
    from reelforge.providers.kling import KlingCredentials

    adapter = KlingAdapter(credentials=KlingCredentials(api_key="k"))
    assert adapter.base_url == "https://api-singapore.klingai.com"
    run(adapter.aclose())
