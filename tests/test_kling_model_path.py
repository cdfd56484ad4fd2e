"""Kling's model-path API: the request body, and the adapter end to end against its sandbox over
real loopback HTTP (auth, states, billing, idempotency, reconciliation, batch polling, expiry)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Coroutine, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import av
import httpx
import pydantic
import pytest
from PIL import Image

from reelforge.generators.base import ShotRequest, TimedLine
from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    ConcurrencyLimited,
    Failed,
    InvalidRequest,
    MissingKey,
    ModerationRejected,
    OutputExpired,
    Queued,
    Running,
    Succeeded,
    TaskHandle,
    TaskState,
)
from reelforge.providers.kling import KlingCredentials, encode_jwt
from reelforge.providers.kling.model_path import (
    DEFAULT_BASE_URL,
    KlingModelPathAdapter,
    units_charged,
)
from reelforge.sandbox.kling import Fault
from reelforge.sandbox.kling_model_path import (
    KlingModelPathSandbox,
    KlingModelPathSandboxConfig,
)

T = TypeVar("T")
ENV = (
    "KLING_API_KEY",
    "KLING_ACCESS_KEY",
    "KLING_SECRET_KEY",
    "REELFORGE_KLING_BASE_URL",
    "REELFORGE_KLING_MODEL_PATH_BASE_URL",
)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=120, fps=24, width=1280, height=720, model="kling-3.0"
    )
    return ShotRequest(**{**base, **kw})


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def kling() -> Iterator[KlingModelPathSandbox]:
    config = KlingModelPathSandboxConfig(queue_seconds=0.05, processing_seconds=0.15)
    with KlingModelPathSandbox(config) as sbx:
        yield sbx


def adapter_for(sbx: KlingModelPathSandbox, **kw: Any) -> KlingModelPathAdapter:
    return KlingModelPathAdapter(base_url=sbx.base_url, credentials=sbx.credentials(), **kw)


def offline() -> KlingModelPathAdapter:
    return KlingModelPathAdapter(base_url="http://127.0.0.1:9", credentials=KlingCredentials("k"))


def frames(tmp: Path, size: tuple[int, int] = (320, 180)) -> tuple[Path, Path]:
    first, last = tmp / "first.png", tmp / "last.png"
    Image.new("RGB", size, (200, 30, 30)).save(first)
    Image.new("RGB", size, (30, 30, 200)).save(last)
    return first, last


async def finish(
    adapter: KlingModelPathAdapter, request: ShotRequest, options: dict[str, Any] | None = None
) -> TaskState:
    async with adapter:
        wire = adapter.build_request(request, options, idempotency_key=f"job-{request.shot_id}")
        handle = await adapter.submit(wire)
        return await adapter.wait(handle, interval=0.03, timeout=30)


# -- the body -----------------------------------------------------------------------------------


def test_text_to_video_body_is_the_model_path_contract() -> None:
    wire = offline().build_request(shot(), {"model_name": "kling-3.0"}, idempotency_key="rf-1")
    assert (wire.method, wire.path, wire.route) == (
        "POST",
        "/text-to-video/kling-3.0",
        "text-to-video",
    )
    assert set(wire.body) == {"prompt", "settings", "options"}  # no model_name, mode, sound
    assert wire.body["settings"] == {
        "resolution": "720p",
        "duration": 5,  # an integer, not v1's "5"
        "multi_shot": False,  # the wire default is true: one shot unless asked
        "audio": "off",
        "aspect_ratio": "16:9",
    }
    assert wire.body["options"] == {"external_task_id": "rf-1"}
    assert wire.idempotency_key == "rf-1"


def test_image_to_video_body_carries_typed_contents(tmp_path: Path) -> None:
    first, last = frames(tmp_path)
    wire = offline().build_request(shot(first_frame=first, last_frame=last, width=720, height=1280))
    contents = wire.body["contents"]
    assert [c["type"] for c in contents] == ["prompt", "first_frame", "last_frame"]
    assert base64.b64decode(contents[1]["url"]) == first.read_bytes()
    assert base64.b64decode(contents[2]["url"]) == last.read_bytes()
    assert "aspect_ratio" not in wire.body["settings"]  # the first frame sets the shape
    assert wire.path == "/image-to-video/kling-3.0" and "prompt" not in wire.body


@pytest.mark.parametrize(
    ("size", "want"),
    [((640, 360), "720p"), ((1280, 720), "720p"), ((1920, 1080), "1080p"), ((3840, 2160), "4k")],
)
def test_resolution_follows_the_shot_size(size: tuple[int, int], want: str) -> None:
    wire = offline().build_request(shot(width=size[0], height=size[1]))
    assert wire.body["settings"]["resolution"] == want


def test_sound_dialogue_and_duration_rounding() -> None:
    line = TimedLine(speaker="Ana", text="Look!", start=0.0, end=1.0)
    wire = offline().build_request(shot(frames=100, dialogue=(line,)))  # 4.17 s
    assert wire.body["settings"]["audio"] == "native"
    assert 'Ana says: "Look!"' in wire.body["prompt"]
    assert wire.body["settings"]["duration"] == 5 and any("sent as 5" in w for w in wire.warnings)
    muted = offline().build_request(shot(dialogue=(line,)), {"sound": False})
    assert muted.body["settings"]["audio"] == "off" and "Ana says" not in muted.body["prompt"]


def test_multi_prompt_is_kling_shot_syntax() -> None:
    shots = [{"prompt": "wide harbour", "duration": 2}, {"prompt": "close gull", "duration": 3}]
    wire = offline().build_request(shot(), {"multi_prompt": shots})
    assert wire.body["prompt"] == "shot 1, 2, wide harbour; shot 2, 3, close gull;"
    assert wire.body["settings"]["multi_shot"] is True
    with pytest.raises(InvalidRequest, match="sum to 5 s, the clip is 6 s"):
        offline().build_request(shot(frames=144), {"multi_prompt": shots})


def test_elements_are_image_to_video_only(tmp_path: Path) -> None:
    first, _ = frames(tmp_path)
    elements = [{"element_id": "163", "name": "Zhang"}]
    with pytest.raises(InvalidRequest, match="image-to-video only"):
        offline().build_request(shot(), {"elements": elements})
    wire = offline().build_request(shot("@Zhang waves", first_frame=first), {"elements": elements})
    assert wire.body["contents"][-1] == {"type": "element", "element_id": "163", "id": "Zhang"}
    assert not wire.warnings
    unnamed = offline().build_request(shot(first_frame=first), {"elements": elements})
    assert any("@Zhang is not named" in w for w in unnamed.warnings)


@pytest.mark.parametrize(
    ("options", "kw", "message"),
    [
        ({"model_name": "kling-v3"}, {}, "unknown Kling model-path model 'kling-v3'"),
        ({"resolution": "1080p", "duration": 16}, {}, "longer than kling-3.0 can make"),
        ({}, {"prompt": "x" * 3073}, "prompt is 3073 characters; Kling takes 3072"),
        ({"image_tail_url": "https://cdn.test/b.png"}, {}, "last_frame needs a first_frame"),
    ],
)
def test_bad_requests_are_refused_before_sending(
    options: dict[str, Any], kw: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message.replace("(", r"\(")):
        offline().build_request(shot(**kw), options)


def test_v1_options_are_refused_by_name() -> None:
    with pytest.raises(pydantic.ValidationError, match="mode"):
        offline().build_request(shot(), {"mode": "pro"})


def test_units_charged_reads_unit_billing_only() -> None:
    unit = {"charge_type": "unit", "amount": "1.5", "package_type": "video"}
    cash = {"charge_type": "cash", "amount": "0.42", "currency": "USD"}
    assert units_charged([unit, unit]) == Decimal("3.0")
    assert units_charged([cash]) is None and units_charged([unit, cash]) is None
    assert units_charged([]) is None and units_charged(None) is None


# -- auth and hosts -----------------------------------------------------------------------------


def test_api_key_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLING_ACCESS_KEY", "ak")
    monkeypatch.setenv("KLING_SECRET_KEY", "sk")
    with pytest.raises(MissingKey, match="KLING_API_KEY"):
        KlingModelPathAdapter()
    with pytest.raises(ValueError, match="API key only"):
        KlingModelPathAdapter(credentials=KlingCredentials(access_key="ak", secret_key="sk"))


def test_base_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLING_API_KEY", "k")
    assert KlingModelPathAdapter().base_url == DEFAULT_BASE_URL
    monkeypatch.setenv("REELFORGE_KLING_BASE_URL", "http://relay.test/")
    assert KlingModelPathAdapter().base_url == "http://relay.test"  # the same host as v1
    monkeypatch.setenv("REELFORGE_KLING_MODEL_PATH_BASE_URL", "http://127.0.0.1:5")
    assert KlingModelPathAdapter().base_url == "http://127.0.0.1:5"


def test_a_jwt_is_refused_with_1002(kling: KlingModelPathSandbox) -> None:
    token = encode_jwt("ak", "sk")
    adapter = KlingModelPathAdapter(base_url=kling.base_url, credentials=KlingCredentials(token))

    async def go() -> None:
        async with adapter:
            await adapter.submit(adapter.build_request(shot()))

    with pytest.raises(AuthError, match="does not support AK/SK") as info:
        run(go())
    assert info.value.code == 1002 and not kling.tasks


# -- end to end ---------------------------------------------------------------------------------


def test_text_to_video_submit_poll_download(kling: KlingModelPathSandbox, tmp_path: Path) -> None:
    seen: list[TaskState] = []

    async def go() -> tuple[Succeeded, list[Path]]:
        async with adapter_for(kling) as adapter:
            handle = await adapter.submit(adapter.build_request(shot(), idempotency_key="rf-a"))
            state = await adapter.wait(handle, interval=0.03, timeout=30, on_state=seen.append)
            assert isinstance(state, Succeeded), state
            return state, await adapter.download(state, tmp_path)

    state, paths = run(go())
    assert any(isinstance(s, Queued | Running) for s in seen)  # it went through the states
    with av.open(str(paths[0])) as container:
        assert sum(1 for _ in container.decode(video=0)) == 5 * kling.config.render_fps
    assert state.charge == Decimal("3.0")  # 0.6 units/s at 720p silent, from billing[]
    assert state.outputs[0].expires_at is not None and state.outputs[0].duration == 5.0
    posts = [r for r in kling.log if r.method == "POST"]
    assert [r.headers["authorization"] for r in posts] == ["Bearer sandbox-api-key"]
    gets = {r.path for r in kling.log if r.method == "GET" and not r.path.startswith("/files/")}
    assert gets == {"/tasks"}  # one query endpoint for every task


def test_image_to_video_1080p_with_audio_is_billed_by_its_row(
    kling: KlingModelPathSandbox, tmp_path: Path
) -> None:
    first, last = frames(tmp_path, (640, 360))
    request = shot(first_frame=first, last_frame=last, width=1920, height=1080, sound="surf")
    state = run(finish(adapter_for(kling), request))
    assert isinstance(state, Succeeded)
    assert state.charge == Decimal("6.0")  # 1.2 units/s x 5 s
    assert state.raw["billing"] == [
        {"charge_type": "unit", "amount": "6.0", "package_type": "video"}
    ]


def test_cash_billing_reports_no_unit_charge(tmp_path: Path) -> None:
    with KlingModelPathSandbox(KlingModelPathSandboxConfig(charge_type="cash")) as sbx:
        state = run(finish(adapter_for(sbx), shot()))
    assert (
        isinstance(state, Succeeded) and state.charge is None
    )  # money, not units: the quote stands
    assert state.raw["billing"][0]["currency"] == "USD"


def test_moderation_at_submit_and_late(kling: KlingModelPathSandbox) -> None:
    with pytest.raises(ModerationRejected) as info:
        run(finish(adapter_for(kling), shot("a forbidden thing")))
    assert info.value.stage == "input" and info.value.code == 1301 and not kling.tasks
    state = run(finish(adapter_for(kling), shot("a contraband crate")))
    assert isinstance(state, Failed) and isinstance(state.error, ModerationRejected)
    assert state.error.stage == "output" and state.error.payload["status"] == "failed"


def test_concurrency_limit_refuses_without_creating() -> None:
    config = KlingModelPathSandboxConfig(concurrency_limit=1, processing_seconds=30)
    with KlingModelPathSandbox(config) as sbx:

        async def go() -> None:
            async with adapter_for(sbx) as adapter:
                await adapter.submit(adapter.build_request(shot(shot_id="a")))
                await adapter.submit(adapter.build_request(shot(shot_id="b")))

        with pytest.raises(ConcurrencyLimited):
            run(go())
        assert len(sbx.tasks) == 1


def test_expired_output_url(kling: KlingModelPathSandbox, tmp_path: Path) -> None:
    async def go() -> None:
        async with adapter_for(kling) as adapter:
            state = await adapter.wait(
                await adapter.submit(adapter.build_request(shot())), interval=0.03
            )
            assert isinstance(state, Succeeded)
            kling.expire_files()
            await adapter.download(state, tmp_path)

    with pytest.raises(OutputExpired):
        run(go())


# -- idempotency and reconciliation ---------------------------------------------------------------


def test_ensure_submitted_twice_creates_one_task(kling: KlingModelPathSandbox) -> None:
    async def go() -> tuple[TaskHandle, TaskHandle]:
        async with adapter_for(kling) as adapter:
            wire = adapter.build_request(shot(), idempotency_key="rf-once")
            return await adapter.ensure_submitted(wire), await adapter.ensure_submitted(wire)

    one, two = run(go())
    assert one.task_id == two.task_id and len(kling.tasks) == 1
    assert kling.submits["rf-once"] == 1
    queries = [r.query for r in kling.log if r.method == "GET"]
    assert {"external_task_ids": "rf-once"} in queries  # looked up by our key first


def test_ambiguous_submit_is_found_again_by_key(kling: KlingModelPathSandbox) -> None:
    kling.inject(Fault(500, 5000, "server error", after_create=True))

    async def go() -> TaskHandle | None:
        async with adapter_for(kling) as adapter:
            wire = adapter.build_request(shot(), idempotency_key="rf-lost")
            with pytest.raises(AmbiguousSubmit) as info:
                await adapter.submit(wire)
            assert info.value.idempotency_key == "rf-lost"
            return await adapter.find_submitted(wire, since=0)

    found = run(go())
    assert found is not None and list(kling.tasks) == [found.task_id]
    assert kling.submits["rf-lost"] == 1


def test_resubmit_of_a_landed_request_attaches_instead_of_failing(
    kling: KlingModelPathSandbox,
) -> None:
    async def go() -> tuple[TaskHandle, TaskHandle]:
        async with adapter_for(kling) as adapter:
            wire = adapter.build_request(shot(), idempotency_key="rf-dup")
            return await adapter.submit(wire), await adapter.submit(wire)

    first, second = run(go())
    assert first.task_id == second.task_id and len(kling.tasks) == 1
    refused = [r for r in kling.log if r.method == "POST" and r.status == 400]
    assert len(refused) == 1  # Kling said 1201 "already exists"; the adapter looked it up


def test_lookup_of_a_key_never_sent_is_none(kling: KlingModelPathSandbox) -> None:
    async def go() -> TaskHandle | None:
        async with adapter_for(kling) as adapter:
            return await adapter.reconcile(adapter.build_request(shot(), idempotency_key="rf-no"))

    assert run(go()) is None


# -- polling ------------------------------------------------------------------------------------


def test_poll_many_asks_twenty_ids_a_request() -> None:
    config = KlingModelPathSandboxConfig(concurrency_limit=100, render_fps=2)
    with KlingModelPathSandbox(config) as sbx:

        async def go() -> tuple[list[TaskHandle], dict[str, TaskState]]:
            async with adapter_for(sbx) as adapter:
                handles = [
                    await adapter.submit(adapter.build_request(shot(shot_id=f"s{i}")))
                    for i in range(25)
                ]
                gone = TaskHandle("kling", "kling-3.0", "text-to-video", "123")
                before = len(sbx.log)
                states = await adapter.poll_many([*handles, gone])
                assert len(sbx.log) - before == 2  # 26 ids: 20 + 6
                return handles, states

        handles, states = run(go())
    assert set(states) == {h.task_id for h in handles}  # the unknown id is left out
    assert all(isinstance(s, Succeeded) for s in states.values())


def test_polling_an_unknown_task_is_not_an_expiry(kling: KlingModelPathSandbox) -> None:
    async def go() -> TaskState:
        async with adapter_for(kling) as adapter:
            return await adapter.poll(TaskHandle("kling", "kling-3.0", "text-to-video", "42"))

    with pytest.raises(InvalidRequest, match="lists no such task") as info:
        run(go())
    assert info.value.task_id == "42"


# -- the sandbox's own contract -----------------------------------------------------------------


def call(sbx: KlingModelPathSandbox, method: str, path: str, body: Any = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {sbx.config.api_key}"}
    resp = httpx.request(method, sbx.base_url + path, json=body, headers=headers, timeout=10)
    out: dict[str, Any] = resp.json()
    out["http"] = resp.status_code
    return out


def test_sandbox_refuses_v1_fields_and_string_durations(kling: KlingModelPathSandbox) -> None:
    v1 = call(kling, "POST", "/text-to-video/kling-3.0", {"prompt": "x", "model_name": "kling-v3"})
    assert (v1["http"], v1["code"]) == (400, 1201)
    text = call(
        kling, "POST", "/text-to-video/kling-3.0", {"prompt": "x", "settings": {"duration": "5"}}
    )
    assert text["code"] == 1201 and "integer" in text["message"]
    missing = call(kling, "POST", "/text-to-video/kling-9", {"prompt": "x"})
    assert (missing["http"], missing["code"]) == (404, 1203)
    assert not kling.tasks


def test_sandbox_task_queries(kling: KlingModelPathSandbox) -> None:
    for i in range(3):
        body = {"prompt": f"take {i}", "options": {"external_task_id": f"k{i}"}}
        assert call(kling, "POST", "/text-to-video/kling-3.0", body)["code"] == 0
    assert call(kling, "GET", "/tasks?task_ids=1&external_task_ids=k1")["code"] == 1201
    too_many = ",".join(str(i) for i in range(21))
    assert call(kling, "GET", f"/tasks?task_ids={too_many}")["code"] == 1201
    by_key = call(kling, "GET", "/tasks?external_task_ids=k1,nope")["data"]
    assert [t["external_id"] for t in by_key] == ["k1"]
    page = call(kling, "POST", "/tasks", {"limit": 2})["data"]
    assert page["count"] == 2 and page["has_more"] and page["result"][0]["external_id"] == "k2"
    rest = call(kling, "POST", "/tasks", {"cursor": page["next_cursor"]})["data"]
    assert [t["external_id"] for t in rest["result"]] == ["k0"] and not rest["has_more"]
