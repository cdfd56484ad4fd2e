"""xAI request building (pure): durations, aspect ratios, resolutions, images, references,
voices, edits and extensions, options from catalogue routes, keys and the exact charge."""

from __future__ import annotations

import base64
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image

from reelforge.generators.base import ElementRef, ShotRequest, TimedLine
from reelforge.providers import InvalidRequest, MissingKey
from reelforge.providers.xai import DEFAULT_BASE_URL, XaiAdapter, ticks_to_usd


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("XAI_API_KEY", "REELFORGE_XAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1",
        prompt=prompt,
        frames=96,
        fps=24,
        width=1280,
        height=720,
        model="grok-imagine-video",
    )
    base.update(kw)
    return ShotRequest(**base)


def png(path: Path, size: tuple[int, int] = (64, 36)) -> Path:
    Image.new("RGB", size, (200, 30, 30)).save(path)
    return path


def adapter() -> XaiAdapter:
    return XaiAdapter(api_key="k", base_url="http://127.0.0.1:9/v1")


def test_defaults_map_the_shot_to_whole_seconds_aspect_and_resolution() -> None:
    wire = adapter().build_request(shot(frames=60), {"model_name": "grok-imagine-video"})
    assert wire.path == "/videos/generations" and wire.method == "POST"
    assert wire.route == "generate"
    assert wire.body == {
        "model": "grok-imagine-video",
        "prompt": "a lighthouse at dusk",
        "duration": 3,  # 2.5 s rounded up
        "aspect_ratio": "16:9",
        "resolution": "720p",
    }
    assert any("2.50 s sent as 3 s" in w for w in wire.warnings)


@pytest.mark.parametrize(
    ("width", "height", "aspect", "resolution"),
    [
        (1920, 1080, "16:9", "720p"),  # 1080p is not offered on the base model
        (720, 1280, "9:16", "720p"),
        (480, 480, "1:1", "480p"),
        (640, 480, "4:3", "480p"),
        (480, 640, "3:4", "480p"),
        (1080, 720, "3:2", "720p"),
        (720, 1080, "2:3", "720p"),
        (2560, 1080, "16:9", "720p"),  # 21:9 → nearest allowed
    ],
)
def test_nearest_aspect_and_resolution(
    width: int, height: int, aspect: str, resolution: str
) -> None:
    body = adapter().build_request(shot(width=width, height=height)).body
    assert (body["aspect_ratio"], body["resolution"]) == (aspect, resolution)


def test_1080p_only_on_15_and_not_for_references(tmp_path: Path) -> None:
    hd = shot(width=1920, height=1080)
    body = adapter().build_request(hd, {"model_name": "grok-imagine-video-1.5"}).body
    assert body["resolution"] == "1080p"
    preview = adapter().build_request(hd, {"model_name": "grok-imagine-video-1.5-preview"})
    assert preview.body["resolution"] == "720p"
    ref = ElementRef("hero", references=(png(tmp_path / "r.png"),))
    r2v = adapter().build_request(
        shot(width=1920, height=1080, elements=(ref,)), {"model_name": "grok-imagine-video-1.5"}
    )
    assert r2v.body["resolution"] == "720p"
    assert any("reference images" in w for w in r2v.warnings)
    with pytest.raises(InvalidRequest, match="1080p"):
        adapter().build_request(shot(), {"resolution": "1080p"})


def test_durations_are_bounded() -> None:
    assert adapter().build_request(shot(frames=360)).body["duration"] == 15
    assert adapter().build_request(shot(frames=6)).body["duration"] == 1
    assert adapter().build_request(shot(), {"duration": 12}).body["duration"] == 12
    with pytest.raises(InvalidRequest, match="longer than"):
        adapter().build_request(shot(frames=24 * 16))


