"""Video-to-video edits from a production: the shot's ``source_video`` (parsed, checked, planned,
keyed by content), the catalogue check (who can edit it, who must have it, how long the edit
is), previz of an edit, and runway-aleph2 end to end against the Runway sandbox over loopback
HTTP, driven by our adapter, by the remote generator and by the official ``runwayml`` SDK."""

from __future__ import annotations

import asyncio
import base64
import importlib
import json
import shutil
import textwrap
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
import runwayml
from PIL import Image
from pydantic import ValidationError
from runwayml.types.task_retrieve_response import Succeeded as SdkSucceeded
from typer.testing import CliRunner

from production_helpers import at, problems_of, where
from reelforge._exceptions import GeneratorError
from reelforge.catalogue import Route, check, load_catalogue
from reelforge.cli.app import app
from reelforge.generators import remote
from reelforge.generators.base import ShotRequest
from reelforge.generators.previz import PrevizGenerator
from reelforge.generators.previz.encode import encode
from reelforge.jobs.wire import request_from_json, to_json
from reelforge.media.probe import probe
from reelforge.plan.cache_key import cache_key, canonical
from reelforge.plan.plan import build_plan
from reelforge.plan.quote import quote_plan
from reelforge.production import load_production, production_json_schema
from reelforge.providers import Failed, InvalidRequest, ModerationRejected, Succeeded
from reelforge.providers.runway import RunwayAdapter, RunwayCredentials
from reelforge.sandbox.runway import RunwaySandbox, RunwaySandboxConfig
from reelforge.sandbox.session import sandboxes

RGB = ((220, 30, 30), (30, 200, 30), (30, 30, 220))  # one colour per second of a source clip
ALEPH = "runway-aleph2"


def clip(path: Path, seconds: float, *, fps: int = 8, size: tuple[int, int] = (160, 90)) -> Path:
    """A source video exactly ``seconds`` long: red, then green, then blue, a second each."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = (Image.new("RGB", size, RGB[min(i // fps, 2)]) for i in range(round(seconds * fps)))
    encode(frames, path, fps=fps, size=size)
    return path


def request(source: Path | None, seconds: float = 4.0, **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1",
        prompt="make it snow",
        frames=round(seconds * 24),
        fps=24,
        width=1280,
        height=720,
        model=ALEPH,
        source_video=source,
    )
    return ShotRequest(**{**base, **kw})


def centre(image: Image.Image) -> tuple[int, int, int]:
    pixel = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def dominant(rgb: tuple[int, int, int]) -> int:
    return max(range(3), key=lambda i: rgb[i])


def frames_of(path: Path) -> list[Image.Image]:
    with av.open(str(path)) as box:
        return [f.to_image() for f in box.decode(video=0)]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clip(tmp_path_factory.mktemp("src") / "in.mp4", 3.0)


# -- the production file ------------------------------------------------------------------------

PRODUCTION = """
    title: Snowfall
    delivery: {resolution: 1280x720, fps: 24}
    shots:
      - id: s1
        prompt: make it snow
        duration: 4
        source_video: SOURCE
        model: runway-aleph2
      - id: s2
        prompt: a quiet street
        duration: 2
