"""The previz generator: its output file, determinism, looks, cards, keyframes, slate, subtitles.

Camera moves are covered in test_previz_camera.py. Renders here are small (320x180, about a
second) so the whole file runs in seconds.
"""

from __future__ import annotations

import itertools
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from reelforge._exceptions import GeneratorError
from reelforge.generators.base import ElementRef, GeneratedClip, ShotRequest, TimedLine
from reelforge.generators.previz import (
    Look,
    PrevizGenerator,
    iter_frames,
    look_for_prompt,
    working_size,
)
from reelforge.generators.previz.elements import name_color
from reelforge.generators.previz.layers import resample
from reelforge.generators.previz.slate import timecode

W, H = 320, 180


def request(**changes: Any) -> ShotRequest:
    base: dict[str, Any] = {
        "shot_id": "s01",
        "prompt": "a lighthouse keeper looks out to sea",
        "frames": 24,
        "fps": 24,
        "width": W,
        "height": H,
        "seed": 3,
    }
    base.update(changes)
    return ShotRequest(**base)


def decode(path: Path) -> tuple[list[np.ndarray], dict[str, Any]]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        duration = stream.duration * stream.time_base if stream.duration and stream.time_base else 0
        info: dict[str, Any] = {
            "codec": stream.codec_context.name,
            "pix_fmt": stream.codec_context.pix_fmt,
            "size": (stream.codec_context.width, stream.codec_context.height),
            "rate": stream.average_rate,
            "audio_streams": len(container.streams.audio),
            "duration": float(duration),
        }
        frames, keys = [], []
        for frame in container.decode(stream):
            frames.append(frame.to_ndarray(format="rgb24"))
            keys.append(bool(frame.key_frame))
        info["keyframes"] = [i for i, key in enumerate(keys) if key]
    return frames, info


