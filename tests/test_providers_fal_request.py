"""ShotRequest → fal endpoint id and input JSON, for each catalogue fal route family (pure)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from reelforge.generators.base import ShotRequest
from reelforge.providers import InvalidRequest
from reelforge.providers.fal import FalAdapter, FalCredentials


def shot(**kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt="a fox", frames=120, fps=24, width=1280, height=720, model="x"
    )
    return ShotRequest(**{**base, **kw})


@pytest.fixture
def adapter() -> Iterator[FalAdapter]:
    yield FalAdapter(base_url="http://127.0.0.1:9", credentials=FalCredentials("k"))


def png(tmp_path: Path, name: str = "f.png") -> Path:
    Image.new("RGB", (32, 18), (1, 2, 3)).save(tmp_path / name)
    return tmp_path / name


@pytest.mark.parametrize(
    ("model", "first", "endpoint"),
    [
        ("fal-ai/veo3.1", False, "fal-ai/veo3.1"),
        ("fal-ai/veo3.1", True, "fal-ai/veo3.1/image-to-video"),
        ("fal-ai/kling-video/v3/standard", False, "fal-ai/kling-video/v3/standard/text-to-video"),
        ("fal-ai/kling-video/v3/pro", True, "fal-ai/kling-video/v3/pro/image-to-video"),
        ("kling/v4", False, "kling/v4/text-to-video"),
        ("bytedance/seedance-2.0/image-to-video", True, "bytedance/seedance-2.0/image-to-video"),
        ("bytedance/seedance-2.5", False, "bytedance/seedance-2.5/text-to-video"),
        ("bytedance/seedance-2.5", True, "bytedance/seedance-2.5/image-to-video"),
    ],
)
def test_endpoint_per_route(
    adapter: FalAdapter, tmp_path: Path, model: str, first: bool, endpoint: str
) -> None:
    req = shot(first_frame=png(tmp_path) if first else None)
    wire = adapter.build_request(req, {"model_name": model})
    assert wire.path == f"/{endpoint}" and wire.route == endpoint and wire.model == model


def test_veo_durations_round_up_and_too_long_refused(adapter: FalAdapter) -> None:
    wire = adapter.build_request(shot(frames=120), {"model_name": "fal-ai/veo3.1"})
    assert wire.body["duration"] == "6s" and any("sent as 6 s" in w for w in wire.warnings)
    with pytest.raises(InvalidRequest, match="longer than"):
        adapter.build_request(shot(frames=24 * 9), {"model_name": "fal-ai/veo3.1"})


def test_kling_and_seedance_duration_strings(adapter: FalAdapter, tmp_path: Path) -> None:
    k = adapter.build_request(shot(frames=48), {"model_name": "fal-ai/kling-video/v3/standard"})
    assert k.body["duration"] == "3" and k.body["aspect_ratio"] == "16:9"
    s = adapter.build_request(
        shot(frames=48, first_frame=png(tmp_path), last_frame=png(tmp_path, "l.png")),
        {"model_name": "bytedance/seedance-2.0/image-to-video", "sound": True},
    )
    assert s.body["duration"] == "4" and s.body["generate_audio"] is True
    assert s.body["image_url"].startswith("data:image/png;base64,") and "end_image_url" in s.body


def test_vertical_shot_and_resolution(adapter: FalAdapter) -> None:
    wire = adapter.build_request(
        shot(width=1080, height=1920, frames=96), {"model_name": "fal-ai/veo3.1"}
    )
    assert wire.body["aspect_ratio"] == "9:16" and wire.body["resolution"] == "1080p"


def test_seedance_image_route_needs_a_frame(adapter: FalAdapter) -> None:
    with pytest.raises(InvalidRequest, match="needs a first frame"):
        adapter.build_request(shot(), {"model_name": "bytedance/seedance-2.0/image-to-video"})


def test_end_frame_needs_first(adapter: FalAdapter, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest, match="end frame"):
        adapter.build_request(shot(last_frame=png(tmp_path)), {"model_name": "fal-ai/veo3.1"})


def test_not_an_image_and_unknown_option(adapter: FalAdapter, tmp_path: Path) -> None:
    bad = tmp_path / "x.png"
    bad.write_bytes(b"nope")
    with pytest.raises(InvalidRequest, match="not PNG"):
        adapter.build_request(shot(first_frame=bad), {"model_name": "fal-ai/veo3.1"})
    with pytest.raises(ValueError):
        adapter.build_request(shot(), {"model_name": "fal-ai/veo3.1", "durration": 4})


def test_unknown_family_is_refused(adapter: FalAdapter) -> None:
    with pytest.raises(InvalidRequest, match="no fal request builder"):
        adapter.build_request(shot(), {"model_name": "someone/else"})
