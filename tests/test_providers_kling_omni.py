"""The Kling adapter on Omni (``/v1/videos/omni-video``): request shape per capability, refusals
before any HTTP call, error codes, re-attach by external_task_id, charge, and a full render of
every Omni catalogue route through the generator registry against the sandboxes."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Coroutine
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image

from kling_helpers import _no_real_keys, adapter_for, kling, offline  # noqa: F401 (fixtures)
from reelforge.generators.base import ElementRef, ShotRequest, TimedLine
from reelforge.providers import (
    AmbiguousSubmit,
    ConcurrencyLimited,
    Failed,
    InvalidRequest,
    KlingAdapter,
    ModerationRejected,
    ProviderError,
    Succeeded,
    TaskState,
)
from reelforge.providers.kling import CODE_TABLE
from reelforge.sandbox import Fault, KlingSandbox

T = TypeVar("T")
# The HTTP status Kling pairs with each business code (research §3.7).
STATUS_FOR_CODE = {
    **dict.fromkeys(range(1000, 1005), 401),
    **dict.fromkeys((1100, 1101, 1102, 1302, 1303, 1304), 429),
    1103: 403,
    **dict.fromkeys((1200, 1201, 1300, 1301), 400),
    **dict.fromkeys((1202, 1203), 404),
    5000: 500,
    5001: 503,
    5002: 504,
}
OMNI_ROUTES = ("kling-o1-std", "kling-o1-pro", "kling-v3-omni-std", "kling-v3-omni-pro")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=72, fps=24, width=1280, height=720,
        model="kling-video-o1",
    )  # fmt: skip
    return ShotRequest(**{**base, **kw})


def png(path: Path, colour: tuple[int, int, int] = (200, 30, 30)) -> Path:
    Image.new("RGB", (320, 320), colour).save(path)
    return path


# -- request shape ---------------------------------------------------------------------------


def test_text_to_video_goes_to_omni_endpoint(offline: KlingAdapter) -> None:
    wire = offline.build_request(shot(), {"mode": "pro"}, idempotency_key="k1")
    assert (wire.route, wire.path, wire.model) == (
        "omni-video",
        "/v1/videos/omni-video",
        "kling-video-o1",
    )
    body = wire.body
    assert body["model_name"] == "kling-video-o1" and body["mode"] == "pro"
    assert body["aspect_ratio"] == "16:9"
    assert body["duration"] == "5"  # O1 text-to-video takes 5 or 10 s: 3 s rounds up
    assert body["external_task_id"] == wire.idempotency_key == "k1"
    assert "sound" not in body and "image_list" not in body and "video_list" not in body
    assert any("sent as 5 s" in w for w in wire.warnings)


def test_o1_drops_sound_and_3o_sends_it_with_dialogue(offline: KlingAdapter) -> None:
    line = TimedLine("Ana", "Keep the light on.", 0.5, 2.0)
    o1 = offline.build_request(shot(dialogue=(line,)))
    assert "sound" not in o1.body and any("no sound" in w for w in o1.warnings)
    o3 = offline.build_request(shot(dialogue=(line,)), {"model_name": "kling-video-3o"})
    assert o3.body["sound"] == "on" and 'Ana says: "Keep the light on."' in o3.body["prompt"]
    assert o3.body["duration"] == "3"  # 3.0 Omni: 3-15 s whatever the inputs
    quiet = offline.build_request(shot(), {"model_name": "kling-video-3o", "sound": False})
    assert quiet.body["sound"] == "off"


def test_first_and_end_frames(offline: KlingAdapter, tmp_path: Path) -> None:
    first, last = png(tmp_path / "a.png"), png(tmp_path / "b.png", (0, 0, 200))
    wire = offline.build_request(shot(first_frame=first, last_frame=last))
    images = wire.body["image_list"]
    assert [i["type"] for i in images] == ["first_frame", "end_frame"]
    assert base64.b64decode(images[0]["image_url"]) == first.read_bytes()
    assert base64.b64decode(images[1]["image_url"]) == last.read_bytes()
    assert "aspect_ratio" not in wire.body  # the first frame gives the shape
    assert wire.body["duration"] == "5"


def test_element_references_become_numbered_images(offline: KlingAdapter, tmp_path: Path) -> None:
    ref = png(tmp_path / "ana.png")
    ana = ElementRef("Ana", "the keeper", (ref,))
    wire = offline.build_request(shot(first_frame=png(tmp_path / "f.png"), elements=(ana,)))
    images = wire.body["image_list"]
    assert images[0]["type"] == "first_frame" and "type" not in images[1]
    assert base64.b64decode(images[1]["image_url"]) == ref.read_bytes()
    assert "Ana (the keeper) looks like <<<image_2>>>." in wire.body["prompt"]
    assert wire.body["duration"] == "3"  # with references O1 takes 3-10 s


def test_element_ids_and_reference_video(offline: KlingAdapter) -> None:
    options = {"element_ids": [101, 202], "video_url": "https://cdn.example/a.mp4"}
    wire = offline.build_request(shot("<<<element_1>>> meets <<<element_2>>>"), options)
    assert wire.body["element_list"] == [{"element_id": 101}, {"element_id": 202}]
    assert wire.body["video_list"] == [
        {
            "video_url": "https://cdn.example/a.mp4",
            "refer_type": "feature",
            "keep_original_sound": "no",
        }
    ]
    assert "<<<video_1>>>" in wire.body["prompt"] and wire.body["aspect_ratio"] == "16:9"


def test_base_video_edit_sends_no_duration_or_aspect(offline: KlingAdapter) -> None:
    options = {
        "video_url": "https://cdn.example/a.mp4",
        "refer_type": "base",
        "keep_original_sound": True,
    }
    wire = offline.build_request(shot("make it snow in <<<video_1>>>"), options)
    assert wire.body["video_list"][0]["refer_type"] == "base"
    assert wire.body["video_list"][0]["keep_original_sound"] == "yes"
    assert "duration" not in wire.body and "aspect_ratio" not in wire.body


def test_multi_prompt_on_3o_only(offline: KlingAdapter) -> None:
    shots = [{"prompt": "wide", "duration": 2}, {"prompt": "close", "duration": 3}]
    wire = offline.build_request(
        shot(frames=120), {"model_name": "kling-video-3o", "multi_prompt": shots}
    )
    assert wire.body["multi_shot"] is True and len(wire.body["multi_prompt"]) == 2
    with pytest.raises(InvalidRequest):
        offline.build_request(shot(frames=120), {"multi_prompt": shots})


# -- refusals before any HTTP call -----------------------------------------------------------


def _refusals(tmp: Path) -> list[tuple[ShotRequest, dict[str, Any], str]]:
    one = png(tmp / "one.png")
    many = ElementRef("crowd", references=tuple(png(tmp / f"r{i}.png") for i in range(8)))
    five = ElementRef("five", references=tuple(png(tmp / f"f{i}.png") for i in range(5)))
    video = {"video_url": "https://cdn.example/v.mp4"}
    return [
        (shot(last_frame=one), {}, "end frame needs a first frame"),
        (shot(elements=(many,)), {}, "at most 7"),
        (shot(elements=(five,)), video, "at most 4"),
        (shot(first_frame=one, last_frame=one, elements=(five,)), {}, "with an end frame"),
        (shot(first_frame=one), {**video, "refer_type": "base"}, "base (edited) video"),
        (shot(), {"mode": "4k"}, "no mode"),
        (shot("<<<image_3>>> walks"), {}, "<<<image_3>>>"),
        (shot("x" * 2600), {}, "2500"),
        (shot(), {"video_url": "/local/clip.mp4"}, "URL only"),
        (shot(model="kling-v3"), video, "Omni options"),
        (shot(frames=24 * 12, first_frame=one, elements=(five,)), {}, "longer than"),
        (shot(), {"model_name": "kling-video-o9"}, "unknown Kling Omni model"),
    ]


def test_refusals_happen_before_any_http_call(kling: KlingSandbox, tmp_path: Path) -> None:
    async def attempt(request: ShotRequest, options: dict[str, Any]) -> None:
        async with adapter_for(kling) as adapter:
            await adapter.ensure_submitted(adapter.build_request(request, options))

    for request, options, words in _refusals(tmp_path):
        with pytest.raises(InvalidRequest) as info:
            run(attempt(request, options))
        assert words in str(info.value), (words, str(info.value))
    assert kling.log == [] and not kling.submits


# -- errors over HTTP ------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(CODE_TABLE))
def test_error_codes_on_the_omni_query(kling: KlingSandbox, code: int) -> None:
    status = STATUS_FOR_CODE[code]
    kling.inject(Fault(status, code, f"scripted {code}", kind="query"))

    async def go() -> None:
        async with adapter_for(kling) as adapter:
            handle = await adapter.submit(adapter.build_request(shot()))
            assert handle.route == "omni-video"
            await adapter.poll(handle)

    with pytest.raises(ProviderError) as info:
        run(go())
    assert type(info.value) is CODE_TABLE[code]
    assert info.value.code == code and info.value.model == "kling-video-o1"
    assert kling.requests_to("/v1/videos/omni-video/")  # the poll went to the Omni query path


def test_sandbox_rejections_map_to_the_tree(kling: KlingSandbox) -> None:
    async def submit(request: ShotRequest, options: dict[str, Any] | None = None) -> None:
        async with adapter_for(kling) as adapter:
            await adapter.submit(adapter.build_request(request, options))

    with pytest.raises(ModerationRejected) as mod:
        run(submit(shot("a forbidden ritual")))
    assert mod.value.code == 1301 and mod.value.stage == "input"
    kling.inject(Fault(429, 1303, "parallel task over resource pack limit"))
    with pytest.raises(ConcurrencyLimited):
        run(submit(shot()))
    kling.inject(Fault(400, 1201, "element_id 5 not found"))
    with pytest.raises(InvalidRequest, match="element_id 5 not found"):
        run(submit(shot("<<<element_1>>>"), {"element_ids": [5]}))


def test_late_moderation_is_an_output_stage_failure(kling: KlingSandbox) -> None:
    async def go() -> TaskState:
        async with adapter_for(kling) as adapter:
            handle = await adapter.submit(adapter.build_request(shot("a contraband crate")))
            return await adapter.wait(handle, interval=0.02, timeout=30)

    state = run(go())
    assert isinstance(state, Failed) and isinstance(state.error, ModerationRejected)
    assert state.error.stage == "output" and state.error.cost == Decimal(0)


# -- idempotency and charge ------------------------------------------------------------------


def test_same_key_reattaches_instead_of_resubmitting(kling: KlingSandbox) -> None:
    async def go() -> tuple[str, str]:
        async with adapter_for(kling) as adapter:
            wire = adapter.build_request(shot(), idempotency_key="omni-job")
            first = await adapter.ensure_submitted(wire)
            again = await adapter.ensure_submitted(
                adapter.build_request(shot(), idempotency_key="omni-job")
            )
            return first.task_id, again.task_id

    a, b = run(go())
    assert a == b and kling.submits["omni-job"] == 1


def test_ambiguous_submit_is_reconciled_on_the_omni_path(kling: KlingSandbox) -> None:
    kling.inject(Fault(500, 5000, "server error", after_create=True))

    async def go() -> str:
        async with adapter_for(kling) as adapter:
            wire = adapter.build_request(shot(), idempotency_key="omni-amb")
            with pytest.raises(AmbiguousSubmit):
                await adapter.submit(wire)
            found = await adapter.reconcile(wire)
            assert found is not None
            return (await adapter.ensure_submitted(wire)).task_id

    task_id = run(go())
    assert kling.submits["omni-amb"] == 1 and task_id in kling.book.tasks


@pytest.mark.parametrize(
    ("options", "frames", "units"),
    [
        ({"mode": "std"}, 120, "3.0"),  # O1 std 0.6 u/s x 5 s
        ({"mode": "pro", "video_url": "https://cdn.example/v.mp4"}, 96, "4.8"),  # 1.2 x 4
        ({"model_name": "kling-video-3o", "mode": "pro", "sound": True}, 72, "3.0"),  # 1.0 x 3
    ],
)
def test_charge_comes_from_final_unit_deduction(
    kling: KlingSandbox, tmp_path: Path, options: dict[str, Any], frames: int, units: str
) -> None:
    async def go() -> Succeeded:
        async with adapter_for(kling) as adapter:
            handle = await adapter.submit(adapter.build_request(shot(frames=frames), options))
            state = await adapter.wait(handle, interval=0.02, timeout=30)
            assert isinstance(state, Succeeded), state
            await adapter.download(state, tmp_path)
            return state

    state = run(go())
    assert state.charge == Decimal(units)
    assert state.raw["final_unit_deduction"] == units  # Kling reports it as a string


# -- every Omni route through the registry ---------------------------------------------------


@pytest.mark.parametrize("route_id", OMNI_ROUTES)
def test_route_renders_through_the_generator(route_id: str, tmp_path: Path) -> None:
    from reelforge.catalogue import get_route
    from reelforge.generators.registry import get_generator
    from reelforge.media.probe import probe
    from reelforge.sandbox.session import sandboxes

    route = get_route(route_id)
    request = shot(frames=5 * 24, first_frame=png(tmp_path / "first.png"), model=route_id)
    with sandboxes(render_fps=8) as running:
        clip = get_generator(route_id).render(request, tmp_path / "clip.mp4")
        sbx = running["kling"]
        assert isinstance(sbx, KlingSandbox)
        (task,) = sbx.book.tasks.values()
    assert task.route == "omni-video" and task.body["model_name"] == route.model
    assert task.body["mode"] == route.mode and task.body["image_list"][0]["type"] == "first_frame"
    assert clip.meta["task_id"] == task.task_id and clip.meta["billing_unit"] == "unit"
    assert clip.meta["charge"] == str(task.units)
    assert probe(clip.path, count_frames=True).frames == 5 * 8
