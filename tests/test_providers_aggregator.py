"""The generic aggregator adapter end to end against the generic sandbox over real loopback
HTTP, once per aggregator in the profile table: submit → poll → MP4 download, the status
spellings, base-URL overrides, missing keys, credentials never sent to a foreign host, and the
catalogue routes rendered through the remote generator."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import av
import pytest
from PIL import Image

from reelforge.generators import remote
from reelforge.generators.base import ShotRequest
from reelforge.media.probe import probe
from reelforge.providers import (
    Canceled,
    Expired,
    Failed,
    MissingKey,
    ModerationRejected,
    Queued,
    Running,
    Succeeded,
    TaskFailed,
    TaskHandle,
    TaskState,
    TransientProviderError,
)
from reelforge.providers.aggregator import (
    NAMED,
    AggregatorAdapter,
    adapter_class,
    load_profiles,
    set_path,
)
from reelforge.sandbox.aggregator import AggregatorSandbox, AggregatorSandboxConfig
from reelforge.sandbox.server import LoopbackServer

T = TypeVar("T")
NAMES = sorted(load_profiles())
MODELS = {
    "atlas": "kwaivgi/kling-v3.0-std/text-to-video",
    "wavespeed": "kwaivgi/kling-v3.0-pro/text-to-video",
    "higgsfield": "kling-video/v2.1/pro/image-to-video",
    "aimlapi": "klingai/video-v3-pro-text-to-video",
}
ALL_ENV = [p.base_url_env for p in load_profiles().values()] + [
    n for p in load_profiles().values() for g in p.key_env_options for n in g
]


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(shot_id="s1", prompt=prompt, frames=120, fps=24)
    base.update(width=1280, height=720)
    base.update(kw)
    return ShotRequest(**base)


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ALL_ENV:
        monkeypatch.delenv(name, raising=False)


def sandbox(name: str, **kw: Any) -> AggregatorSandbox:
    cfg = AggregatorSandboxConfig(queue_seconds=0.05, processing_seconds=0.1, **kw)
    return AggregatorSandbox(name, cfg)


def adapter_for(sbx: AggregatorSandbox) -> AggregatorAdapter:
    return NAMED[sbx.profile.name](base_url=sbx.base_url, api_key=sbx.api_key)


async def full_run(
    adapter: AggregatorAdapter, request: ShotRequest, options: dict[str, Any], dest: Path
) -> tuple[TaskState, list[TaskState], list[Path]]:
    seen: list[TaskState] = []
    async with adapter:
        wire = adapter.build_request(request, options)
        handle = await adapter.ensure_submitted(wire)
        state = await adapter.wait(handle, interval=0.03, timeout=20, on_state=seen.append)
        paths = await adapter.download(state, dest) if isinstance(state, Succeeded) else []
    return state, seen, paths


@pytest.mark.parametrize("name", NAMES)
def test_every_aggregator_end_to_end(name: str, tmp_path: Path) -> None:
    with sandbox(name) as sbx:
        state, seen, paths = run(
            full_run(adapter_for(sbx), shot(), {"model_name": MODELS[name]}, tmp_path)
        )
        submit = next(r for r in sbx.log if r.method == "POST")
        polls = [r for r in sbx.log if r.method == "GET" and not r.path.startswith("/files/")]
    assert isinstance(state, Succeeded) and sbx.submits == 1
    assert any(isinstance(s, Queued | Running) for s in seen)
    p = sbx.profile
    # The family's shape: model in the path or in the body, auth header and scheme.
    if p.model_field:
        assert submit.path == p.submit_path and submit.json()[p.model_field] == MODELS[name]
    else:
        assert submit.path == p.submit_path.replace("{model}", MODELS[name])
        assert "model" not in submit.json()
    assert submit.headers["authorization"] == f"{p.auth_scheme} {sbx.api_key}"
    body = submit.json()
    assert body[p.fields.prompt] == "a lighthouse at dusk" and body[p.fields.duration] == 5
    assert polls and all(
        r.headers["authorization"] == submit.headers["authorization"] for r in polls
    )
    assert len(paths) == 1 and paths[0].read_bytes()[4:8] == b"ftyp"
    with av.open(str(paths[0])) as container:
        assert sum(1 for _ in container.decode(video=0)) == 5 * 8  # 5 s at the sandbox's 8 fps


def test_aimlapi_reports_credits_and_polls_by_query(tmp_path: Path) -> None:
    with sandbox("aimlapi", credits_per_second=3) as sbx:
        state, _, _ = run(
            full_run(adapter_for(sbx), shot(), {"model_name": MODELS["aimlapi"]}, tmp_path)
        )
        polls = [r for r in sbx.log if r.method == "GET" and r.path == "/v2/video/generations"]
    assert isinstance(state, Succeeded) and state.charge is not None and int(state.charge) == 15
    assert polls and polls[0].query == {"generation_id": state.handle.task_id}


@pytest.mark.parametrize("name", NAMES)
def test_every_status_spelling_maps_to_its_state(name: str) -> None:
    adapter = adapter_class(name)(api_key="k", base_url="http://127.0.0.1:9")
    p = adapter.profile
    handle = TaskHandle(name, "m", p.family, "t1")
    expected = {
        "queued": Queued,
        "running": Running,
        "succeeded": Succeeded,
        "failed": Failed,
        "moderated": Failed,
        "canceled": Canceled,
        "expired": Expired,
    }
    for spelling, normalised in p.status_map.items():
        data = set_path({}, p.status_path, spelling.upper())  # case does not matter
        url = "http://cdn.example/v.mp4"
        set_path(data, p.output_path, [url] if p.output_list else url)
        state = adapter.to_state(handle, data)
        assert isinstance(state, expected[normalised]), (spelling, state)
        if normalised == "moderated":
            assert isinstance(state, Failed) and isinstance(state.error, ModerationRejected)
            assert state.error.stage == "output"
        if normalised == "failed":
            assert isinstance(state, Failed) and type(state.error) is TaskFailed
    with pytest.raises(TransientProviderError, match="unknown"):
        adapter.to_state(handle, set_path({}, p.status_path, "dreaming"))
    done = set_path({}, p.status_path, p.spelling("succeeded"))
    empty = adapter.to_state(handle, done)  # succeeded with no output is a failure
    assert isinstance(empty, Failed) and isinstance(empty.error, TaskFailed)


def test_atlas_accepts_both_success_spellings(tmp_path: Path) -> None:
    with sandbox("atlas", success_spelling="succeeded") as sbx:
        state, _, _ = run(
            full_run(adapter_for(sbx), shot(), {"model_name": MODELS["atlas"]}, tmp_path)
        )
        task = sbx.task(state.handle.task_id)
    assert isinstance(state, Succeeded) and state.raw["data"]["status"] == "succeeded"
    assert task is not None and task.reads >= 1


@pytest.mark.parametrize("name", NAMES)
def test_base_url_and_key_from_each_env_var(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sandbox(name) as sbx:
        for var, value in sbx.env().items():
            monkeypatch.setenv(var, value)
        adapter = NAMED[name]()
        assert adapter.base_url == sbx.base_url
        assert sbx.profile.base_url_env == f"REELFORGE_{name.upper()}_BASE_URL"
        state, _, _ = run(full_run(adapter, shot(), {"model_name": MODELS[name]}, tmp_path))
    assert isinstance(state, Succeeded) and sbx.submits == 1
    monkeypatch.delenv(sbx.profile.base_url_env)
    assert NAMED[name]().base_url == sbx.profile.default_base_url.rstrip("/")


@pytest.mark.parametrize("name", NAMES)
def test_missing_key_names_the_env_var_and_the_command(name: str) -> None:
    with pytest.raises(MissingKey) as err:
        NAMED[name]()
    message = str(err.value)
    assert f"reel keys set {name}" in message
    for group in load_profiles()[name].key_env_options:
        for var in group:
            assert var in message


def test_higgsfield_key_pair_joins_as_id_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_API_KEY", "kid")
    monkeypatch.setenv("HF_API_SECRET", "ksecret")
    assert NAMED["higgsfield"]().auth_headers() == {"Authorization": "Key kid:ksecret"}
    monkeypatch.setenv("HF_KEY", "one:two")
    assert NAMED["higgsfield"]().auth_headers() == {"Authorization": "Key one:two"}
    assert "ksecret" not in repr(NAMED["higgsfield"]())


@pytest.mark.parametrize("name", NAMES)
def test_no_credentials_to_a_foreign_output_host(name: str, tmp_path: Path) -> None:
    with LoopbackServer("cdn") as cdn:
        cfg = AggregatorSandboxConfig(queue_seconds=0.02, processing_seconds=0.05)
        with AggregatorSandbox(name, cfg, cdn=cdn) as sbx:
            state, _, paths = run(
                full_run(adapter_for(sbx), shot(), {"model_name": MODELS[name]}, tmp_path)
            )
        downloads = cdn.requests_to("/files/")
        cdn_url = cdn.base_url
    assert isinstance(state, Succeeded) and state.outputs[0].url.startswith(cdn_url)
    assert paths and downloads
    assert all("authorization" not in r.headers for r in cdn.log)


def _frame(path: Path) -> Path:
    Image.new("RGB", (64, 36), (200, 40, 40)).save(path)
    return path


ATLAS = ("atlascloud", "atlas-predictions")
WAVESPEED = ("wavespeed", "wavespeed-predictions")
HIGGSFIELD = ("higgsfield", "higgsfield-queue")
AIMLAPI = ("aimlapi", "aimlapi-video")
# Every live aggregator route in the catalogue: (route id, aggregator, (provider, channel) as
# the catalogue spells them, image-to-video?, seconds sent for a 5 s shot).
ROUTES = [
    ("kling-v3-std@atlas", "atlas", ATLAS, False, 5),
    ("grok-imagine-video@atlas", "atlas", ATLAS, False, 5),
    ("kling-v3-pro@wavespeed", "wavespeed", WAVESPEED, False, 5),
    ("kling-v2.1-pro@higgsfield", "higgsfield", HIGGSFIELD, True, 5),
    ("seedance-1.0-pro@higgsfield", "higgsfield", HIGGSFIELD, True, 5),
    ("kling-v2.6-pro@aimlapi", "aimlapi", AIMLAPI, True, 5),
    ("kling-v3-pro@aimlapi", "aimlapi", AIMLAPI, False, 5),
    ("seedance-2.0@aimlapi", "aimlapi", AIMLAPI, False, 5),
    ("hailuo-2.3-fast@aimlapi", "aimlapi", AIMLAPI, False, 6),  # takes 6 or 10 s only
    ("grok-imagine-video@aimlapi", "aimlapi", AIMLAPI, False, 5),
]


def test_routes_cover_every_live_aggregator_route() -> None:
    from reelforge.catalogue import load_catalogue

    providers = {p.catalogue_provider for p in load_profiles().values()}
    live = {
        r.id
        for r in load_catalogue().routes
        if r.provider in providers and r.lifecycle.status != "retired"
    }
    assert live == {r[0] for r in ROUTES}


@pytest.fixture
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REELFORGE_POLL_SECONDS", "0.05")
    yield


@pytest.mark.parametrize(("route_id", "name", "key", "i2v", "seconds"), ROUTES)
def test_catalogue_route_renders_through_the_remote_generator(
    route_id: str,
    name: str,
    key: tuple[str, str],
    i2v: bool,
    seconds: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fast_polls: None,
) -> None:
    cls = NAMED[name]
    monkeypatch.setitem(remote.ADAPTERS, key, (cls.__module__, cls.__name__, ()))
    with sandbox(name, render_fps=24) as sbx:
        for var, value in sbx.env().items():
            monkeypatch.setenv(var, value)
        generator = remote.RemoteGenerator(route_id)
        assert (generator.route.provider, generator.route.channel) == key
        first = _frame(tmp_path / "first.png") if i2v else None
        request = shot(first_frame=first)
        clip = generator.render(request, tmp_path / "s.mp4")
        body = next(r for r in sbx.log if r.method == "POST").json()
    assert sbx.submits == 1 and body[sbx.profile.fields.duration] == seconds
    # The sandbox renders what was asked (6 s for Hailuo); the clip keeps its own length.
    assert probe(clip.path, count_frames=True).frames == seconds * 24
    assert clip.meta["provider"] == key[0]
    if first is not None:
        assert body[sbx.profile.fields.image].startswith("data:image/png;base64,")
