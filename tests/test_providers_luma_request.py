"""ShotRequest → Luma wire body, pure (no HTTP): models, keyframes, shape, duration, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from reelforge.generators.base import ShotRequest, TimedLine
from reelforge.providers import InvalidRequest
from reelforge.providers.luma import LumaAdapter, LumaCredentials, nearest_ratio, resolution_for


def shot(prompt: str = "a kite over dunes", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=120, fps=24, width=1280, height=720, model="ray-2"
    )
    base.update(kw)
    return ShotRequest(**base)


@pytest.fixture
def adapter() -> LumaAdapter:
    return LumaAdapter(
        base_url="http://127.0.0.1:9/dream-machine/v1", credentials=LumaCredentials("k")
    )


def test_wire_path_and_body(adapter: LumaAdapter) -> None:
    wire = adapter.build_request(shot(camera="push_in"), idempotency_key="rf-1")
    assert (wire.method, wire.path, wire.route) == (
        "POST",
        "/generations/video",
        "generations/video",
    )
    assert wire.idempotency_key == "rf-1" and "rf-1" not in str(wire.body)
    assert wire.body == {
        "model": "ray-2",
        "generation_type": "video",
        "prompt": "a kite over dunes Camera: push in.",
        "aspect_ratio": "16:9",
        "resolution": "720p",
        "duration": "5s",
    }
    assert wire.warnings == ()


@pytest.mark.parametrize(
    ("asked", "model", "warned"),
    [
        ("ray-2", "ray-2", False),
        ("ray-flash-2", "ray-flash-2", False),
        ("luma-ray-flash-2", "ray-flash-2", False),
        ("luma/ray-2", "ray-2", False),
        ("previz", "ray-2", True),
    ],
)
def test_model_names(adapter: LumaAdapter, asked: str, model: str, warned: bool) -> None:
    wire = adapter.build_request(shot(), {"model_name": asked})
    assert wire.model == wire.body["model"] == model
    assert any("not a Luma" in w for w in wire.warnings) is warned


@pytest.mark.parametrize(
    ("seconds", "wire", "warned"), [(2.0, "5s", True), (5.0, "5s", False), (9.0, "9s", False)]
)
def test_durations(adapter: LumaAdapter, seconds: float, wire: str, warned: bool) -> None:
    built = adapter.build_request(shot(frames=int(seconds * 24)))
    assert built.body["duration"] == wire
    assert any("duration" in w for w in built.warnings) is warned


def test_too_long_is_refused(adapter: LumaAdapter) -> None:
    with pytest.raises(InvalidRequest, match="9 s"):
        adapter.build_request(shot(frames=10 * 24))


@pytest.mark.parametrize(
    ("w", "h", "ratio", "res"),
    [
        (1280, 720, "16:9", "720p"),
        (1920, 1080, "16:9", "1080p"),
        (720, 1280, "9:16", "720p"),
        (960, 540, "16:9", "540p"),
        (1024, 1024, "1:1", "1080p"),
        (2560, 1080, "21:9", "1080p"),
        (3840, 2160, "16:9", "4k"),
        (1024, 768, "4:3", "1080p"),
    ],
)
def test_shape(w: int, h: int, ratio: str, res: str) -> None:
    assert nearest_ratio(w, h) == ratio and resolution_for(w, h) == res


def test_options_override_shape_and_extras(adapter: LumaAdapter) -> None:
    opts = {
        "aspect_ratio": "21:9",
        "resolution": "4k",
        "duration": "9s",
        "loop": True,
        "concepts": ["orbit_left"],
    }
    body = adapter.build_request(shot(), opts).body
    assert (body["aspect_ratio"], body["resolution"], body["duration"]) == ("21:9", "4k", "9s")
    assert body["loop"] is True and body["concepts"] == [{"key": "orbit_left"}]


def test_local_frames_are_refused_with_the_fix(adapter: LumaAdapter, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest) as info:
        adapter.build_request(shot(first_frame=tmp_path / "a.png"))
    assert "frame0_url" in info.value.message and "host the image" in info.value.message
    with pytest.raises(InvalidRequest, match="frame1_url"):
        adapter.build_request(shot(last_frame=tmp_path / "b.png"), {"frame0_url": "https://x/a"})


def test_hosted_url_wins_over_the_local_file(adapter: LumaAdapter, tmp_path: Path) -> None:
    req = shot(first_frame=tmp_path / "a.png")
    body = adapter.build_request(req, {"frame0_url": "https://cdn.example/a.png"}).body
    assert body["keyframes"] == {"frame0": {"type": "image", "url": "https://cdn.example/a.png"}}


def test_keyframe_conflicts_and_bad_urls(adapter: LumaAdapter) -> None:
    with pytest.raises(InvalidRequest, match="not both"):
        adapter.build_request(shot(), {"frame0_url": "https://x/a", "frame0_generation_id": "g"})
    with pytest.raises(InvalidRequest, match="http"):
        adapter.build_request(shot(), {"frame0_url": "data:image/png;base64,AAAA"})


def test_backward_extension_and_keyframe_only(adapter: LumaAdapter) -> None:
    body = adapter.build_request(shot(prompt=""), {"frame1_generation_id": "g9"}).body
    assert body["keyframes"] == {"frame1": {"type": "generation", "id": "g9"}}
    assert "prompt" not in body
    with pytest.raises(InvalidRequest, match="prompt is required"):
        adapter.build_request(shot(prompt=""))


def test_sound_and_seed_are_reported_as_dropped(adapter: LumaAdapter) -> None:
    req = shot(seed=7, dialogue=(TimedLine("A", "hi", 0.0, 1.0),))
    wire = adapter.build_request(req, {"sound": None, "mode": "std"})
    assert any("no audio" in w for w in wire.warnings)
    assert any("seed" in w for w in wire.warnings) and "seed" not in wire.body


def test_unknown_option_fails_loudly(adapter: LumaAdapter) -> None:
    with pytest.raises(ValidationError):
        adapter.build_request(shot(), {"frame_0_url": "https://x/a"})
    with pytest.raises(ValidationError):
        adapter.build_request(shot(), {"duration": "7s"})
