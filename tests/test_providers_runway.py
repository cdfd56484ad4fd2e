"""The Runway adapter end to end against the Runway sandbox over real loopback HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import av
import pytest
from PIL import Image

from media_helpers import frame_count
from reelforge.generators import remote
from reelforge.generators.base import ShotRequest
from reelforge.providers import (
    Canceled,
    Failed,
    ModerationRejected,
    OutputExpired,
    Queued,
    Succeeded,
    TaskFailed,
    TaskState,
)
from reelforge.providers.keys import store_key
from reelforge.providers.runway import MODELS, RunwayAdapter, credits
from reelforge.sandbox.runway import RunwaySandbox, RunwaySandboxConfig
from reelforge.sandbox.server import LoopbackServer

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=96, fps=24, width=1280, height=720, model="gen4.5"
    )
    base.update(kw)
    return ShotRequest(**base)


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RUNWAYML_API_SECRET", "REELFORGE_RUNWAY_BASE_URL", "RUNWAYML_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def rw() -> Iterator[RunwaySandbox]:
    with RunwaySandbox(RunwaySandboxConfig(queue_seconds=0.05, processing_seconds=0.15)) as sbx:
        yield sbx


def adapter_for(sbx: RunwaySandbox) -> RunwayAdapter:
    return RunwayAdapter(base_url=sbx.base_url, credentials=sbx.credentials())


async def full_run(
    adapter: RunwayAdapter,
    request: ShotRequest,
    options: dict[str, Any] | None = None,
    dest: Path | None = None,
) -> tuple[TaskState, list[TaskState], list[Path]]:
    seen: list[TaskState] = []
    async with adapter:
        wire = adapter.build_request(request, options)
        handle = await adapter.ensure_submitted(wire)
        state = await adapter.wait(handle, interval=0.03, timeout=20, on_state=seen.append)
        paths = await adapter.download(state, dest) if isinstance(state, Succeeded) and dest else []
    return state, seen, paths


def test_text_to_video_end_to_end(rw: RunwaySandbox, tmp_path: Path) -> None:
    state, seen, paths = run(full_run(adapter_for(rw), shot(), dest=tmp_path))
    assert isinstance(state, Succeeded)
    assert {s.status for s in seen} >= {"queued", "running", "succeeded"}
    assert state.charge == Decimal(credits(MODELS["gen4.5"], 4, False)) == Decimal(48)
    assert rw.credits_charged == 48 and rw.submits == 1
    assert paths[0].suffix == ".mp4" and paths[0].read_bytes()[4:8] == b"ftyp"
    assert frame_count(paths[0]) == 4 * rw.config.render_fps
    sent = rw.requests_to("/v1/text_to_video")[0]
    assert sent.headers["authorization"] == f"Bearer {rw.config.api_key}"
    assert sent.headers["x-runway-version"] == "2024-11-06"


def test_image_to_video_first_and_last_with_audio(rw: RunwaySandbox, tmp_path: Path) -> None:
    first, last = tmp_path / "a.png", tmp_path / "b.png"
    Image.new("RGB", (64, 36), (255, 0, 0)).save(first)
    Image.new("RGB", (64, 36), (0, 0, 255)).save(last)
    req = shot(first_frame=first, last_frame=last, frames=8 * 24)
    state, _, paths = run(
        full_run(adapter_for(rw), req, {"model_name": "veo3.1", "sound": True}, tmp_path)
    )
    assert isinstance(state, Succeeded) and state.charge == Decimal(40 * 8)  # audio rate
    body = rw.requests_to("/v1/image_to_video")[0].json()
    assert [i["position"] for i in body["promptImage"]] == ["first", "last"]
    with av.open(str(paths[0])) as container:  # previz starts on the sent first frame
        frame = next(container.decode(video=0)).to_image()
    r, _g, b = frame.getpixel((frame.width // 2, frame.height // 2))[:3]
    assert r > 150 and b < 100


def test_moderation_at_submit_is_an_input_rejection(rw: RunwaySandbox) -> None:
    state, _, _ = run(full_run(adapter_for(rw), shot("a forbidden scene")))
    assert isinstance(state, Failed) and isinstance(state.error, ModerationRejected)
    assert state.error.stage == "input" and state.error.code == "SAFETY.INPUT.TEXT"
    assert state.error.cost == Decimal(0) and not state.error.retryable
    assert rw.credits_charged == 0


def test_late_moderation_is_an_output_rejection(rw: RunwaySandbox) -> None:
    state, seen, _ = run(full_run(adapter_for(rw), shot("contraband crates")))
    assert any(s.status == "running" for s in seen)
    assert isinstance(state, Failed) and isinstance(state.error, ModerationRejected)
    assert state.error.stage == "output" and state.error.code == "SAFETY.OUTPUT.VIDEO"


def test_bad_output_is_a_typed_task_failure() -> None:
    with RunwaySandbox(RunwaySandboxConfig(failure_rate=1.0)) as sbx:
        state, _, _ = run(full_run(adapter_for(sbx), shot()))
    assert isinstance(state, Failed) and type(state.error) is TaskFailed
    assert state.error.code == "INTERNAL.BAD_OUTPUT.CODE01"


def test_concurrency_cap_throttles_then_runs() -> None:
    config = RunwaySandboxConfig(processing_seconds=0.3, max_concurrent=1)

    async def two(sbx: RunwaySandbox) -> tuple[list[str], TaskState, TaskState]:
        async with adapter_for(sbx) as adapter:
            h1 = await adapter.submit(adapter.build_request(shot("one")))
            h2 = await adapter.submit(adapter.build_request(shot("two")))
            await adapter.poll(h1)
            s2 = await adapter.poll(h2)
            raw = [str(s2.raw["status"])]
            assert isinstance(s2, Queued) and "estimatedCost" in s2.raw
            done1 = await adapter.wait(h1, interval=0.03, timeout=10)
            done2 = await adapter.wait(h2, interval=0.03, timeout=10)
            return raw, done1, done2

    with RunwaySandbox(config) as sbx:
        raw, d1, d2 = run(two(sbx))
    assert raw == ["THROTTLED"]
    assert isinstance(d1, Succeeded) and isinstance(d2, Succeeded)


def test_cancel_a_live_task_and_leave_a_finished_one() -> None:
    with RunwaySandbox() as sbx:

        async def both() -> tuple[TaskState, TaskState]:
            async with adapter_for(sbx) as adapter:
                sbx.book.config.queue_seconds = 5.0  # the first task waits: cancellable
                live = await adapter.submit(adapter.build_request(shot()))
                await adapter.cancel(live)
                cancelled = await adapter.poll(live)
                sbx.book.config.queue_seconds = 0.0
                other = await adapter.submit(adapter.build_request(shot("b")))
                finished = await adapter.wait(other, interval=0.02, timeout=10)
                await adapter.cancel(other)  # finished: no DELETE (it would erase the output)
                return cancelled, finished

        cancelled, finished = run(both())
        deletes = [r for r in sbx.log if r.method == "DELETE"]
        assert sbx.task(finished.handle.task_id) is not None
    assert isinstance(cancelled, Canceled) and cancelled.raw["cost"] == {"credits": 0}
    assert isinstance(finished, Succeeded) and len(deletes) == 1


def test_expired_urls_are_refreshed_by_a_new_read(rw: RunwaySandbox, tmp_path: Path) -> None:
    async def go() -> list[Path]:
        async with adapter_for(rw) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            state = await adapter.wait(handle, interval=0.03, timeout=10)
            assert isinstance(state, Succeeded)
            rw.expire_files()  # the URL in `state` is now stale (403)
            return await adapter.download(state, tmp_path)

    paths = run(go())
    assert frame_count(paths[0]) > 0
    assert len([r for r in rw.log if r.path.startswith("/files/")]) == 2  # stale, then fresh


def test_output_expired_when_even_fresh_urls_are_gone(tmp_path: Path) -> None:
    async def go(sbx: RunwaySandbox) -> None:
        async with adapter_for(sbx) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            state = await adapter.wait(handle, interval=0.03, timeout=10)
            assert isinstance(state, Succeeded) and state.outputs[0].expires_at is not None
            await adapter.download(state, tmp_path)

    with RunwaySandbox(RunwaySandboxConfig(url_ttl=0.0)) as sbx, pytest.raises(OutputExpired):
        run(go(sbx))
    assert not list(tmp_path.iterdir())  # no truncated clip left behind


def test_credentials_never_sent_to_a_foreign_host(tmp_path: Path) -> None:
    with LoopbackServer("cdn") as cdn, RunwaySandbox(cdn=cdn) as sbx:
        state, _, paths = run(full_run(adapter_for(sbx), shot(), dest=tmp_path))
        assert isinstance(state, Succeeded) and state.outputs[0].url.startswith(cdn.base_url)
        fetched = cdn.requests_to("/files/")
        api_calls = sbx.requests_to("/v1/")
    assert paths and fetched and api_calls
    assert all("authorization" not in r.headers for r in fetched)
    assert all("x-runway-version" not in r.headers for r in fetched)
    assert all(r.headers.get("authorization") for r in api_calls)


def test_base_url_and_key_from_env(rw: RunwaySandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELFORGE_RUNWAY_BASE_URL", rw.base_url + "/")
    monkeypatch.setenv("RUNWAYML_API_SECRET", rw.config.api_key)
    adapter = RunwayAdapter()
    assert adapter.base_url == rw.base_url
    state, _, _ = run(full_run(adapter, shot()))
    assert isinstance(state, Succeeded) and rw.submits == 1


def test_key_stored_by_reel_keys_set(rw: RunwaySandbox) -> None:
    store_key("RUNWAYML_API_SECRET", rw.config.api_key)
    adapter = RunwayAdapter(base_url=rw.base_url)
    state, _, _ = run(full_run(adapter, shot()))
    assert isinstance(state, Succeeded)


def test_catalogue_route_renders_through_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = ("reelforge.providers.runway", "RunwayAdapter", ())
    monkeypatch.setitem(remote.ADAPTERS, ("runway", "runway-api"), entry)
    monkeypatch.setattr(RunwayAdapter, "poll_interval", 0.05)
    with RunwaySandbox(RunwaySandboxConfig(processing_seconds=0.1, render_fps=24)) as sbx:
        monkeypatch.setenv("REELFORGE_RUNWAY_BASE_URL", sbx.base_url)
        monkeypatch.setenv("RUNWAYML_API_SECRET", sbx.config.api_key)
        generator = remote.RemoteGenerator("veo-3.1@runway")
        request = ShotRequest(
            shot_id="s", prompt="a paper boat", frames=96, fps=24, width=1280, height=720
        )
        clip = generator.render(request, tmp_path / "s.mp4")
        body = sbx.requests_to("/v1/text_to_video")[0].json()
    assert body["model"] == "veo3.1" and body["duration"] == 4 and body["audio"] is False
    assert clip.meta["charge"] == str(20 * 4) and clip.meta["billing_unit"] == "credit"
    assert clip.path.stat().st_size > 0 and sbx.submits == 1
