"""Seedance on Volcengine Ark: the BytePlus adapter's contract on the China host, with its own
key lookup, base-URL override and default model — against a Seedance sandbox over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from reelforge.generators.base import ShotRequest
from reelforge.generators.remote import ADAPTERS, has_adapter
from reelforge.media.probe import probe
from reelforge.providers import (
    AuthError,
    Failed,
    MissingKey,
    ModerationRejected,
    SeedanceAdapter,
    SeedanceCredentials,
    Succeeded,
    VolcengineSeedanceAdapter,
)
from reelforge.providers.keys import PRIMARY_KEY, store_key
from reelforge.providers.seedance import DEFAULT_BASE_URL, VOLCENGINE_BASE_URL
from reelforge.providers.seedance.volcengine import DEFAULT_MODEL, volcengine_credentials
from reelforge.sandbox.seedance import SeedanceSandbox, SeedanceSandboxConfig
from reelforge.sandbox.server import LoopbackServer

T = TypeVar("T")
MODEL = "doubao-seedance-2-0-mini-260615"
ENV_NAMES = (
    "ARK_API_KEY",
    "VOLCENGINE_ARK_API_KEY",
    "REELFORGE_SEEDANCE_BASE_URL",
    "REELFORGE_VOLCENGINE_BASE_URL",
)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=96, fps=24, width=1280, height=720, model=MODEL
    )
    return ShotRequest(**{**base, **kw})


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def cdn() -> Iterator[LoopbackServer]:
    with LoopbackServer("cdn") as server:
        yield server


@pytest.fixture
def ark(cdn: LoopbackServer) -> Iterator[SeedanceSandbox]:
    config = SeedanceSandboxConfig(queue_seconds=0.05, processing_seconds=0.15)
    with SeedanceSandbox(config, cdn=cdn) as sbx:
        yield sbx


def test_wired_for_the_volcengine_channel() -> None:
    assert ADAPTERS[("bytedance", "volcengine-ark")][1] == "VolcengineSeedanceAdapter"
    assert has_adapter("bytedance", "volcengine-ark", MODEL)
    assert PRIMARY_KEY["volcengine"] == "VOLCENGINE_ARK_API_KEY"


def test_host_and_its_own_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARK_API_KEY", "k")
    assert VolcengineSeedanceAdapter().base_url == VOLCENGINE_BASE_URL
    assert VOLCENGINE_BASE_URL == "https://ark.cn-beijing.volces.com/api/v3"
    assert SeedanceAdapter().base_url == DEFAULT_BASE_URL  # BytePlus keeps its own host
    monkeypatch.setenv("REELFORGE_SEEDANCE_BASE_URL", "http://127.0.0.1:1/api/v3")
    assert VolcengineSeedanceAdapter().base_url == VOLCENGINE_BASE_URL  # not the BytePlus one
    monkeypatch.setenv("REELFORGE_VOLCENGINE_BASE_URL", "http://127.0.0.1:2/api/v3/")
    assert VolcengineSeedanceAdapter().base_url == "http://127.0.0.1:2/api/v3"


def test_key_lookup_order_and_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert volcengine_credentials({"ARK_API_KEY": "ark"}).api_key == "ark"
    both = {"ARK_API_KEY": "byteplus", "VOLCENGINE_ARK_API_KEY": "volc"}
    assert volcengine_credentials(both).api_key == "volc"
    with pytest.raises(MissingKey) as info:
        VolcengineSeedanceAdapter()
    text = str(info.value)
    assert "reel keys set volcengine" in text
    assert "VOLCENGINE_ARK_API_KEY or ARK_API_KEY" in text
    store_key("VOLCENGINE_ARK_API_KEY", "stored-volc")  # what `reel keys set volcengine` stores
    adapter = VolcengineSeedanceAdapter()
    assert adapter.auth_headers() == {"Authorization": "Bearer stored-volc"}


def test_request_shape_and_default_model() -> None:
    adapter = VolcengineSeedanceAdapter(credentials=SeedanceCredentials("k"))
    wire = adapter.build_request(shot(seed=9), {"model_name": MODEL, "sound": True})
    assert wire.path == "/contents/generations/tasks" and wire.provider == "volcengine"
    assert wire.body["model"] == MODEL and wire.body["seed"] == 9
    assert wire.body["generate_audio"] is True
    assert wire.body["content"][0] == {"type": "text", "text": "a lighthouse at dusk"}
    fallback = adapter.build_request(shot(model="previz"), {})
    assert fallback.body["model"] == DEFAULT_MODEL == "doubao-seedance-2-0-260128"


def test_end_to_end_with_credentials_only_for_the_api_host(
    ark: SeedanceSandbox, cdn: LoopbackServer, tmp_path: Path
) -> None:
    adapter = VolcengineSeedanceAdapter(base_url=ark.api_base, credentials=ark.credentials())

    async def go() -> tuple[Any, list[Path]]:
        async with adapter:
            handle = await adapter.ensure_submitted(adapter.build_request(shot()))
            state = await adapter.wait(handle, interval=0.02, timeout=60)
            assert isinstance(state, Succeeded), state
            return state, await adapter.download(state, tmp_path)

    state, paths = run(go())
    assert state.handle.provider == "volcengine" and state.handle.task_id.startswith("cgt-")
    assert probe(paths[0]).video_codec == "h264"
    assert all(r.headers["authorization"] == f"Bearer {ark.config.api_key}" for r in ark.log)
    assert cdn.log and not any("authorization" in r.headers for r in cdn.log)


def test_failures_carry_the_volcengine_label(ark: SeedanceSandbox) -> None:
    wrong = VolcengineSeedanceAdapter(base_url=ark.api_base, credentials=SeedanceCredentials("x"))
    with pytest.raises(AuthError) as info:
        run(wrong.submit(wrong.build_request(shot())))
    assert info.value.provider == "volcengine" and str(info.value).startswith("volcengine/")
    adapter = VolcengineSeedanceAdapter(base_url=ark.api_base, credentials=ark.credentials())

    async def late() -> Any:
        async with adapter:
            handle = await adapter.submit(adapter.build_request(shot("contraband goods")))
            return await adapter.wait(handle, interval=0.02, timeout=60)

    state = run(late())
    assert isinstance(state, Failed) and isinstance(state.error, ModerationRejected)
    assert state.error.stage == "output"


def test_route_renders_in_the_session(tmp_path: Path) -> None:
    from reelforge.generators.registry import get_generator
    from reelforge.sandbox.session import sandboxes

    with sandboxes(render_fps=24) as running:
        clip = get_generator("seedance-2.0-mini").render(
            shot(model="seedance-2.0-mini", frames=5 * 24), tmp_path / "clip.mp4"
        )
        volc = running["volcengine"]
        byteplus = running["seedance"]
        submits = (volc.submits, byteplus.submits)  # type: ignore[attr-defined]
    assert submits == (1, 0)  # the China host got it, not BytePlus
    assert clip.meta["task_id"].startswith("cgt-") and probe(clip.path).video_codec == "h264"
