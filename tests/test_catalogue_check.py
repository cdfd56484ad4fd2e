"""Refusal before spending: each coupling refuses what it should and lets through what it should."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from reelforge.catalogue import check
from reelforge.catalogue.outcome import CheckResult
from reelforge.generators.base import ElementRef, ShotRequest, TimedLine

TALK = (TimedLine("ana", "hello", 0.0, 1.0),)


def shot(seconds: float, width: int = 1280, height: int = 720, **kw: Any) -> ShotRequest:
    fps = int(kw.pop("fps", 24))
    return ShotRequest(
        shot_id="s1",
        prompt="a shot",
        frames=round(seconds * fps),
        fps=fps,
        width=width,
        height=height,
        **kw,
    )


def refs(n: int, folder: Path) -> tuple[ElementRef, ...]:
    return (ElementRef("hero", references=tuple(folder / f"r{i}.png" for i in range(n))),)


def png(path: Path, width: int, height: int) -> Path:
    # Only the header matters: signature + IHDR length/type + width/height.
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + struct.pack(">II", width, height)
    )
    return path


def fields(result: CheckResult) -> set[str]:
    return {r.field for r in result.refusals}


def test_plain_shot_passes_on_veo() -> None:
    result = check("veo-3.1@gemini", shot(8, dialogue=TALK))
    assert result.ok
    assert result.settings is not None
    assert result.settings.duration_s == 8
    assert result.settings.resolution == "720p"


def test_kling_sound_requires_pro_on_v26() -> None:
    refused = check("kling-v2.6-std", shot(5, sound="thunder"))
    assert "audio" in fields(refused)
    message = str(refused.refusals[0])
    assert "mode pro" in message and "kling-v2.6-std" in message
    assert "kling-v2.6-pro" in refused.refusals[0].alternatives
    assert check("kling-v2.6-pro", shot(5, width=1920, height=1080, sound="thunder")).ok
    assert check("kling-v2.6-std", shot(5)).ok  # silent std is fine


def test_end_frame_requires_first_frame(tmp_path: Path) -> None:
    only_end = check("veo-3.1@gemini", shot(8, last_frame=tmp_path / "end.png"))
    assert "last_frame" in fields(only_end)
    assert "first_frame" in only_end.refusals[0].message
    both = shot(8, first_frame=tmp_path / "a.png", last_frame=tmp_path / "b.png")
    assert check("veo-3.1@gemini", both).ok


def test_veo_references_exclude_first_and_last_frame(tmp_path: Path) -> None:
    with_frame = shot(8, elements=refs(2, tmp_path), first_frame=tmp_path / "a.png")
    refused = check("veo-3.1@gemini", with_frame)
    assert "reference_images + first_frame" in fields(refused)
    assert check("veo-3.1@gemini", shot(8, elements=refs(3, tmp_path))).ok
    too_many = check("veo-3.1@gemini", shot(8, elements=refs(4, tmp_path)))
    assert "reference_images" in fields(too_many)
    assert "at most 3" in too_many.refusals[0].rule


def test_seedance_frames_and_references_are_exclusive(tmp_path: Path) -> None:
    mixed = shot(
        5, elements=refs(2, tmp_path), last_frame=tmp_path / "b.png", first_frame=tmp_path / "a.png"
    )
    refused = check("seedance-2.0", mixed)
    assert "reference_images + first_frame + last_frame" in fields(refused)
    assert any("exclusive" in r.rule for r in refused.refusals)
    assert check("seedance-2.0", shot(5, elements=refs(9, tmp_path))).ok
    frames = shot(5, first_frame=tmp_path / "a.png", last_frame=tmp_path / "b.png")
    assert check("seedance-2.0", frames).ok


def test_sora_input_image_must_equal_output_size(tmp_path: Path) -> None:
    wrong = png(tmp_path / "wrong.png", 1024, 768)
    right = png(tmp_path / "right.png", 1280, 720)
    refused = check("sora-2", shot(8, first_frame=wrong))
    size = [r for r in refused.refusals if r.field == "first_frame"]
    assert size and "1024x768" in size[0].message and "1280x720" in size[0].message
    matching = check("sora-2", shot(8, first_frame=right))
    assert fields(matching) == {"model"}  # only the retirement remains


def test_sora_2_is_refused_with_its_retirement_date() -> None:
    refused = check("sora-2", shot(8))
    assert not refused.ok
    (retired,) = [r for r in refused.refusals if r.field == "model"]
    assert "2026-09-24" in retired.message
    assert retired.alternatives and "sora-2" not in retired.alternatives


def test_runway_has_no_end_frame_and_alternatives_can(tmp_path: Path) -> None:
    request = shot(5, first_frame=tmp_path / "a.png", last_frame=tmp_path / "b.png")
    refused = check("runway-gen4.5", request)
    (refusal,) = refused.refusals
    assert refusal.field == "last_frame"
    text = str(refusal)
    assert "runway-gen4.5 has no end-frame input" in text and "models that can:" in text
    assert "veo-3.1@gemini" in refusal.alternatives
    assert "kling-v2.6-pro" in refusal.alternatives
    for alternative in refusal.alternatives:
        assert check(alternative, request).ok, alternative


def test_duration_is_rounded_and_reported() -> None:
    result = check("veo-3.1@gemini", shot(7))
    assert result.ok
    assert result.settings is not None and result.settings.duration_s == 8
    (duration,) = [a for a in result.adjustments if a.field == "duration"]
    assert duration.before == "7" and duration.after == "8"
    assert "4, 6, 8" in duration.message


def test_too_long_a_shot_is_refused_not_truncated() -> None:
    refused = check("veo-3.1@gemini", shot(12))
    assert "duration" in fields(refused)
    assert all(
        r.field != "duration"
        for alt in refused.refusals[0].alternatives[:3]
        for r in check(alt, shot(12)).refusals
    )


def test_hailuo_1080p_allows_only_6_seconds() -> None:
    assert check("hailuo-2.3", shot(6, width=1920, height=1080)).ok
    refused = check("hailuo-2.3", shot(10, width=1920, height=1080))
    assert "duration" in fields(refused)
    assert "resolution=1080p" in refused.refusals[0].rule
    assert check("hailuo-2.3", shot(10, width=1366, height=768)).ok


def test_kling_o1_text_to_video_durations_are_narrowed() -> None:
    result = check("kling-o1-pro", shot(7, width=1920, height=1080))
    assert result.settings is not None and result.settings.duration_s == 5
    assert any(a.field == "duration" for a in result.adjustments)


def test_aspect_taken_from_image_is_reported(tmp_path: Path) -> None:
    result = check("kling-v3-pro", shot(5, width=1920, height=1080, first_frame=tmp_path / "a.png"))
    assert result.ok
    assert result.settings is not None and result.settings.aspect_ratio is None
    assert any(a.field == "aspect_ratio" and a.after == "from image" for a in result.adjustments)


def test_fps_and_unsupported_aspect_are_adjusted() -> None:
    result = check("veo-3.1@gemini", shot(8, width=960, height=720, fps=30))
    assert result.settings is not None
    assert result.settings.fps == 24 and result.settings.aspect_ratio == "16:9"
    assert {"fps", "aspect_ratio"} <= {a.field for a in result.adjustments}


def test_text_to_video_on_an_image_only_model_is_refused(tmp_path: Path) -> None:
    refused = check("runway-gen4-turbo", shot(5))
    assert "first_frame" in fields(refused)
    assert check("runway-gen4-turbo", shot(5, first_frame=tmp_path / "a.png")).ok


def test_disabled_reverse_channel_is_refused() -> None:
    refused = check("grok-imagine-consumer@reverse", shot(8))
    assert "model" in fields(refused)
    assert "disabled" in refused.refusals[0].rule


def test_grok_15_references_cap_resolution(tmp_path: Path) -> None:
    result = check(
        "grok-imagine-video-1.5", shot(5, width=1920, height=1080, elements=refs(2, tmp_path))
    )
    assert result.ok
    assert result.settings is not None and result.settings.resolution == "720p"
    plain = check("grok-imagine-video-1.5", shot(5, width=1920, height=1080))
    assert plain.settings is not None and plain.settings.resolution == "1080p"
