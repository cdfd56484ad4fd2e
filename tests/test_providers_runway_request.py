"""ShotRequest → Runway wire body: endpoints, camelCase names, frames, references, nearest
ratios and durations, the audio toggle, removed models and option validation. No HTTP."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pydantic import ValidationError

from reelforge.generators.base import ElementRef, ShotRequest, TimedLine
from reelforge.providers import InvalidRequest, MissingKey
from reelforge.providers.runway import RunwayAdapter, RunwayCredentials, nearest_ratio


def shot(prompt: str = "a fox in snow", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=96, fps=24, width=1280, height=720, model="gen4.5"
    )
    base.update(kw)
    return ShotRequest(**base)


def png(path: Path, color: tuple[int, int, int] = (200, 0, 0)) -> Path:
    Image.new("RGB", (32, 18), color).save(path)
    return path


@pytest.fixture
def adapter() -> RunwayAdapter:
    return RunwayAdapter(credentials=RunwayCredentials("k"), base_url="http://127.0.0.1:9")


def test_text_to_video_camel_case(adapter: RunwayAdapter) -> None:
    wire = adapter.build_request(shot(seed=7), {"model_name": "gen4.5", "mode": "std"})
    assert (wire.route, wire.path, wire.idempotency_key) == (
        "text_to_video",
        "/v1/text_to_video",
        None,
    )
    assert wire.body == {
        "model": "gen4.5",
        "promptText": "a fox in snow",
        "ratio": "1280:720",
        "duration": 4,
        "seed": 7,
    }
    assert "audio" not in wire.body  # gen4.5 has no audio toggle


def test_idempotency_key_is_not_sent(adapter: RunwayAdapter) -> None:
    wire = adapter.build_request(shot(), idempotency_key="rf-abc")
    assert wire.idempotency_key is None and "rf-abc" not in str(wire.body)


def test_first_and_last_frame_on_veo31(adapter: RunwayAdapter, tmp_path: Path) -> None:
    first, last = png(tmp_path / "a.png"), png(tmp_path / "b.jpg", (0, 0, 200))
    req = shot(first_frame=first, last_frame=last, frames=120)
    wire = adapter.build_request(req, {"model_name": "veo3.1", "sound": True})
    assert wire.path == "/v1/image_to_video"
    images = wire.body["promptImage"]
    assert [i["position"] for i in images] == ["first", "last"]
    assert images[0]["uri"].startswith("data:image/png;base64,")
    assert base64.b64decode(images[0]["uri"].split(",", 1)[1]) == first.read_bytes()
    assert images[1]["uri"].startswith("data:image/jpeg;base64,")
    assert wire.body["duration"] == 6 and wire.body["audio"] is True  # 5 s → 6 (4/6/8)


def test_last_frame_dropped_where_unsupported(adapter: RunwayAdapter, tmp_path: Path) -> None:
    req = shot(first_frame=png(tmp_path / "a.png"), last_frame=png(tmp_path / "b.png"))
    wire = adapter.build_request(req)
    assert [i["position"] for i in wire.body["promptImage"]] == ["first"]
    assert any("last frame was dropped" in w for w in wire.warnings)
    assert wire.body["ratio"] == "1280:720"


def test_last_only_is_refused(adapter: RunwayAdapter, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest, match="last frame needs a first frame"):
        adapter.build_request(shot(last_frame=png(tmp_path / "b.png")), {"model_name": "veo3.1"})


def test_gen4_turbo_needs_an_image(adapter: RunwayAdapter, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest, match="image-to-video only"):
        adapter.build_request(shot(), {"model_name": "gen4_turbo"})
    wire = adapter.build_request(
        shot(first_frame=png(tmp_path / "a.png"), width=720, height=1280),
        {"model_name": "gen4_turbo"},
    )
    assert wire.body["ratio"] == "720:1280" and wire.route == "image_to_video"


@pytest.mark.parametrize(
    ("allowed", "size", "expected"),
    [
        (("1280:720", "720:1280"), (1920, 1080), "1280:720"),
        (("1280:720", "720:1280", "1080:1920", "1920:1080"), (1920, 1080), "1920:1080"),
        (("1280:720", "720:1280", "1080:1920", "1920:1080"), (640, 360), "1280:720"),
        (
            ("1280:720", "720:1280", "1104:832", "960:960", "832:1104", "1584:672"),
            (512, 512),
            "960:960",
        ),
        (
            ("1280:720", "720:1280", "1104:832", "960:960", "832:1104", "1584:672"),
            (2100, 900),
            "1584:672",
        ),
    ],
)
def test_nearest_ratio(allowed: tuple[str, ...], size: tuple[int, int], expected: str) -> None:
    assert nearest_ratio(allowed, *size) == expected


def test_duration_rounds_up_and_refuses_too_long(adapter: RunwayAdapter) -> None:
    wire = adapter.build_request(shot(frames=60))  # 2.5 s
    assert wire.body["duration"] == 3 and any("sent as 3 s" in w for w in wire.warnings)
    with pytest.raises(InvalidRequest, match=r"longer than gen4\.5"):
        adapter.build_request(shot(frames=24 * 11))
    assert adapter.build_request(shot(), {"duration": 10}).body["duration"] == 10


def test_audio_follows_dialogue_and_sound_toggle(adapter: RunwayAdapter) -> None:
    line = TimedLine(speaker="Ann", text="Hello", start=0, end=1)
    wire = adapter.build_request(shot(dialogue=(line,)), {"model_name": "veo3.1_fast"})
    assert wire.body["audio"] is True and 'Ann says: "Hello"' in wire.body["promptText"]
    off = adapter.build_request(shot(dialogue=(line,)), {"model_name": "veo3.1", "sound": False})
    assert off.body["audio"] is False and "Ann says" not in off.body["promptText"]
    dropped = adapter.build_request(shot(), {"sound": True})
    assert "audio" not in dropped.body and any("no sound" in w for w in dropped.warnings)


def test_seedance2_references_from_elements(adapter: RunwayAdapter, tmp_path: Path) -> None:
    refs = tuple(png(tmp_path / f"r{i}.png") for i in range(2))
    req = shot(elements=(ElementRef(name="hero", references=refs),))
    wire = adapter.build_request(req, {"model_name": "seedance2"})
    assert len(wire.body["references"]) == 2 and wire.body["duration"] == 4
    too_many = shot(elements=(ElementRef(name="h", references=refs * 5),))
    with pytest.raises(InvalidRequest, match="at most 9"):
        adapter.build_request(too_many, {"model_name": "seedance2"})
    plain = adapter.build_request(req)  # gen4.5 takes none: dropped with a warning
    assert "references" not in plain.body and any("dropped" in w for w in plain.warnings)


def test_video_to_video(adapter: RunwayAdapter) -> None:
    with pytest.raises(InvalidRequest, match="video-to-video only"):
        adapter.build_request(shot(), {"model_name": "aleph2"})
    opts = {
        "model_name": "aleph2",
        "video_uri": "https://example.com/in.mp4",
        "keyframes": [{"uri": "https://example.com/k.png", "at": 0.5}],
        "target_aspect_ratio": "21:9",
        "public_figure_threshold": "low",
    }
    wire = adapter.build_request(shot(seed=3), opts)
    assert wire.path == "/v1/video_to_video"
    assert wire.body == {
        "model": "aleph2",
        "promptText": "a fox in snow",
        "videoUri": "https://example.com/in.mp4",
        "seed": 3,
        "contentModeration": {"publicFigureThreshold": "low"},
        "keyframes": [{"uri": "https://example.com/k.png", "at": 0.5}],
        "targetAspectRatio": "21:9",
    }
    sd = adapter.build_request(shot(), {"model_name": "seedance2", "video_uri": "runway://x"})
    assert sd.body["promptVideo"] == "runway://x" and "ratio" in sd.body
    with pytest.raises(InvalidRequest, match="does not edit videos"):
        adapter.build_request(shot(), {"video_uri": "runway://x"})


def test_happyhorse_image_takes_resolution(adapter: RunwayAdapter, tmp_path: Path) -> None:
    req = shot(first_frame=png(tmp_path / "a.png"), width=1920, height=1080, seed=5)
    wire = adapter.build_request(req, {"model_name": "happyhorse_1_0"})
    assert wire.body["resolution"] == "1080p" and "ratio" not in wire.body
    assert "seed" not in wire.body and any("no seed" in w for w in wire.warnings)


def test_refusals(adapter: RunwayAdapter) -> None:
    with pytest.raises(InvalidRequest, match="removed"):
        adapter.build_request(shot(), {"model_name": "gen4_aleph"})
    with pytest.raises(InvalidRequest, match="negative prompt"):
        adapter.build_request(shot(), {"negative_prompt": "blur"})
    with pytest.raises(InvalidRequest, match="UTF-16"):
        adapter.build_request(shot("🦊" * 501))  # 1002 UTF-16 units
    with pytest.raises(InvalidRequest, match="takes ratios"):
        adapter.build_request(shot(), {"ratio": "960:960"})  # T2V on gen4.5: 16:9 / 9:16
    with pytest.raises(ValidationError):
        adapter.build_request(shot(), {"model_nmae": "gen4.5"})
    neg = adapter.build_request(shot(), {"model_name": "veo3.1", "negative_prompt": "blur"})
    assert neg.body["negativePrompt"] == "blur"


def test_missing_key_names_env_var_and_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNWAYML_API_SECRET", raising=False)
    with pytest.raises(MissingKey) as info:
        RunwayAdapter()
    assert "RUNWAYML_API_SECRET" in str(info.value)
    assert "reel keys set runway" in str(info.value)