"""


def production(tmp_path: Path, value: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent(PRODUCTION.replace("SOURCE", value)).lstrip(), "utf-8")
    return path


def value_at(path: Path) -> tuple[int, int]:
    lines = path.read_text().splitlines()
    line = next(i for i, text in enumerate(lines) if "source_video:" in text)
    return line + 1, lines[line].index(":") + 3


def test_a_source_video_loads_and_is_planned_as_an_edit(tmp_path: Path, source: Path) -> None:
    (tmp_path / "clips").mkdir()
    shutil.copy(source, tmp_path / "clips" / "in.mp4")
    loaded = load_production(production(tmp_path, "clips/in.mp4"))
    assert loaded.production.shots[0].source_video == "clips/in.mp4"
    plan = build_plan(loaded, {}, {ALEPH: ("v1", False), "previz": ("2", True)})
    edit, plain = plan.shots
    assert edit.request.source_video == (tmp_path / "clips" / "in.mp4").resolve()
    assert plain.request.source_video is None
    row = quote_plan(plan).shots[0]
    assert row.status == "to render" and row.quote is None  # aleph2's price is unknown
    assert "video-to-video edit" in row.native and "text-to-video" not in row.native
    # The plan says the edit is as long as its source (3 s) and the cut holds it to 4 s.
    assert "duration 4 s → 3 s" in row.note and "holds its last frame" in row.note


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: None, "not found (looked for "),
        (lambda d: (d / "clips" / "in.mp4").write_text("not a video"), "is not a readable video"),
        (lambda d: Image.new("RGB", (8, 8)).save(d / "clips" / "in.mp4", "PNG"), "has no length"),
        (lambda d: (d / "clips" / "in.mp4").mkdir(), "is not a file"),
    ],
    ids=["missing", "not-a-video", "still-image", "directory"],
)
def test_a_bad_source_video_is_located_and_named(tmp_path: Path, make: Any, message: str) -> None:
    (tmp_path / "clips").mkdir()
    make(tmp_path)
    path = production(tmp_path, "clips/in.mp4")
    problem = at(problems_of(path), "shots[0].source_video")
    assert problem.message.startswith("source_video 'clips/in.mp4' ")
    assert message in problem.message
    assert where(problem) == value_at(path)
    assert problem.file == str(path)


def test_a_source_video_must_be_a_path(tmp_path: Path) -> None:
    problem = at(problems_of(production(tmp_path, "[a.mp4]")), "shots[0].source_video")
    assert problem.message == "source_video must be text, got a list"


def test_the_schema_describes_the_field() -> None:
    shot = production_json_schema()["$defs"]["Shot"]["properties"]["source_video"]
    assert "video-to-video" in shot["description"]


def test_cache_keys_follow_the_clips_content(tmp_path: Path, source: Path) -> None:
    plain = request(None)
    assert "source_video" not in canonical(plain)  # shots without one keep their old keys
    a = clip(tmp_path / "a" / "in.mp4", 3.0)
    moved = tmp_path / "b" / "elsewhere.mp4"
    moved.parent.mkdir()
    shutil.copy(a, moved)
    key = cache_key(generator=ALEPH, version="1", request=request(a))
    assert canonical(request(a))["source_video"]["sha256"]
    assert cache_key(generator=ALEPH, version="1", request=request(moved)) == key  # content
    assert key != cache_key(generator=ALEPH, version="1", request=plain)
    clip(a, 2.0)  # edited in place
    assert cache_key(generator=ALEPH, version="1", request=request(a)) != key


def test_a_job_carries_the_source_video_as_json(source: Path) -> None:
    req = request(source)
    back = request_from_json(json.loads(json.dumps(to_json(req))))
    assert back == req and isinstance(back.source_video, Path)
    assert request_from_json(to_json(request(None))).source_video is None


# -- the catalogue check ------------------------------------------------------------------------


def sends_source_video(route: Route) -> bool:
    """What the route's adapter declares: the models it sends ShotRequest.source_video for."""
    entry = remote.ADAPTERS.get((route.provider, route.channel))
    if entry is None:
        return False
    adapter = getattr(importlib.import_module(entry[0]), entry[1])
    return route.model in getattr(adapter, "source_video_models", ())


def test_only_wired_edit_routes_take_a_source_video(source: Path) -> None:
    """Every route is checked: the ones that cannot edit say so; the ones that claim v2v_edit
    but whose adapters take only provider-hosted videos (xAI edits, OpenAI remix, Kling Omni and
    Luma URLs or ids) or none say they are not wired; both name the routes that can."""
    edit = request(source, seconds=3.0)
    accepted = []
    routes = load_catalogue().routes
    for route in routes:
        result = check(route, edit)
        if result.ok:
            accepted.append(route.id)
            continue
        refusal = next((r for r in result.refusals if r.field == "source_video"), None)
        if route.retired or not route.enabled:
            continue
        assert refusal is not None, (route.id, result.refusals)
        if not route.capabilities.v2v_edit:
            assert refusal.rule == f"{route.id} does not edit videos (no video-to-video)"
        else:
            assert not sends_source_video(route), route.id
            want = f"{route.id} edits videos, but reelforge's adapter cannot send it a source_video"
            assert refusal.rule == want + " yet"
        assert refusal.message == f"source_video: {refusal.rule}"
        assert ALEPH in refusal.alternatives
        assert "; models that can: " in str(refusal)
    assert ALEPH in accepted
    assert all(sends_source_video(r) for r in routes if r.id in accepted)