def test_first_frame_is_a_data_uri_and_excludes_references(tmp_path: Path) -> None:
    frame = png(tmp_path / "f.png")
    ref = ElementRef("hero", references=(png(tmp_path / "r.png"),))
    wire = adapter().build_request(shot(first_frame=frame, elements=(ref,)))
    url = wire.body["image"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == frame.read_bytes()
    assert "reference_images" not in wire.body
    assert any("exclusive" in w for w in wire.warnings)


def test_references_up_to_seven(tmp_path: Path) -> None:
    refs = tuple(png(tmp_path / f"r{i}.png") for i in range(9))
    wire = adapter().build_request(shot(elements=(ElementRef("a", references=refs),)))
    assert len(wire.body["reference_images"]) == 7
    assert all(r["url"].startswith("data:image/png") for r in wire.body["reference_images"])
    assert "image" not in wire.body


def test_last_frame_only_on_15(tmp_path: Path) -> None:
    first, last = png(tmp_path / "a.png"), png(tmp_path / "b.png")
    base = adapter().build_request(shot(first_frame=first, last_frame=last))
    assert "last_frame" not in base.body and any("last frame" in w for w in base.warnings)
    v15 = adapter().build_request(
        shot(first_frame=first, last_frame=last), {"model_name": "grok-imagine-video-1.5"}
    )
    assert v15.body["last_frame"]["url"].startswith("data:image/png")


def test_catalogue_options_mode_sound_and_voices() -> None:
    wire = adapter().build_request(shot(seed=7), {"mode": "std", "sound": False})
    assert wire.body["generate_audio"] is False
    assert "mode" not in wire.body and "seed" not in wire.body
    assert any("no mode" in w for w in wire.warnings) and any("seed" in w for w in wire.warnings)
    v15 = adapter().build_request(
        shot(), {"model_name": "grok-imagine-video-1.5", "voices": ["ara", "leo"]}
    )
    assert v15.body["reference_audios"] == [{"voice_id": "ara"}, {"voice_id": "leo"}]
    with pytest.raises(InvalidRequest, match="voices"):
        adapter().build_request(shot(), {"voices": ["ara"]})
    with pytest.raises(InvalidRequest, match="options"):
        adapter().build_request(shot(), {"sedd": 1})


def test_prompt_folds_camera_dialogue_and_sound_and_is_capped() -> None:
    line = TimedLine(speaker="Ana", text="Hold the light", start=0.0, end=1.0)
    body = adapter().build_request(shot(camera="dolly_in", dialogue=(line,), sound="gulls")).body
    assert body["prompt"] == (
        'a lighthouse at dusk Camera: dolly in. Ana says: "Hold the light" Sound: gulls.'
    )
    with pytest.raises(InvalidRequest, match="4096"):
        adapter().build_request(shot("x" * 5000))


def test_edit_and_extension_bodies() -> None:
    edit = adapter().build_request(
        shot(frames=240), {"operation": "edit", "video_url": "https://vidgen.x.ai/a.mp4"}
    )
    assert edit.path == "/videos/edits" and edit.route == "edit"
    assert edit.body == {
        "model": "grok-imagine-video",
        "prompt": "a lighthouse at dusk",
        "video": {"url": "https://vidgen.x.ai/a.mp4"},
    }
    ext = adapter().build_request(shot(frames=96), {"operation": "extend", "video_file_id": "f1"})
    assert ext.path == "/videos/extensions"
    assert ext.body["video"] == {"file_id": "f1"} and ext.body["duration"] == 4
    assert "aspect_ratio" not in ext.body and "resolution" not in ext.body
    with pytest.raises(InvalidRequest, match="longer than"):
        adapter().build_request(shot(frames=24 * 11), {"operation": "extend", "video_url": "u"})
    with pytest.raises(InvalidRequest, match="only offered"):
        adapter().build_request(
            shot(),
            {"operation": "edit", "video_url": "u", "model_name": "grok-imagine-video-1.5"},
        )
    with pytest.raises(InvalidRequest, match="needs video_url"):
        adapter().build_request(shot(), {"operation": "edit"})


def test_idempotency_key_is_never_sent() -> None:
    wire = adapter().build_request(shot(), idempotency_key="rf-abc")
    assert wire.idempotency_key == "rf-abc"
    assert "rf-abc" not in str(wire.body)


@pytest.mark.parametrize(
    ("ticks", "usd"),
    [
        (500000000, Decimal("0.05")),
        (14100000000, Decimal("1.41")),
        (1, Decimal("1E-10")),
        (0, Decimal(0)),
        ("123456789012", Decimal("12.3456789012")),
        (None, None),
    ],
)
def test_ticks_convert_exactly(ticks: Any, usd: Decimal | None) -> None:
    assert ticks_to_usd(ticks) == usd


def test_missing_key_names_the_variable_and_the_command() -> None:
    with pytest.raises(MissingKey) as info:
        XaiAdapter()
    assert "XAI_API_KEY" in str(info.value) and "reel keys set xai" in str(info.value)


def test_base_url_is_host_plus_v1_and_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    assert urlsplit(DEFAULT_BASE_URL)[:3] == ("https", "api.x.ai", "/v1")
    assert XaiAdapter(api_key="k").base_url == DEFAULT_BASE_URL
    monkeypatch.setenv("REELFORGE_XAI_BASE_URL", "http://127.0.0.1:5/v1/")
    monkeypatch.setenv("XAI_API_KEY", "from-env")
    a = XaiAdapter()
    assert (a.base_url, a.api_key) == ("http://127.0.0.1:5/v1", "from-env")
