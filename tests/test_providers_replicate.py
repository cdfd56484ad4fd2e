"""The Replicate adapter end to end against the Replicate sandbox over loopback HTTP."""

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
    OutputExpired,
    Queued,
    Running,
    Succeeded,
    TaskFailed,
    TaskState,
)
from reelforge.providers.replicate import ReplicateAdapter
from reelforge.sandbox.replicate import ReplicateSandbox, ReplicateSandboxConfig
from reelforge.sandbox.server import LoopbackServer

T = TypeVar("T")
MODEL = "google/veo-3.1"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=96, fps=24, width=1280, height=720, model=MODEL
    )
    return ShotRequest(**{**base, **kw})


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REPLICATE_API_TOKEN", "REELFORGE_REPLICATE_BASE_URL", "REPLICATE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def rep() -> Iterator[ReplicateSandbox]:
    cfg = ReplicateSandboxConfig(queue_seconds=0.3, processing_seconds=0.3)
    with ReplicateSandbox(cfg) as sbx:
        yield sbx


def adapter_for(sbx: ReplicateSandbox) -> ReplicateAdapter:
    return ReplicateAdapter(base_url=sbx.base_url, credentials=sbx.credentials())


async def full_run(
    adapter: ReplicateAdapter, request: ShotRequest, dest: Path, opts: dict[str, Any] | None = None
) -> tuple[TaskState, list[Path], list[TaskState]]:
    seen: list[TaskState] = []
    async with adapter:
        wire = adapter.build_request(request, opts, idempotency_key="k-" + request.shot_id)
        handle = await adapter.ensure_submitted(wire)
        state = await adapter.wait(handle, interval=0.03, timeout=30, on_state=seen.append)
        paths = await adapter.download(state, dest) if isinstance(state, Succeeded) else []
        return state, paths, seen


def test_prediction_states_and_mp4(rep: ReplicateSandbox, tmp_path: Path) -> None:
    state, paths, seen = run(full_run(adapter_for(rep), shot(), tmp_path, {"sound": False}))
    assert isinstance(state, Succeeded)
    assert any(isinstance(s, Queued) for s in seen) and any(isinstance(s, Running) for s in seen)
    (p,) = rep.predictions.values()
    assert p.model == MODEL and p.input["duration"] == 4 and p.input["generate_audio"] is False
    assert state.outputs[0].expires_at is not None  # completed_at + 1 h
    with av.open(str(paths[0])) as c:
        assert c.streams.video[0].frames > 0
    (create,) = rep.requests_to("/v1/models/google/veo-3.1/predictions")
    assert create.headers["authorization"] == "Bearer sandbox-replicate-token"


def test_image_and_end_frame_for_kling(rep: ReplicateSandbox, tmp_path: Path) -> None:
    Image.new("RGB", (32, 18), (1, 2, 3)).save(tmp_path / "a.png")
    Image.new("RGB", (32, 18), (3, 2, 1)).save(tmp_path / "b.png")
    req = shot(first_frame=tmp_path / "a.png", last_frame=tmp_path / "b.png", frames=120)
    opts = {"model_name": "kwaivgi/kling-v3.0-pro", "mode": "pro", "sound": True}
    state, _, _ = run(full_run(adapter_for(rep), req, tmp_path, opts))
    assert isinstance(state, Succeeded)
    (p,) = rep.predictions.values()
    assert p.input["start_image"].startswith("data:image/png;base64,")
    assert p.input["end_image"] != p.input["start_image"] and p.input["duration"] == 5


def test_e005_is_output_moderation(rep: ReplicateSandbox, tmp_path: Path) -> None:
    state, paths, _ = run(full_run(adapter_for(rep), shot("contraband"), tmp_path))
    assert isinstance(state, Failed) and paths == []
    assert isinstance(state.error, ModerationRejected) and state.error.stage == "output"


def test_model_error_is_task_failed(rep: ReplicateSandbox, tmp_path: Path) -> None:
    state, _, _ = run(full_run(adapter_for(rep), shot("meltdown"), tmp_path))
    assert isinstance(state, Failed) and type(state.error) is TaskFailed
    assert "out of memory" in str(state.error)


def test_cancel(tmp_path: Path) -> None:
    with ReplicateSandbox(ReplicateSandboxConfig(queue_seconds=5)) as sbx:

        async def go() -> TaskState:
            async with adapter_for(sbx) as adapter:
                handle = await adapter.submit(adapter.build_request(shot()))
                await adapter.cancel(handle)
                return await adapter.wait(handle, interval=0.02, timeout=5)

        assert isinstance(run(go()), Canceled)
        assert sbx.requests_to("/v1/predictions/")[0].path.endswith("/cancel")