def test_an_edit_only_route_needs_a_source_video(tmp_path: Path) -> None:
    text_only = check(ALEPH, request(None))
    [refusal] = text_only.refusals
    assert refusal.field == "source_video"
    assert (
        refusal.message
        == "text-to-video: runway-aleph2 only edits a video; it needs a source_video"
    )
    assert refusal.alternatives and ALEPH not in refusal.alternatives
    first = tmp_path / "first.png"
    Image.new("RGB", (160, 90)).save(first)
    framed = check(ALEPH, request(None, first_frame=first))
    assert {(r.field, r.message.split(":")[0]) for r in framed.refusals} == {
        ("first_frame", "first_frame"),
        ("source_video", "image-to-video"),
    }


def test_the_edit_is_as_long_as_its_source(source: Path) -> None:
    longer = check(ALEPH, request(source, seconds=4.0))  # a 4 s shot, a 3 s source
    assert longer.ok and longer.settings is not None and longer.settings.duration_s == 3
    [held] = [a for a in longer.adjustments if a.field == "duration"]
    assert (held.before, held.after) == ("4", "3")
    assert held.message == (
        "duration 4 s → 3 s (runway-aleph2's output follows the source_video; "
        "the cut holds its last frame to 4 s)"
    )
    shorter = check(ALEPH, request(source, seconds=2.0))
    assert shorter.ok and shorter.settings is not None and shorter.settings.duration_s == 3
    assert any("the cut trims it to 2 s" in a.message for a in shorter.adjustments)
    same = check(ALEPH, request(source, seconds=3.0))
    assert same.ok and not any(a.field == "duration" for a in same.adjustments)
    aspect = next(a for a in same.adjustments if a.field == "aspect_ratio")
    assert aspect.after == "from source video" and same.settings is not None
    assert same.settings.aspect_ratio is None


@pytest.mark.parametrize("seconds", [1.0, 31.0])
def test_a_source_outside_the_routes_range_is_refused(tmp_path: Path, seconds: float) -> None:
    result = check(ALEPH, request(clip(tmp_path / "s.mp4", seconds, fps=2), seconds=4.0))
    [refusal] = result.refusals
    assert refusal.field == "duration"
    assert refusal.message == (
        f"duration {seconds:g} s (the source_video's length): runway-aleph2 edits videos of 2-30 s"
    )
    assert str(refusal).endswith("no catalogued model can render this shot as written")


def test_an_unreadable_source_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "broken.mp4"
    bogus.write_bytes(b"\x00" * 64)
    refusals = check(ALEPH, request(bogus)).refusals
    assert [r.field for r in refusals] == ["source_video"]
    assert (
        refusals[0].message == f"source_video {bogus}: a source_video must be a readable video file"
    )


# -- previz ---------------------------------------------------------------------------------------


def test_previz_of_an_edit_shows_the_source_retimed_and_held(tmp_path: Path, source: Path) -> None:
    clip_ = PrevizGenerator().render(request(source, width=320, height=180), tmp_path / "p.mp4")
    frames = frames_of(clip_.path)
    assert clip_.frames == len(frames) == 96
    # t = 0.5 s red, 1.5 s green, 2.5 s blue; 3.5 s is past the source: its last frame holds.
    assert [dominant(centre(frames[i])) for i in (12, 36, 60, 84)] == [0, 1, 2, 2]


# -- runway: the adapter ------------------------------------------------------------------------


@pytest.fixture
def adapter() -> RunwayAdapter:
    return RunwayAdapter(credentials=RunwayCredentials("k"), base_url="http://127.0.0.1:9")


