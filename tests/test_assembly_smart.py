"""The smart join: clips in the house H.264 configuration are stitched, not re-encoded."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from reelforge.assembly.assemble import Conform, assemble
from reelforge.assembly.smart import annexb_to_avcc, index_clip, parameter_sets, plan_pieces
from reelforge.audio.wavio import write_wav
from reelforge.media.h264 import apply_settings, house_settings
from reelforge.media.probe import probe
from reelforge.plan.timeline import build_timeline

W, H, FPS = 320, 180, 24
COLOURS = [(200, 0, 0), (0, 200, 0), (0, 0, 200)]


def house_clip(path: Path, frames: int, colour: tuple[int, int, int], seed: int) -> Path:
    """A clip encoded as previz encodes: moving noise over a flat colour."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (H, W + frames, 3), dtype=np.uint8)
    with av.open(str(path), "w", format="mp4") as box:
        stream = box.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.time_base = Fraction(1, FPS)
        apply_settings(stream.codec_context, house_settings(FPS))
        for k in range(frames):
            rgb = (base[:, k : k + W] // 2 + np.array(colour, np.uint8) // 2).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            frame.pts = k
            for packet in stream.encode(frame):
                box.mux(packet)
        for packet in stream.encode(None):
            box.mux(packet)
    return path


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as box:
        return [f.to_ndarray(format="yuv420p") for f in box.decode(video=0)]


def test_parameter_sets_read_alike_from_avcc_and_annexb() -> None:
    sps, pps = b"\x67\x42\xc0\x1f\xda", b"\x68\xce\x0f\xc8"
    annexb = b"\x00\x00\x00\x01" + sps + b"\x00\x00\x00\x01" + pps
    avcc = b"\x01\x42\xc0\x1f\xff\xe1" + len(sps).to_bytes(2, "big") + sps + b"\x01"
    avcc += len(pps).to_bytes(2, "big") + pps
    assert parameter_sets(annexb) == parameter_sets(avcc) == (sps, pps)
    assert annexb_to_avcc(annexb) == b"\x00\x00\x00\x05" + sps + b"\x00\x00\x00\x04" + pps


@pytest.mark.parametrize(
    "transitions",
    [
        [("cut", 0), ("crossfade", 0.5), ("dip_to_black", 0.5)],
        [("dip_to_black", 0.5), ("cut", 0), ("crossfade", 1.0)],
    ],
    ids=["crossfade-dip", "fadein-cut-crossfade"],
)
def test_smart_join_is_frame_exact_and_copies_untouched_frames(
    tmp_path: Path, transitions: list[tuple[str, float]]
) -> None:
    durations = [3.0, 2.5, 3.0]
    tl = build_timeline(durations, transitions, FPS)
    clips = [
        house_clip(tmp_path / f"c{i}.mp4", s.frames, c, i)
        for i, (s, c) in enumerate(zip(tl.shots, COLOURS, strict=True))
    ]
    t = np.arange(round(tl.duration * 48000)) / 48000
    audio = write_wav(tmp_path / "a.wav", (0.1 * np.sin(2 * np.pi * 330 * t)), 48000)
    result = assemble(clips, tl, tmp_path / "out.mp4", Conform(W, H, FPS), audio=audio)
    assert result.mode == "smart"
    info = probe(result.path, count_frames=True)
    assert info.frames == tl.frames and info.audio_codec == "aac"
    assert abs(info.audio_duration - tl.duration) <= 1 / FPS

    out = decoded(result.path)
    sources = [decoded(c) for c in clips]
    # Every frame that is no part of a transition is bit-identical to its source frame.
    copied = 0
    for slot, frames in zip(tl.shots, sources, strict=True):
        nxt = tl.shots[slot.index + 1] if slot.index + 1 < len(tl.shots) else None
        pure = range(max(slot.overlap, slot.fade_in), slot.frames - (nxt.overlap if nxt else 0))
        for k in pure:
            assert np.array_equal(out[slot.start + k], frames[k]) or k < 24 + slot.overlap
            copied += np.array_equal(out[slot.start + k], frames[k])
    assert copied >= tl.frames * 0.6
    # Transitions really blend: a crossfade frame mid-way is between its two sources.
    for slot in tl.shots[1:]:
        if slot.transition == "crossfade":
            mid = slot.start + slot.overlap // 2
            prev = tl.shots[slot.index - 1]
            a = sources[prev.index][prev.frames - slot.overlap + slot.overlap // 2].astype(float)
            b = sources[slot.index][slot.overlap // 2].astype(float)
            got = out[mid].astype(float)
            assert np.abs(got - a).mean() > 5 and np.abs(got - b).mean() > 5
            assert np.abs(got - (a + b) / 2).mean() < np.abs(a - b).mean() / 2
        if slot.transition == "dip_to_black":
            darkest = min(out[slot.start + k][:H].mean() for k in range(slot.overlap))
            assert darkest < 40  # luma reaches near black at the dip's middle
    if tl.shots[0].fade_in:
        assert out[0][:H].mean() < out[tl.shots[0].fade_in + 2][:H].mean() - 30


def test_smart_join_falls_back_when_headers_differ(tmp_path: Path, make_clip) -> None:  # type: ignore[no-untyped-def]
    tl = build_timeline([1.0, 1.0], [("cut", 0), ("crossfade", 0.25)], FPS)
    clips = [house_clip(tmp_path / "house.mp4", 24, (9, 9, 9), 0), make_clip("other.mp4", 1.0)]
    assert parameter_sets(index_clip(clips[0], FPS).extradata) != parameter_sets(
        index_clip(clips[1], FPS).extradata
    )
    result = assemble(clips, tl, tmp_path / "out.mp4", Conform(W, H, FPS))
    assert result.mode == "encode" and result.frames == tl.frames


def test_pieces_copy_from_the_first_keyframe_after_each_transition(tmp_path: Path) -> None:
    tl = build_timeline([3.0, 3.0], [("cut", 0), ("crossfade", 0.5)], FPS)
    clips = [house_clip(tmp_path / f"c{i}.mp4", 72, (50, 50, 50), i) for i in range(2)]
    index = [index_clip(c, FPS) for c in clips]
    assert index[0].keyframes == (0, 24, 48)
    pieces = plan_pieces(tl, index)
    kinds = [type(p).__name__ for p in pieces]
    assert kinds == ["_Copy", "_Encode", "_Copy"]
    first, blend, second = pieces
    assert (first.start, first.end) == (0, 60)  # type: ignore[union-attr]
    assert len(blend.frames) == 2 * 12 + (24 - 12)  # type: ignore[union-attr]
    assert (second.start, second.end) == (24, 72)  # type: ignore[union-attr]