def mad(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference in 8-bit levels."""
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def count_near(frame: np.ndarray, color: tuple[int, int, int], tol: int = 12) -> int:
    diff = np.abs(frame.astype(np.int16) - np.array(color, dtype=np.int16))
    return int((diff.max(axis=2) <= tol).sum())


# --- the generator and its output file ------------------------------------------------------


def test_capabilities() -> None:
    assert PrevizGenerator.name == "previz"
    assert PrevizGenerator.version  # part of every previz cache key
    assert PrevizGenerator.burns_dialogue is True
    assert PrevizGenerator.native_audio is False


def test_render_writes_exact_h264_clip(tmp_path: Path) -> None:
    shot = request(frames=60, fps=24, camera="dolly_in", dialogue=(TimedLine("A", "Hi.", 0.5, 1),))
    out = tmp_path / "clips" / "s01.mp4"
    started = time.perf_counter()
    clip = PrevizGenerator().render(shot, out)
    elapsed = time.perf_counter() - started
    print(f"previz {shot.frames} frames {W}x{H}: {1000 * elapsed / shot.frames:.2f} ms/frame")

    assert isinstance(clip, GeneratedClip)
    assert clip.path == out and clip.frames == 60 and clip.has_audio is False
    assert clip.meta["generator"] == "previz" and clip.meta["camera"] == "dolly_in"
    assert not list(out.parent.glob("*.partial.mp4"))
    frames, info = decode(out)
    assert len(frames) == 60
    assert info["codec"] == "h264"
    assert info["pix_fmt"] == "yuv420p"
    assert info["size"] == (W, H)
    assert frames[0].shape == (H, W, 3)
    assert info["rate"] == Fraction(24)
    assert info["audio_streams"] == 0
    assert info["duration"] == pytest.approx(60 / 24, abs=1e-6)
    assert info["keyframes"][0] == 0
    # One keyframe a second, so the smart join re-encodes at most ~1 s around a transition.
    assert all(b - a <= 24 for a, b in itertools.pairwise([*info["keyframes"], 60]))


def test_render_at_delivery_size_larger_than_working_size(tmp_path: Path) -> None:
    shot = request(width=640, height=360, frames=6, fps=25)
    frames, info = decode(PrevizGenerator().render(shot, tmp_path / "a.mp4").path)
    assert len(frames) == 6 and info["size"] == (640, 360) and info["rate"] == Fraction(25)


def test_preset_is_overridable(tmp_path: Path) -> None:
    clip = PrevizGenerator(preset="veryfast", crf=30).render(request(frames=4), tmp_path / "b.mp4")
    assert clip.meta["preset"] == "veryfast" and clip.meta["crf"] == 30
    assert len(decode(clip.path)[0]) == 4


def test_single_frame_and_portrait_shots(tmp_path: Path) -> None:
    gen = PrevizGenerator()
    one, info = decode(gen.render(request(frames=1), tmp_path / "one.mp4").path)
    assert len(one) == 1 and info["size"] == (W, H)
    tall, info = decode(
        gen.render(request(width=180, height=320, frames=3), tmp_path / "t.mp4").path
    )
    assert len(tall) == 3 and info["size"] == (180, 320)


def test_iter_frames_are_at_working_size() -> None:
    frames = list(iter_frames(request(width=1280, height=720, frames=2)))
    assert len(frames) == 2
    assert frames[0].shape == (360, 640, 3) and frames[0].dtype == np.uint8


@pytest.mark.parametrize(
    ("box", "size"),
    [
        ((10.3, 5.0, 110.3, 85.0), (100, 80)),  # a pan: only x is filtered
        ((10.0, 5.7, 110.0, 85.7), (100, 80)),  # a tilt: only y
        ((10.0, 5.0, 110.0, 85.0), (100, 80)),  # whole pixels: a crop
        ((10.3, 5.2, 120.3, 90.2), (90, 80)),  # a scale: both axes
    ],
)
def test_resample_shortcut_matches_pil_resize(
    box: tuple[float, float, float, float], size: tuple[int, int]
) -> None:
    rng = np.random.default_rng(0)
    src = Image.fromarray((rng.random((120, 200, 3)) * 255).astype(np.uint8))
    fast = np.asarray(resample(src, size, box)).astype(int)
    plain = np.asarray(src.resize(size, Image.Resampling.BILINEAR, box=box)).astype(int)
    assert np.abs(fast - plain).max() <= 1


def test_working_size() -> None:
    assert working_size(1280, 720) == (640, 360)
    assert working_size(1920, 1080) == (960, 540)
    assert working_size(3840, 2160) == (960, 540)
    assert working_size(720, 1280) == (360, 640)
    assert working_size(320, 180) == (320, 180)


# --- determinism ----------------------------------------------------------------------------


def test_same_seed_same_frames_and_video(tmp_path: Path) -> None:
    shot = request(camera="handheld", prompt="snowy forest at night", elements=(ElementRef("Ava"),))
    first = list(iter_frames(shot))
    second = list(iter_frames(shot))
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    gen = PrevizGenerator()
    video_a, _ = decode(gen.render(shot, tmp_path / "a.mp4").path)
    video_b, _ = decode(gen.render(shot, tmp_path / "b.mp4").path)
    assert all(np.array_equal(a, b) for a, b in zip(video_a, video_b, strict=True))


def test_different_seeds_differ() -> None:
    a = next(iter_frames(request(seed=1)))
    b = next(iter_frames(request(seed=2)))
    assert mad(a, b) > 2.0


# --- look from the prompt -------------------------------------------------------------------


def test_prompt_words_choose_the_look() -> None:
    look, matched = look_for_prompt("A rainy neon city street at night")
    assert {"neon", "city", "night", "rain"} <= set(matched)
    assert look.particles == "rain" and look.scenery == "city" and look.stars
    assert look_for_prompt("an unclassifiable abstract notion") == (Look(), ())
    golden, _ = look_for_prompt("golden hour")
    assert golden.sun == "sun" and golden.light[2] < golden.light[0]
    room, _ = look_for_prompt("a kitchen interior at night")
    assert room.enclosed and not room.stars  # night dims the room's light, not its walls


def test_night_is_darker_than_noon_and_looks_differ() -> None:
    night = next(iter_frames(request(prompt="a field at night"), slate=False))
    noon = next(iter_frames(request(prompt="a field at noon"), slate=False))
    fire = next(iter_frames(request(prompt="a burning field"), slate=False))
    assert night.mean() < 0.5 * noon.mean()
    # Firelight is warm: more red than blue.
    assert fire[..., 0].mean() > fire[..., 2].mean() + 20


@pytest.mark.parametrize("weather", ["snow", "rain", "embers", "underwater", "dust"])
def test_weather_particles_animate(weather: str) -> None:
    shot = list(iter_frames(request(prompt=weather, frames=6), slate=False))
    changed = int((shot[0] != shot[5]).any(axis=2).sum())
    assert changed > 40, changed  # pixels touched by moving particles, camera static
    still = list(iter_frames(request(prompt="plain field", frames=6), slate=False))
    assert np.array_equal(still[0], still[5])


# --- elements -------------------------------------------------------------------------------


def test_reference_image_appears_as_a_card(tmp_path: Path) -> None:
    ref = tmp_path / "ava.png"
    Image.new("RGB", (120, 160), (255, 0, 255)).save(ref)
    with_card = next(iter_frames(request(elements=(ElementRef("Ava", references=(ref,)),))))
    silhouette = next(iter_frames(request(elements=(ElementRef("Ava"),))))
    assert count_near(with_card, (255, 0, 255)) > 1500
    assert count_near(with_card, (246, 246, 242), tol=4) > 100  # the card's white border
    assert count_near(silhouette, (255, 0, 255)) == 0
    assert count_near(silhouette, name_color("Ava"), tol=6) > 1500


def test_transparent_reference_is_a_cut_out(tmp_path: Path) -> None:
    ref = tmp_path / "cut.png"
    cut = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    ImageDraw.Draw(cut).ellipse((20, 20, 140, 140), fill=(255, 0, 255, 255))
    cut.save(ref)
    frame = next(iter_frames(request(elements=(ElementRef("Orb", references=(ref,)),))))
    assert count_near(frame, (255, 0, 255)) > 1000
    assert count_near(frame, (246, 246, 242), tol=4) == 0  # no card border around a cut-out


def test_shot_size_scales_elements() -> None:
    def figure_pixels(size: str) -> int:
        shot = request(size=size, elements=(ElementRef("Ava"),))
        return count_near(next(iter_frames(shot, slate=False)), name_color("Ava"), tol=6)

    sizes = ["extreme_wide", "wide", "medium", "close_up", "extreme_close_up"]
    pixels = [figure_pixels(size) for size in sizes]
    assert pixels == sorted(pixels) and pixels[0] * 10 < pixels[-1]


def test_several_elements_spread_across_the_frame() -> None:
    names = ("Ava", "Ben", "Cyd")
    frame = next(iter_frames(request(elements=tuple(ElementRef(n) for n in names)), slate=False))
    centres = []
    for name in names:
        _, xs = np.nonzero(np.abs(frame.astype(int) - np.array(name_color(name))).max(axis=2) <= 6)
        assert xs.size > 200
        centres.append(xs.mean())
    assert centres == sorted(centres) and centres[-1] - centres[0] > W * 0.4


# --- first and last frames ------------------------------------------------------------------


def _gradient(path: Path, size: tuple[int, int], tint: tuple[int, int, int]) -> Path:
    w, h = size
    x = np.linspace(0, 1, w)[None, :, None]
    y = np.linspace(0, 1, h)[:, None, None]
    img = (np.array(tint) * (0.4 + 0.6 * x) * (0.7 + 0.3 * y)).astype(np.uint8)
    Image.fromarray(img).save(path)
    return path


def test_first_and_last_frames_are_the_given_images(tmp_path: Path) -> None:
    first = _gradient(tmp_path / "first.png", (640, 360), (250, 120, 40))
    last = _gradient(tmp_path / "last.png", (300, 300), (40, 200, 240))  # centre-cropped
    shot = request(frames=36, camera="pan_left", first_frame=first, last_frame=last)
    frames, _ = decode(PrevizGenerator().render(shot, tmp_path / "k.mp4").path)
    below_slate = slice(H // 4, H)
    want_first = np.asarray(Image.open(first).convert("RGB").resize((W, H)))
    want_last = np.asarray(Image.open(last).convert("RGB").crop((0, 66, 300, 234)).resize((W, H)))
    assert mad(frames[0][below_slate], want_first[below_slate]) < 4
    assert mad(frames[-1][below_slate], want_last[below_slate]) < 4
    # ... and the animation shows in between, reached by dissolves rather than cuts.
    middle = frames[18][below_slate]
    assert mad(middle, want_first[below_slate]) > 20 and mad(middle, want_last[below_slate]) > 20
    steps = [mad(a, b) for a, b in itertools.pairwise(frames)]
    assert max(steps) < 25


# --- slate and subtitles --------------------------------------------------------------------


def test_timecode() -> None:
    assert timecode(0, 24) == "00:00:00:00"
    assert timecode(25, 24) == "00:00:01:01"
    assert timecode(24 * 3661 + 23, 24) == "01:01:01:23"


def test_slate_is_burned_in_and_runs() -> None:
    shot = list(iter_frames(request(frames=3)))
    clean = list(iter_frames(request(frames=3), slate=False))
    top = (slice(0, H // 4), slice(0, W))
    assert mad(shot[0][top], clean[0][top]) > 5
    assert count_near(shot[0][top], (214, 40, 40), tol=10) > 50  # the red PREVIZ badge
    assert not np.array_equal(shot[0][top], shot[1][top])  # the timecode runs
    assert np.array_equal(clean[0], clean[1])


def test_subtitles_show_exactly_during_their_line(tmp_path: Path) -> None:
    line = TimedLine("Ava", "We should not be here.", start=0.5, end=1.25)
    talking = list(iter_frames(request(frames=48, dialogue=(line,))))
    silent = list(iter_frames(request(frames=48)))
    band = (slice(H * 2 // 3, H), slice(0, W))
    shown = [mad(a[band], b[band]) > 1.0 for a, b in zip(talking, silent, strict=True)]
    assert shown == [12 <= i < 30 for i in range(48)]  # 0.5 s ≤ t < 1.25 s at 24 fps
    # The speaker's name is in the subtitle colour.
    assert count_near(talking[12][band], (255, 214, 90), tol=30) > 10

    frames, _ = decode(
        PrevizGenerator().render(request(frames=48, dialogue=(line,)), tmp_path / "d.mp4").path
    )
    plain, _ = decode(PrevizGenerator().render(request(frames=48), tmp_path / "p.mp4").path)
    assert mad(frames[20][band], plain[20][band]) > 1.0
    assert mad(frames[40][band], plain[40][band]) < 1.0


# --- failures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"camera": "barrel_roll"}, "unknown camera move"),
        ({"size": "huge"}, "unknown shot size"),
        ({"width": 321}, "even"),
        ({"frames": 0}, "frames"),
        (
            {"elements": (ElementRef("Ghost", references=(Path("/nonexistent/ghost.png"),)),)},
            "Ghost",
        ),
        ({"first_frame": Path("/nonexistent/first.png")}, "first_frame"),
    ],
)
def test_bad_requests_raise_generator_error(
    tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    out = tmp_path / "bad.mp4"
    with pytest.raises(GeneratorError, match=message) as caught:
        PrevizGenerator().render(request(**changes), out)
    assert caught.value.shot_id == "s01" and caught.value.generator == "previz"
    assert not out.exists()


def test_encoder_failure_raises_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "x.mp4"
    with pytest.raises(GeneratorError, match="writing"):
        PrevizGenerator(preset="no-such-preset").render(request(frames=2), out)
    assert list(tmp_path.iterdir()) == []


def test_unreadable_reference_raises(tmp_path: Path) -> None:
    bogus = tmp_path / "not-an-image.png"
    bogus.write_text("hello")
    with pytest.raises(GeneratorError, match="cannot read reference"):
        list(iter_frames(request(elements=(ElementRef("Ava", references=(bogus,)),))))