def test_aleph2_body_carries_the_source_inline(adapter: RunwayAdapter, source: Path) -> None:
    options = {"model_name": "aleph2", "public_figure_threshold": "low"}
    wire = adapter.build_request(request(source, seed=11), options)
    assert (wire.route, wire.path) == ("video_to_video", "/v1/video_to_video")
    body = dict(wire.body)
    uri = body.pop("videoUri")
    assert uri.startswith("data:video/mp4;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == source.read_bytes()
    # No duration (the edit follows the input) and no ratio (it keeps the input's framing).
    assert body == {
        "model": "aleph2",
        "promptText": "make it snow",
        "seed": 11,
        "contentModeration": {"publicFigureThreshold": "low"},
    }
    assert adapter.source_video_models == ("aleph2",)


def test_aleph2_refuses_what_runway_would(adapter: RunwayAdapter, tmp_path: Path) -> None:
    big = tmp_path / "big.mp4"
    with big.open("wb") as f:
        f.truncate(16 * 1024 * 1024 + 1)
    with pytest.raises(InvalidRequest, match="16 MB data-URI video limit"):
        adapter.build_request(request(big), {"model_name": "aleph2"})
    odd = clip(tmp_path / "in.mkv", 2.0)
    with pytest.raises(InvalidRequest, match="convert it"):
        adapter.build_request(request(odd), {"model_name": "aleph2"})
    ok = clip(tmp_path / "in.mp4", 2.0)
    with pytest.raises(InvalidRequest, match="not wired for a source_video"):
        adapter.build_request(request(ok), {"model_name": "seedance2"})
    with pytest.raises(InvalidRequest, match="targetAspectRatio"):
        adapter.build_request(request(ok), {"model_name": "aleph2", "target_aspect_ratio": "5:4"})
    with pytest.raises(ValidationError, match="exactly one of"):
        keyframe = {"uri": "https://example.com/k.png", "at": 0.5, "seconds": 1}
        adapter.build_request(request(ok), {"model_name": "aleph2", "keyframes": [keyframe]})
    with pytest.raises(InvalidRequest, match="video-to-video only"):
        adapter.build_request(request(None), {"model_name": "aleph2"})


# -- runway: the sandbox over loopback ----------------------------------------------------------


@pytest.fixture
def rw() -> Iterator[RunwaySandbox]:
    config = RunwaySandboxConfig(queue_seconds=0.02, processing_seconds=0.05, render_fps=8)
    with RunwaySandbox(config) as sbx:
        yield sbx


async def edit(sbx: RunwaySandbox, req: ShotRequest, dest: Path, **options: Any) -> Any:
    adapter = RunwayAdapter(base_url=sbx.base_url, credentials=sbx.credentials())
    async with adapter:
        wire = adapter.build_request(req, {"model_name": "aleph2", **options})
        handle = await adapter.ensure_submitted(wire)
        state = await adapter.wait(handle, interval=0.03, timeout=20)
        paths = await adapter.download(state, dest) if isinstance(state, Succeeded) else []
    return state, paths


def test_aleph2_round_trip_follows_the_input(
    rw: RunwaySandbox, tmp_path: Path, source: Path
) -> None:
    state, paths = asyncio.run(edit(rw, request(source, seconds=4.0), tmp_path))
    assert isinstance(state, Succeeded)
    assert state.charge == Decimal(15 * 3)  # billed for the 3 s input, not the 4 s shot [?]
    out = probe(paths[0], count_frames=True)
    assert out.frames == 3 * rw.config.render_fps and abs(out.duration - 3.0) < 0.2
    assert (out.width, out.height) == (160, 90)  # the input's 16:9 framing
    frames = frames_of(paths[0])
    assert [dominant(centre(frames[i])) for i in (4, 12, 20)] == [0, 1, 2]  # the input, edited
    body = rw.requests_to("/v1/video_to_video")[0].json()
    assert body["model"] == "aleph2" and "duration" not in body and "ratio" not in body
    [task] = rw.book.tasks.values()
    assert task.source is not None and abs(task.source.seconds - 3.0) < 0.05


def test_aleph2_outpaints_to_a_target_aspect(
    rw: RunwaySandbox, tmp_path: Path, source: Path
) -> None:
    state, paths = asyncio.run(edit(rw, request(source), tmp_path, target_aspect_ratio="9:16"))
    assert isinstance(state, Succeeded)
    info = probe(paths[0])
    assert info.height > info.width
    assert rw.requests_to("/v1/video_to_video")[0].json()["targetAspectRatio"] == "9:16"


def test_aleph2_moderation_like_the_other_endpoints(
    rw: RunwaySandbox, tmp_path: Path, source: Path
) -> None:
    for prompt, stage in (("a forbidden ritual", "input"), ("a contraband crate", "output")):
        state, _ = asyncio.run(edit(rw, request(source, prompt=prompt), tmp_path))
        assert isinstance(state, Failed) and isinstance(state.error, ModerationRejected)
        assert state.error.stage == stage and state.error.model == "aleph2"
    assert rw.credits_charged == 0


def test_sandbox_refuses_inputs_runway_refuses(rw: RunwaySandbox, tmp_path: Path) -> None:
    short = clip(tmp_path / "short.mp4", 1.0)  # aleph2 edits 2-30 s [?]
    with pytest.raises(InvalidRequest, match=r"videoUri The video must be 2-30 seconds long"):
        asyncio.run(edit(rw, request(short), tmp_path))
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00" * 256)
    with pytest.raises(InvalidRequest, match="could not be decoded"):
        asyncio.run(edit(rw, request(garbage), tmp_path))
    assert rw.submits == 2 and not rw.book.tasks


def test_remote_generator_renders_an_edit(
    rw: RunwaySandbox, tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert remote.has_adapter("runway", "runway-api", "aleph2")
    for retired in ("gen4_aleph", "gen3a_turbo"):
        assert not remote.has_adapter("runway", "runway-api", retired)
    monkeypatch.setenv("REELFORGE_RUNWAY_BASE_URL", rw.base_url)
    monkeypatch.setenv("RUNWAYML_API_SECRET", rw.config.api_key)
    monkeypatch.setenv("REELFORGE_POLL_SECONDS", "0.03")
    made = remote.RemoteGenerator(ALEPH).render(request(source, seconds=4.0), tmp_path / "e.mp4")
    assert made.meta["charge"] == "45" and made.meta["billing_unit"] == "credit"
    assert any("follows the source_video" in a for a in made.meta["adjustments"])
    assert abs(probe(made.path).duration - 3.0) < 0.2  # the assembly conforms it to 4 s later
    with pytest.raises(GeneratorError, match="only edits a video; it needs a source_video"):
        remote.RemoteGenerator(ALEPH).render(request(None), tmp_path / "x.mp4")
    assert rw.submits == 1


# -- runway: the official SDK against the sandbox -------------------------------------------------


def data_uri(path: Path, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode()


def test_sdk_video_to_video_aleph2(rw: RunwaySandbox, tmp_path: Path, source: Path) -> None:
    key = tmp_path / "key.png"
    Image.new("RGB", (64, 36), (250, 250, 250)).save(key)
    sdk = runwayml.RunwayML(api_key=rw.config.api_key, base_url=rw.base_url, max_retries=0)
    created = sdk.video_to_video.create(
        model="aleph2",
        video_uri=data_uri(source, "video/mp4"),
        prompt_text="make it snow",
        seed=5,
        target_aspect_ratio="1:1",
        keyframes=[{"uri": data_uri(key, "image/png"), "at": 0.5}],
        content_moderation={"public_figure_threshold": "auto"},
    )
    deadline = time.monotonic() + 10
    task = sdk.tasks.retrieve(created.id)
    while task.status not in ("SUCCEEDED", "FAILED") and time.monotonic() < deadline:
        time.sleep(0.02)
        task = sdk.tasks.retrieve(created.id)
    assert isinstance(task, SdkSucceeded) and task.cost is not None
    assert task.cost.credits == 45  # 15 credits/s for the 3 s input [?]
    sent = rw.requests_to("/v1/video_to_video")[0].json()
    assert set(sent) == {
        "model",
        "videoUri",
        "promptText",
        "seed",
        "targetAspectRatio",
        "keyframes",
        "contentModeration",
    }
    assert sent["contentModeration"] == {"publicFigureThreshold": "auto"}
    assert sent["keyframes"][0]["at"] == 0.5
    video = httpx.get(task.output[0])
    out = tmp_path / "sdk.mp4"
    out.write_bytes(video.content)
    info = probe(out)
    assert abs(info.duration - 3.0) < 0.2 and info.width == info.height  # 1:1 outpaint
    with pytest.raises(runwayml.BadRequestError) as bad:
        sdk.video_to_video.create(model="aleph2", video_uri=data_uri(key, "image/png"))
    assert bad.value.body["issues"][0]["path"] == ["videoUri"]  # type: ignore[index]


# -- a production with an edit, rendered end to end ---------------------------------------------


def test_a_production_with_an_edit_renders_through_the_sandbox(
    tmp_path: Path, source: Path
) -> None:
    """Production → plan → durable job (the request crosses the job table as JSON) → Runway
    sandbox → assembly: the 3 s edit is held to its 4 s slot in the cut."""
    (tmp_path / "clips").mkdir()
    shutil.copy(source, tmp_path / "clips" / "in.mp4")
    text = PRODUCTION.replace("SOURCE", "clips/in.mp4").replace("1280x720", "320x180")
    prod = tmp_path / "p.yaml"
    prod.write_text(textwrap.dedent(text).lstrip(), "utf-8")
    with sandboxes(render_fps=24) as boxes:
        result = CliRunner().invoke(app, ["render", str(prod), "-o", str(tmp_path / "out")])
        [submit] = boxes["runway"].accepted_submits()
    assert result.exit_code == 0, result.output
    assert submit.json()["videoUri"].startswith("data:video/mp4;base64,")
    [cut] = [p for p in (tmp_path / "out").rglob("*.mp4") if "shot" not in p.name]
    info = probe(cut, count_frames=True)
    assert info.frames == (4 + 2) * 24
