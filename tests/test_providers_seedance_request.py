"""ShotRequest → Seedance body: pure translation, no HTTP."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pydantic import ValidationError

from reelforge.generators.base import ElementRef, ShotRequest, TimedLine
from reelforge.providers import InvalidRequest
from reelforge.providers.seedance import (
    SeedanceAdapter,
    SeedanceCredentials,
    dimensions,
    token_count,
)

MODEL = "dreamina-seedance-2-0-260128"


def shot(prompt: str = "rain on a tin roof", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=96, fps=24, width=1280, height=720, model=MODEL
    )
    base.update(kw)
    return ShotRequest(**base)


@pytest.fixture
def adapter() -> Iterator[SeedanceAdapter]:
    yield SeedanceAdapter(
        base_url="http://127.0.0.1:9/api/v3", credentials=SeedanceCredentials("k")
    )


def png(path: Path) -> Path:
    Image.new("RGB", (32, 18), (1, 2, 3)).save(path)
    return path


def test_token_formula_matches_the_doc_example() -> None:
    assert token_count(1920, 1080, 5) == 246_840  # aligned to 1920x1088, 121 frames
    assert dimensions("720p", "9:16") == (720, 1280)
    assert dimensions("480p", "21:9") == (1120, 480)


def test_catalogue_options_are_mapped(adapter: SeedanceAdapter) -> None:
    wire = adapter.build_request(shot(), {"model_name": MODEL, "sound": True, "mode": "flex"})
    assert wire.body["generate_audio"] is True and wire.body["service_tier"] == "flex"
    assert wire.path == "/contents/generations/tasks" and wire.method == "POST"
    assert wire.idempotency_key is None  # Seedance has no idempotency key
    off = adapter.build_request(shot(), {"model_name": MODEL, "sound": False})
    assert off.body["generate_audio"] is False and "service_tier" not in off.body


def test_unknown_options_fail_loudly(adapter: SeedanceAdapter) -> None:
    with pytest.raises(ValidationError):
        adapter.build_request(shot(), {"negative_prompt": "blur"})


def test_model_names(adapter: SeedanceAdapter) -> None:
    assert adapter.build_request(shot(model="previz")).model == MODEL  # default model
    assert adapter.build_request(shot(model="seedance/seedance-1-5-pro-251215")).model == (
        "seedance-1-5-pro-251215"
    )
    newer = adapter.build_request(shot(model="dreamina-seedance-2-0-270101"))
    assert any("not in the adapter's model table" in w for w in newer.warnings)


def test_duration_resolution_ratio(adapter: SeedanceAdapter) -> None:
    wire = adapter.build_request(shot(frames=50, width=720, height=1280))  # 2.08 s, portrait
    assert wire.body["duration"] == 4  # the model's minimum; the editor trims
    assert wire.body["ratio"] == "9:16" and wire.body["resolution"] == "720p"
    big = adapter.build_request(shot(width=1920, height=1080))
    assert big.body["resolution"] == "720p" and any("sent as 720p" in w for w in big.warnings)
    with pytest.raises(InvalidRequest, match="longer than"):
        adapter.build_request(shot(frames=24 * 16))
    pro = adapter.build_request(shot(model="seedance-1-0-pro-250528", width=1920, height=1080))
    assert pro.body["resolution"] == "1080p" and "generate_audio" not in pro.body
    with pytest.raises(InvalidRequest, match="1080p"):
        adapter.build_request(shot(), {"resolution": "1080p"})
    assert adapter.build_request(shot(), {"duration": -1}).body["duration"] == -1
    with pytest.raises(InvalidRequest, match="-1"):
        adapter.build_request(shot(model="seedance-1-0-pro-250528"), {"duration": -1})


def test_frames_as_data_urls(adapter: SeedanceAdapter, tmp_path: Path) -> None:
    first = png(tmp_path / "f.png")
    wire = adapter.build_request(shot(first_frame=first, last_frame=png(tmp_path / "l.png")))
    _, a, b = wire.body["content"]
    assert a["role"] == "first_frame" and b["role"] == "last_frame"
    raw = base64.b64decode(a["image_url"]["url"].split(",", 1)[1])
    assert raw == first.read_bytes() and wire.body["ratio"] == "adaptive"
    with pytest.raises(InvalidRequest, match="needs a first frame"):
        adapter.build_request(shot(last_frame=first))
    with pytest.raises(InvalidRequest, match="no last frame"):
        adapter.build_request(
            shot(model="seedance-1-0-pro-fast-251015", first_frame=first, last_frame=first)
        )
    with pytest.raises(InvalidRequest, match="text-to-video only"):
        adapter.build_request(shot(model="seedance-1-0-lite-t2v-250428", first_frame=first))
    urls = adapter.build_request(shot(), {"first_frame_url": "https://example.com/a.png"})
    assert urls.body["content"][1]["image_url"]["url"] == "https://example.com/a.png"


def test_references(adapter: SeedanceAdapter, tmp_path: Path) -> None:
    refs = tuple(png(tmp_path / f"r{i}.png") for i in range(10))
    with pytest.raises(InvalidRequest, match="at most 9"):
        adapter.build_request(shot(elements=(ElementRef("crowd", "", refs),)))
    with pytest.raises(InvalidRequest, match="at most 0"):
        adapter.build_request(
            shot(model="seedance-1-5-pro-251215", elements=(ElementRef("a", "", refs[:1]),))
        )
    both = shot(first_frame=refs[0], elements=(ElementRef("a", "", refs[:2]),))
    wire = adapter.build_request(both, {"prefer": "references"})
    roles = [c.get("role") for c in wire.body["content"]]
    assert roles == [None, "reference_image", "reference_image"]
    assert wire.body["ratio"] == "16:9"  # references do not define the shape


def test_sound_dialogue_camera_and_seed(adapter: SeedanceAdapter) -> None:
    request = shot(
        camera="dolly_in",
        dialogue=(TimedLine("Ana", "Hold the door", 0.5, 1.5),),
        sound="thunder",
        seed=42,
    )
    wire = adapter.build_request(request)
    text = wire.body["content"][0]["text"]
    assert "Camera: dolly in." in text and 'Ana says: "Hold the door"' in text
    assert "Sound: thunder." in text and wire.body["generate_audio"] is True
    assert wire.body["seed"] == 42 and any("seed" in w for w in wire.warnings)
    silent = adapter.build_request(request, {"model_name": "seedance-1-0-pro-250528"})
    assert "generate_audio" not in silent.body and any("no sound" in w for w in silent.warnings)
    assert "Ana says" not in silent.body["content"][0]["text"]


def test_passthrough_fields(adapter: SeedanceAdapter) -> None:
    options = {
        "watermark": False,
        "camera_fixed": True,
        "return_last_frame": True,
        "execution_expires_after": 7200,
        "callback_url": "https://hooks.example/seedance",
        "service_tier": "default",
    }
    body = adapter.build_request(shot(), options).body
    for key, value in options.items():
        assert body[key] == value
    with pytest.raises(InvalidRequest, match="disagree"):
        adapter.build_request(shot(), {"mode": "flex", "service_tier": "default"})
