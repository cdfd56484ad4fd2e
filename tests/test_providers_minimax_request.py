"""MiniMax request building (pure): v1 Hailuo bodies and v2 MiniMax-H3 bodies from a shot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from reelforge.generators.base import ElementRef, ShotRequest
from reelforge.providers import InvalidRequest, MissingKey
from reelforge.providers.minimax import (
    HailuoAdapter,
    MiniMaxAdapter,
    MiniMaxCredentials,
    MiniMaxH3Adapter,
)

CREDS = MiniMaxCredentials(api_key="k")


def shot(**kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s", prompt="a fox in snow", frames=96, fps=24, width=1280, height=720
    )
    base.update(kw)
    return ShotRequest(**base)


def png(path: Path, size: tuple[int, int] = (64, 36)) -> Path:
    Image.new("RGB", size, (10, 200, 10)).save(path)
    return path


def build(request: ShotRequest, **options: Any) -> Any:
    return MiniMaxAdapter(credentials=CREDS, base_url="http://127.0.0.1:9").build_request(
        request, options
    )


def test_v1_text_to_video_body_rounds_duration_up_and_picks_resolution() -> None:
    wire = build(shot(camera="dolly_in"), model_name="MiniMax-Hailuo-2.3")
    assert wire.path == "/v1/video_generation" and wire.route == "v1"
    assert wire.idempotency_key is None
    assert wire.body == {
        "model": "MiniMax-Hailuo-2.3",
        "prompt": "a fox in snow [Push in]",
        "duration": 6,
        "resolution": "768P",
    }
    assert any("sent as 6 s" in w for w in wire.warnings)


def test_v1_1080p_long_shot_falls_back_to_768p_for_10_seconds() -> None:
    wire = build(shot(width=1920, height=1080, frames=8 * 24), model_name="MiniMax-Hailuo-2.3")
    assert wire.body["resolution"] == "768P" and wire.body["duration"] == 10
    assert any("1080P cannot make 8 s" in w for w in wire.warnings)
    short = build(shot(width=1920, height=1080), model_name="MiniMax-Hailuo-2.3")
    assert short.body["resolution"] == "1080P" and short.body["duration"] == 6


def test_v1_too_long_and_bad_resolution_are_refused_before_spending() -> None:
    with pytest.raises(InvalidRequest, match="longer than"):
        build(shot(frames=11 * 24), model_name="MiniMax-Hailuo-02")
    with pytest.raises(InvalidRequest, match="not 512P"):
        build(shot(), model_name="MiniMax-Hailuo-2.3", resolution="512P")
    assert build(shot(height=480, width=854), model_name="MiniMax-Hailuo-02").body[
        "resolution"
    ] == ("512P")


def test_v1_frames_and_subject_reference(tmp_path: Path) -> None:
    first, last = png(tmp_path / "a.png"), png(tmp_path / "b.png")
    wire = build(shot(first_frame=first, last_frame=last), model_name="MiniMax-Hailuo-02")
    assert wire.body["first_frame_image"].startswith("data:image/png;base64,")
    assert wire.body["last_frame_image"].startswith("data:image/png;base64,")
    with pytest.raises(InvalidRequest, match="no last frame"):
        build(shot(first_frame=first, last_frame=last), model_name="MiniMax-Hailuo-2.3")
    with pytest.raises(InvalidRequest, match="needs a first frame"):
        build(shot(), model_name="I2V-01")
    face = ElementRef("hero", references=(png(tmp_path / "face.png"),))
    s2v = build(shot(elements=(face,)), model_name="S2V-01")
    assert s2v.body["subject_reference"][0]["image"].startswith("data:image/png")
    assert s2v.body["resolution"] == "720P" and s2v.body["duration"] == 6
    dropped = build(shot(elements=(face,)), model_name="MiniMax-Hailuo-2.3")
    assert "subject_reference" not in dropped.body
    assert any("dropped" in w for w in dropped.warnings)


def test_v1_options_and_catalogue_keys() -> None:
    wire = build(
        shot(),
        model_name="minimax/MiniMax-Hailuo-2.3-Fast",
        mode="std",
        sound=True,
        prompt_optimizer=False,
        callback_url="https://example.invalid/cb",
    )
    assert wire.model == "MiniMax-Hailuo-2.3-Fast"
    assert wire.body["prompt_optimizer"] is False and wire.body["callback_url"]
    assert any("no mode" in w for w in wire.warnings)
    assert any("makes no sound" in w for w in wire.warnings)
    with pytest.raises(ValueError):
        build(shot(), model_name="MiniMax-Hailuo-2.3", duraton=6)
    with pytest.raises(InvalidRequest, match="2000"):
        build(shot(prompt="x" * 2001), model_name="MiniMax-Hailuo-2.3")


def test_v2_body_text_to_video() -> None:
    wire = build(shot(width=720, height=1280, frames=24 * 7, sound="wind"), model_name="MiniMax-H3")
    assert wire.path == "/v2/video_generation" and wire.route == "v2"
    assert wire.body == {
        "model": "MiniMax-H3",
        "content": [{"type": "text", "text": "a fox in snow Sound: wind."}],
        "resolution": "2K",
        "duration": 7,
        "ratio": "9:16",
    }
    assert build(shot(frames=48), model_name="MiniMax-H3").body["duration"] == 5
    with pytest.raises(InvalidRequest, match="longer"):
        build(shot(frames=24 * 16), model_name="MiniMax-H3")
    with pytest.raises(InvalidRequest, match="adaptive"):
        build(shot(), model_name="MiniMax-H3", ratio="adaptive")


def test_v2_frames_references_and_their_exclusion(tmp_path: Path) -> None:
    first, last = png(tmp_path / "a.png"), png(tmp_path / "b.png")
    wire = build(shot(first_frame=first, last_frame=last), model_name="MiniMax-H3")
    roles = [i.get("role") for i in wire.body["content"]]
    assert roles == [None, "first_frame", "last_frame"] and "ratio" not in wire.body
    refs = tuple(png(tmp_path / f"r{i}.png") for i in range(3))
    el = ElementRef("hero", references=refs)
    wire = build(
        shot(elements=(el,)),
        model_name="MiniMax-H3",
        reference_video_urls=("https://v.example/a.mp4",),
        reference_audio_urls=("https://v.example/a.mp3",),
    )
    kinds = [(i["type"], i.get("role")) for i in wire.body["content"][1:]]
    assert kinds == [("image_url", "reference_image")] * 3 + [
        ("video_url", "reference_video"),
        ("audio_url", "reference_audio"),
    ]
    with pytest.raises(InvalidRequest, match="not both"):
        build(shot(first_frame=first, elements=(el,)), model_name="MiniMax-H3")
    kept = build(shot(first_frame=first, elements=(el,)), model_name="MiniMax-H3", prefer="frames")
    assert [i.get("role") for i in kept.body["content"]] == [None, "first_frame"]
    many = ElementRef("crowd", references=tuple(png(tmp_path / f"m{i}.png") for i in range(10)))
    with pytest.raises(InvalidRequest, match="at most 9"):
        build(shot(elements=(many,)), model_name="MiniMax-H3")
    with pytest.raises(InvalidRequest, match="needs a reference image or video"):
        build(shot(), model_name="MiniMax-H3", reference_audio_urls=("https://x/a.mp3",))
    with pytest.raises(InvalidRequest, match="needs a first frame"):
        build(shot(last_frame=last), model_name="MiniMax-H3")


def test_version_pinned_adapters_and_unknown_models() -> None:
    url = "http://127.0.0.1:9"
    with pytest.raises(InvalidRequest, match="v2 model"):
        HailuoAdapter(credentials=CREDS, base_url=url).build_request(
            shot(), {"model_name": "MiniMax-H3"}
        )
    assert MiniMaxH3Adapter(credentials=CREDS, base_url=url).build_request(shot()).route == "v2"
    assert MiniMaxAdapter(credentials=CREDS, base_url=url).build_request(shot()).route == "v1"
    with pytest.raises(InvalidRequest, match="not a MiniMax video model"):
        build(shot(), model_name="kling-v3")


def test_missing_key_names_the_env_var_and_keys_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MINIMAX_API_KEY", raising=False)
    with pytest.raises(MissingKey) as info:
        MiniMaxAdapter()
    assert "MINIMAX_API_KEY" in str(info.value) and "reel keys set minimax" in str(info.value)
    monkeypatch.setenv("MINIMAX_API_KEY", "from-env")
    assert MiniMaxAdapter().auth_headers() == {"Authorization": "Bearer from-env"}
    assert "from-env" not in repr(MiniMaxCredentials("from-env"))
