"""The Luma Agents adapter (ray-3.2) end to end against its sandbox over real loopback HTTP:
request shapes, the documented constraints, failure codes, statuses, limits and wiring."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from PIL import Image

from media_helpers import frame_count
from reelforge.catalogue import check, get_route
from reelforge.generators.base import ShotRequest
from reelforge.generators.remote import ADAPTERS, has_adapter
from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    ConcurrencyLimited,
    Failed,
    InvalidRequest,
    MissingKey,
    ModerationRejected,
    OutputExpired,
    QuotaExceeded,
    RateLimited,
    Running,
    Succeeded,
    TaskFailed,
    TaskHandle,
    TaskState,
    Unsupported,
)
from reelforge.providers.keys import store_key
from reelforge.providers.luma import LumaCredentials
from reelforge.providers.luma.agents import (
    DEFAULT_BASE_URL,
    FAILURE_CODES,
    LumaAgentsAdapter,
    failure_error,
)
from reelforge.sandbox.luma_agents import (
    API_VERSION,
    GENERATIONS,
    Fault,
    LumaAgentsSandbox,
    LumaAgentsSandboxConfig,
    check_body,
)
from reelforge.sandbox.server import LoopbackServer

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=120, fps=24, width=1280, height=720, model="ray-3.2"
    )
    base.update(kw)
    return ShotRequest(**base)


def png(tmp: Path, name: str = "frame") -> Path:
    path = tmp / f"{name}.png"
    Image.new("RGB", (160, 90), (200, 40, 40)).save(path)
    return path


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LUMA_AGENTS_API_KEY", "REELFORGE_LUMA_AGENTS_BASE_URL", "LUMA_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def luma() -> Iterator[LumaAgentsSandbox]:
    config = LumaAgentsSandboxConfig(queue_seconds=0.05, processing_seconds=0.15)
    with LumaAgentsSandbox(config) as sbx:
        yield sbx


def adapter_for(sbx: LumaAgentsSandbox, **kw: Any) -> LumaAgentsAdapter:
    return LumaAgentsAdapter(base_url=sbx.api_base, credentials=sbx.credentials(), **kw)


async def full_run(
    adapter: LumaAgentsAdapter,
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


def posted(sbx: LumaAgentsSandbox, n: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = [r for r in sbx.log if r.method == "POST"][n].json()
    return body


def build(request: ShotRequest, options: dict[str, Any] | None = None) -> Any:
    adapter = LumaAgentsAdapter(credentials=LumaAgentsSandbox().credentials())
    try:
        return adapter.build_request(request, options)
    finally:
        run(adapter.aclose())


# -- happy paths ----------------------------------------------------------------------------------


def test_text_to_video_end_to_end(luma: LumaAgentsSandbox, tmp_path: Path) -> None:
    state, seen, paths = run(full_run(adapter_for(luma), shot(), dest=tmp_path))
    assert isinstance(state, Succeeded) and state.charge is None  # no usage is reported
    assert {s.status for s in seen} >= {"queued", "running", "succeeded"}
    assert luma.submits == 1 and frame_count(paths[0]) == 5 * luma.config.render_fps
    submit = next(r for r in luma.log if r.method == "POST")
    assert submit.path == GENERATIONS and submit.status == 201
    assert submit.headers["authorization"] == f"Bearer {luma.config.api_key}"
    assert "x-api-version" not in submit.headers  # informational: answered, never sent
    assert posted(luma) == {
        "model": "ray-3.2",
        "type": "video",
        "prompt": "a lighthouse at dusk",
        "aspect_ratio": "16:9",
        "video": {"resolution": "720p", "duration": "5s"},
    }
    assert state.outputs[0].expires_at is not None


def test_every_answer_carries_the_api_version_and_request_id(luma: LumaAgentsSandbox) -> None:
    async def go() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        async with httpx.AsyncClient() as client:
            auth = {"Authorization": f"Bearer {luma.config.api_key}"}
            body = {"model": "ray-3.2", "type": "video", "prompt": "a kite"}
            ok = await client.post(luma.api_base + "/generations", json=body, headers=auth)
            bad = await client.get(luma.api_base + "/generations/nope", headers=auth)
            echo = await client.get(
                luma.api_base + "/generations/nope", headers={**auth, "X-Request-Id": "rq-7"}
            )
            return ok, bad, echo

    ok, bad, echo = run(go())
    assert ok.status_code == 201 and ok.json()["state"] == "queued" and ok.json()["type"] == "video"
    assert ok.headers["X-RateLimit-Limit"] == str(luma.config.rpm_limit)
    assert ok.headers["X-RateLimit-Remaining"] == str(luma.config.rpm_limit - 1)
    assert bad.status_code == 404 and bad.json() == {"detail": "Generation not found"}
    for resp in (ok, bad):
        assert resp.headers["X-API-Version"] == API_VERSION and resp.headers["X-Request-Id"]
    assert echo.headers["X-Request-Id"] == "rq-7"


def test_image_to_video_sends_frames_inline(luma: LumaAgentsSandbox, tmp_path: Path) -> None:
    first, last = png(tmp_path, "first"), png(tmp_path, "last")
    request = shot(first_frame=first, last_frame=last, frames=200)  # 8.3 s, only 5 s with frames
    with pytest.raises(InvalidRequest, match=r"duration 8\.33 s"):
        build(request)
    state, _, _ = run(full_run(adapter_for(luma), shot(first_frame=first, last_frame=last)))
    assert isinstance(state, Succeeded)
    video = posted(luma)["video"]
    assert video["start_frame"] == {
        "data": base64.b64encode(first.read_bytes()).decode(),
        "media_type": "image/png",
    }
    assert video["end_frame"]["media_type"] == "image/png" and video["duration"] == "5s"
    gen = luma.generation(state.handle.task_id)
    assert gen is not None and set(gen.frames) == {"start_frame", "end_frame"}


def test_hosted_frames_and_extension_by_generation_id(
    luma: LumaAgentsSandbox, tmp_path: Path
) -> None:
    first, _, _ = run(full_run(adapter_for(luma), shot()))
    assert isinstance(first, Succeeded)
    opts = {"start_frame_generation_id": first.handle.task_id, "end_frame_url": "https://x.y/b.png"}
    state, _, paths = run(full_run(adapter_for(luma), shot("the beam sweeps on"), opts, tmp_path))
    assert isinstance(state, Succeeded) and paths[0].exists()
    assert posted(luma, 1)["video"]["start_frame"] == {"generation_id": first.handle.task_id}
    assert posted(luma, 1)["video"]["end_frame"] == {"url": "https://x.y/b.png"}
    with pytest.raises(InvalidRequest, match="no completed video generation"):
        run(full_run(adapter_for(luma), shot(), {"start_frame_generation_id": "unknown"}))


def test_ten_seconds_vertical_1080p(luma: LumaAgentsSandbox, tmp_path: Path) -> None:
    request = shot(frames=9 * 24, width=1080, height=1920)
    state, _, paths = run(full_run(adapter_for(luma), request, dest=tmp_path))
    assert isinstance(state, Succeeded) and frame_count(paths[0]) == 10 * luma.config.render_fps
    body = posted(luma)
    assert (body["aspect_ratio"], body["video"]) == (
        "9:16",
        {"resolution": "1080p", "duration": "10s"},
    )
    assert any("sent as 10s" in w for w in build(request).warnings)


def test_shape_choices_and_warnings() -> None:
    wide = build(shot(width=2560, height=1080, sound="waves", seed=7))
    assert wide.body["aspect_ratio"] == "21:9" and wide.body["video"]["resolution"] == "1080p"
    text = " | ".join(wide.warnings)
    assert "sent as 21:9" in text and "silent" in text and "no seed" in text
    small = build(shot(width=640, height=360))
    assert small.body["video"]["resolution"] == "540p" and small.body["aspect_ratio"] == "16:9"
    assert build(shot(model="luma-ray-3.2")).model == "ray-3.2"
    odd = build(shot(model="ray-2"))
    assert odd.model == "ray-3.2" and "not a Luma Agents video model" in odd.warnings[0]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"hdr": True, "resolution": "540p"}, "hdr: needs 720p"),
        ({"exr_export": True}, "exr_export: requires hdr"),
        ({"loop": True, "duration": "10s"}, "duration 10s is text-to-video only"),
        ({"operation": "edit"}, "needs source_generation_id or source_url"),
        ({"operation": "edit", "source_url": "https://v/a.mp4", "loop": True}, "loop: only"),
        ({"start_frame_url": "file:///a.png"}, "start_frame_url must be an http"),
        ({"edit_strength": "flex_9"}, "edit_strength"),
        ({"nope": 1}, "nope"),
    ],
)
def test_bad_options_are_refused_before_spending(options: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        build(shot(), options)
    assert words in str(info.value) and info.value.provider == "luma-agents"


def test_prompt_limits() -> None:
    with pytest.raises(InvalidRequest, match="prompt: 6001 characters"):
        build(shot("x" * 6001))
    with pytest.raises(InvalidRequest, match="needs a prompt"):
        build(shot(" "))


def test_edit_and_reframe_follow_the_source(luma: LumaAgentsSandbox, tmp_path: Path) -> None:
    source, _, _ = run(full_run(adapter_for(luma), shot(frames=10 * 24)))
    assert isinstance(source, Succeeded)
    src = source.handle.task_id
    edit_opts = {"operation": "edit", "source_generation_id": src, "edit_strength": "flex_2"}
    edited, _, paths = run(full_run(adapter_for(luma), shot("moonlit film"), edit_opts, tmp_path))
    assert isinstance(edited, Succeeded) and edited.handle.route == "video_edit"
    assert frame_count(paths[0]) == 10 * luma.config.render_fps  # the source's length
    body = posted(luma, 1)
    assert body["source"] == {"generation_id": src} and body["video"]["edit"] == {
        "strength": "flex_2"
    }
    assert "aspect_ratio" not in body and "duration" not in body["video"]
    reframe = {"operation": "reframe", "source_generation_id": src, "aspect_ratio": "21:9"}
    framed, _, _ = run(full_run(adapter_for(luma), shot("wider"), reframe))
    assert isinstance(framed, Succeeded) and posted(luma, 2)["aspect_ratio"] == "21:9"
    auto = build(shot(), {"operation": "edit", "source_url": "https://v/a.mp4"})
    assert auto.body["source"] == {"url": "https://v/a.mp4", "media_type": "video/mp4"}
    assert auto.body["video"]["edit"] == {"auto_controls": True}
    with pytest.raises(InvalidRequest, match="not yet offered for a 9:16 reframe"):
        build(
            shot(width=1080, height=1920), {**reframe, "aspect_ratio": None, "resolution": "1080p"}
        )


# -- failures -------------------------------------------------------------------------------------


def test_moderation_is_asynchronous_with_a_stage(luma: LumaAgentsSandbox) -> None:
    early, seen, _ = run(full_run(adapter_for(luma), shot("a forbidden scene")))
    assert isinstance(early, Failed) and isinstance(early.error, ModerationRejected)
    assert early.error.stage == "input" and early.error.code == "content_moderated"
    assert not any(isinstance(s, Running) for s in seen)  # blocked before processing
    late, seen, _ = run(full_run(adapter_for(luma), shot("contraband crates")))
    assert isinstance(late, Failed) and isinstance(late.error, ModerationRejected)
    assert late.error.stage == "output" and any(isinstance(s, Running) for s in seen)
    assert late.raw["failure_code"] == "content_moderated"


@pytest.mark.parametrize("code", sorted(FAILURE_CODES))
def test_failure_code_table(code: str) -> None:
    error = failure_error(code, "why", provider="luma-agents", model="ray-3.2", task_id="t")
    assert type(error) is FAILURE_CODES[code] and error.code == code and "why" in error.message
    assert type(failure_error(None, None)) is TaskFailed
    assert type(failure_error("brand_new_code", "?")) is TaskFailed


@pytest.mark.parametrize(
    ("code", "cls"),
    [("budget_exhausted", QuotaExceeded), ("generation_failed", TaskFailed),
     ("corrupt_input", InvalidRequest), ("rate_limited", RateLimited)],
)  # fmt: skip
def test_failed_generation_end_to_end(
    luma: LumaAgentsSandbox, code: str, cls: type[Exception]
) -> None:
    async def go() -> TaskState:
        async with adapter_for(luma) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            gen = luma.generation(handle.task_id)
            assert gen is not None
            gen.state, gen.failure_code, gen.failure_reason = "failed", code, "scripted"
            return await adapter.wait(handle, interval=0.03, timeout=10)

    state = run(go())
    assert isinstance(state, Failed) and type(state.error) is cls
    assert state.error is not None and state.error.task_id == state.handle.task_id


def test_completed_without_video_is_a_failure(luma: LumaAgentsSandbox) -> None:
    adapter = adapter_for(luma)
    state, _, _ = run(full_run(adapter, shot()))
    assert isinstance(state, Succeeded)
    empty = adapter.to_state(state.handle, {"state": "completed", "output": []})
    assert isinstance(empty, Failed) and isinstance(empty.error, TaskFailed)


@pytest.mark.parametrize(
    ("fault", "cls"),
    [(Fault(400, "bad"), InvalidRequest), (Fault(401, "Invalid API key"), AuthError),
     (Fault(402, "Insufficient balance"), QuotaExceeded), (Fault(403, "suspended"), AuthError),
     (Fault(413, "too big"), InvalidRequest), (Fault(422, "combination"), InvalidRequest),
     (Fault(429, "Too many concurrent jobs"), ConcurrencyLimited),
     (Fault(502, "upstream"), AmbiguousSubmit), (Fault(503, "ingestion"), AmbiguousSubmit)],
)  # fmt: skip
def test_submit_status_table(luma: LumaAgentsSandbox, fault: Fault, cls: type[Exception]) -> None:
    luma.inject(fault)
    with pytest.raises(cls) as info:
        run(full_run(adapter_for(luma), shot()))
    assert luma.submits == 1  # never resubmitted
    assert getattr(info.value, "status", None) == fault.status


def test_real_limits_answer_429(tmp_path: Path) -> None:
    config = LumaAgentsSandboxConfig(processing_seconds=5.0, max_concurrent=1, rpm_limit=2)
    with LumaAgentsSandbox(config) as sbx:

        async def go() -> list[Exception]:
            errors: list[Exception] = []
            async with adapter_for(sbx) as adapter:
                await adapter.submit(adapter.build_request(shot()))
                for _ in range(3):  # busy; then accepted (2 of 2 this minute); then limited
                    try:
                        await adapter.submit(adapter.build_request(shot()))
                    except (ConcurrencyLimited, RateLimited) as exc:
                        errors.append(exc)
                    sbx.config.max_concurrent = None
            return errors

        busy, rpm = run(go())
    assert isinstance(busy, ConcurrencyLimited) and busy.retryable
    assert isinstance(rpm, RateLimited) and rpm.retry_after is not None and rpm.retry_after > 0
    assert len(sbx.generations) == 2


def test_oversized_inline_media_is_413(tmp_path: Path) -> None:
    config = LumaAgentsSandboxConfig(max_media_bytes=10)
    with LumaAgentsSandbox(config) as sbx, pytest.raises(InvalidRequest) as info:
        run(full_run(adapter_for(sbx), shot(first_frame=png(tmp_path))))
    assert info.value.status == 413 and "exceeds" in info.value.message


def test_wrong_key_and_unknown_generation(luma: LumaAgentsSandbox) -> None:
    bad = LumaAgentsAdapter(base_url=luma.api_base, credentials=LumaCredentials("luma-api-x"))
    with pytest.raises(AuthError):
        run(full_run(bad, shot()))

    async def poll_unknown() -> None:
        async with adapter_for(luma) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            await adapter.poll(TaskHandle(handle.provider, handle.model, handle.route, "gone"))

    with pytest.raises(InvalidRequest) as info:
        run(poll_unknown())
    assert info.value.status == 404 and info.value.task_id == "gone"


def test_ambiguous_submit_is_never_resubmitted(luma: LumaAgentsSandbox) -> None:
    luma.inject(Fault(500, "boom", after_create=True))

    async def go() -> None:
        async with adapter_for(luma) as adapter:
            wire = adapter.build_request(shot(), idempotency_key="rf-amb")
            with pytest.raises(AmbiguousSubmit):
                await adapter.submit(wire)
            with pytest.raises(AmbiguousSubmit, match="cannot be reconciled"):
                await adapter.ensure_submitted(wire)

    run(go())
    assert luma.submits == 1 and len(luma.generations) == 1  # it exists: paying twice avoided


def test_in_process_reattach(luma: LumaAgentsSandbox) -> None:
    async def go() -> tuple[str, str]:
        async with adapter_for(luma) as adapter:
            wire = adapter.build_request(shot(), idempotency_key="rf-1")
            first = await adapter.ensure_submitted(wire)
            again = await adapter.ensure_submitted(wire)
            return first.task_id, again.task_id

    first, again = run(go())
    assert first == again and luma.submits == 1


def test_cancel_is_unsupported_without_a_call(luma: LumaAgentsSandbox) -> None:
    async def go() -> None:
        async with adapter_for(luma) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            before = len(luma.log)
            with pytest.raises(Unsupported):
                await adapter.cancel(handle)
            assert len(luma.log) == before

    run(go())


# -- outputs --------------------------------------------------------------------------------------


def test_expired_url_is_signed_afresh_then_output_expired(
    luma: LumaAgentsSandbox, tmp_path: Path
) -> None:
    async def go() -> list[Path]:
        async with adapter_for(luma) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            state = await adapter.wait(handle, interval=0.03, timeout=20)
            assert isinstance(state, Succeeded)
            luma.expire_files()
            paths = await adapter.download(state, tmp_path / "fresh")
            luma.config.url_ttl = 0.0
            luma.expire_files()
            with pytest.raises(OutputExpired):
                await adapter.download(state, tmp_path / "stale")
            return paths

    assert run(go())[0].read_bytes()[4:8] == b"ftyp"
    gets = [r.path for r in luma.log if r.path.startswith("/files/")]
    assert len(gets) == 4 and len(set(gets)) == 3  # stale, fresh; stale, fresh-but-stale


def test_no_credentials_to_a_foreign_output_host(tmp_path: Path) -> None:
    with LoopbackServer("cdn") as cdn, LumaAgentsSandbox(cdn=cdn) as sbx:
        state, _, paths = run(full_run(adapter_for(sbx), shot(), dest=tmp_path))
        assert isinstance(state, Succeeded) and paths[0].exists()
        assert state.outputs[0].url.startswith(cdn.base_url)
        assert cdn.log and all("authorization" not in r.headers for r in cdn.log)


# -- the sandbox's own contract -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [({"model": "ray-3.2", "type": "image", "prompt": "x"}, 400, "video generations only"),
     ({"model": "uni-1", "type": "video", "prompt": "x"}, 400, "use ray-3.2"),
     ({"model": "ray-3.2", "type": "video", "prompt": "x", "extra": 1}, 422, "extra"),
     ({"model": "ray-3.2", "type": "video", "prompt": "x", "aspect_ratio": "9:21"}, 400, "9:21"),
     ({"model": "ray-3.2", "type": "video_reframe", "prompt": "x",
       "source": {"url": "https://v/a.mp4", "media_type": "video/mp4"}}, 400, "target"),
     ({"model": "ray-3.2", "type": "video_edit", "prompt": "x",
       "source": {"url": "https://v/a.mp4"}}, 422, "media_type"),
     ({"model": "ray-3.2", "type": "video_edit", "prompt": "x",
       "source": {"url": "https://v/a.mp4", "media_type": "video/mp4"},
       "video": {"edit": {"auto_controls": True, "strength": "flex_1"}}}, 422, "exclusive"),
     ({"model": "ray-3.2", "type": "video", "prompt": "x",
       "video": {"start_frame": {"data": "%%%", "media_type": "image/png"}}}, 422, "base64"),
     ({"model": "ray-3.2", "type": "video", "prompt": "x",
       "video": {"hdr": True, "resolution": "540p"}}, 422, "720p or 1080p")],
)  # fmt: skip
def test_sandbox_validation(body: dict[str, Any], status: int, words: str) -> None:
    problem = check_body(body, {}, 1024)
    assert problem is not None and problem[0] == status and words in problem[1]


# -- wiring ---------------------------------------------------------------------------------------


def test_wired_for_the_agents_channel() -> None:
    assert has_adapter("luma", "luma-agents-api", "ray-3.2")
    assert ADAPTERS[("luma", "luma-agents-api")][:2] == (
        "reelforge.providers.luma.agents",
        "LumaAgentsAdapter",
    )
    route = get_route("luma-ray-3.2")
    assert (route.provider, route.channel, route.api_version) == (
        "luma",
        "luma-agents-api",
        API_VERSION,
    )


def test_catalogue_keeps_anchored_shots_at_five_seconds(tmp_path: Path) -> None:
    route = get_route("luma-ray-3.2")
    plain = check(route, shot(frames=10 * 24, model=route.id))
    assert plain.ok and plain.settings is not None and plain.settings.duration_s == 10
    anchored = check(route, shot(frames=10 * 24, model=route.id, first_frame=png(tmp_path)))
    assert not anchored.ok and any(r.field == "duration" for r in anchored.refusals)


def test_host_key_and_override(luma: LumaAgentsSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MissingKey) as info:
        LumaAgentsAdapter()
    text = str(info.value)
    assert "LUMA_AGENTS_API_KEY" in text and "reel keys set luma-agents" in text
    store_key("LUMA_AGENTS_API_KEY", "luma-api-stored")
    assert LumaAgentsAdapter().credentials.api_key == "luma-api-stored"
    assert "luma-api-stored" not in repr(LumaAgentsAdapter().credentials)
    assert LumaAgentsAdapter().base_url == DEFAULT_BASE_URL == "https://agents.lumalabs.ai/v1"
    monkeypatch.setenv("REELFORGE_LUMA_AGENTS_BASE_URL", luma.api_base + "/")
    monkeypatch.setenv("LUMA_AGENTS_API_KEY", luma.config.api_key)
    state, _, _ = run(full_run(LumaAgentsAdapter(), shot()))
    assert isinstance(state, Succeeded) and luma.submits == 1


def test_route_renders_in_the_session(tmp_path: Path) -> None:
    from reelforge.generators.registry import get_generator
    from reelforge.media.probe import probe
    from reelforge.sandbox.session import sandboxes

    with sandboxes(render_fps=24) as running:
        clip = get_generator("luma-ray-3.2").render(shot(model="luma-ray-3.2"), tmp_path / "c.mp4")
        agents, legacy = running["luma-agents"], running["luma"]
        submits = (agents.submits, legacy.submits)  # type: ignore[attr-defined]
    assert submits == (1, 0)  # the Agents host got it, not Dream Machine
    assert clip.meta["provider"] == "luma" and clip.meta["charge"] is None
    assert probe(clip.path).video_codec == "h264"