def test_rerun_reattaches_instead_of_paying_twice(rep: ReplicateSandbox, tmp_path: Path) -> None:
    first, _, _ = run(full_run(adapter_for(rep), shot(), tmp_path / "a"))
    second, _, _ = run(full_run(adapter_for(rep), shot(), tmp_path / "b"))
    assert isinstance(first, Succeeded) and isinstance(second, Succeeded)
    assert first.handle.task_id == second.handle.task_id and rep.submits == 1
    run(full_run(adapter_for(rep), shot("another shot"), tmp_path / "c"))
    assert rep.submits == 2


def test_late_download_is_output_expired_without_a_request(
    rep: ReplicateSandbox, tmp_path: Path
) -> None:
    async def go() -> None:
        async with adapter_for(rep) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            state = await adapter.wait(handle, interval=0.02, timeout=10)
            assert isinstance(state, Succeeded)
            rep.age_outputs(3601)
            expired = await adapter.poll(handle)  # the prediction now reports data_removed
            assert isinstance(expired, Failed) and isinstance(expired.error, OutputExpired)
            late = Succeeded(
                handle,
                outputs=tuple(
                    type(o)(o.url, expires_at=o.expires_at - 3601)
                    for o in state.outputs
                    if o.expires_at
                ),
            )
            await adapter.download(late, tmp_path)

    with pytest.raises(OutputExpired, match="1 hour"):
        run(go())
    assert rep.requests_to("/files/") == []


def test_expired_file_url_is_output_expired(tmp_path: Path) -> None:
    with ReplicateSandbox(ReplicateSandboxConfig(output_ttl=0.3)) as sbx:

        async def go() -> None:
            async with adapter_for(sbx) as adapter:
                handle = await adapter.submit(adapter.build_request(shot()))
                state = await adapter.wait(handle, interval=0.02, timeout=10)
                assert isinstance(state, Succeeded)
                sbx.expire_files()  # the CDN forgot it before our clock did
                await adapter.download(state, tmp_path)

        with pytest.raises(OutputExpired):
            run(go())


def test_token_never_goes_to_a_foreign_output_host(tmp_path: Path) -> None:
    with LoopbackServer("cdn") as cdn, ReplicateSandbox(cdn=cdn) as sbx:
        state, paths, _ = run(full_run(adapter_for(sbx), shot(), tmp_path))
        assert isinstance(state, Succeeded) and state.outputs[0].url.startswith(cdn.base_url)
        (download,) = cdn.requests_to("/files/")
        assert "authorization" not in download.headers
    assert paths[0].stat().st_size > 0


def test_base_url_and_token_come_from_env(
    rep: ReplicateSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELFORGE_REPLICATE_BASE_URL", rep.base_url + "/")
    monkeypatch.setenv("REPLICATE_API_TOKEN", rep.config.api_token)
    adapter = ReplicateAdapter()
    assert adapter.base_url == rep.base_url

    async def go() -> str:
        async with adapter:
            return (await adapter.submit(adapter.build_request(shot()))).task_id

    assert run(go()) in rep.predictions


def test_default_base_url() -> None:
    from reelforge.providers.replicate import ReplicateCredentials

    adapter = ReplicateAdapter(credentials=ReplicateCredentials("s3cr3t"))
    assert urlsplit(adapter.base_url)[:2] == (
        "https",
        "api.replicate.com",
    ) and "s3cr3t" not in repr(adapter.credentials)
    run(adapter.aclose())


def test_catalogue_route_renders_through_the_adapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reelforge.generators import remote

    monkeypatch.setitem(
        remote.ADAPTERS,
        ("replicate", "replicate-predictions"),
        ("reelforge.providers.replicate", "ReplicateAdapter", ()),
    )
    with ReplicateSandbox(ReplicateSandboxConfig(render_fps=24)) as sbx:
        monkeypatch.setenv("REELFORGE_REPLICATE_BASE_URL", sbx.base_url)
        monkeypatch.setenv("REPLICATE_API_TOKEN", sbx.config.api_token)
        monkeypatch.setenv("REELFORGE_POLL_SECONDS", "0.05")
        clip = remote.RemoteGenerator("veo-3.1@replicate").render(
            shot(frames=72, model="veo-3.1@replicate"), tmp_path / "clip.mp4"
        )
        (p,) = sbx.predictions.values()
    assert clip.meta["provider"] == "replicate" and clip.meta["task_id"] == p.id
    assert p.model == "google/veo-3.1" and p.input["duration"] == 4
