"""Assembly: frame-exact durations for every transition, copy vs encode, sync, subtitles."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from reelforge.assembly.assemble import Conform, assemble
from reelforge.assembly.subtitles import Cue, write_srt
from reelforge.audio.wavio import write_wav
from reelforge.media.h264 import apply_settings, house_settings
from reelforge.media.probe import probe
from reelforge.plan.timeline import build_timeline

MakeClip = Callable[..., Path]


def _tone_wav(path: Path, seconds: float) -> Path:
    t = np.arange(round(seconds * 48000)) / 48000
    write_wav(path, (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 48000)
    return path


@pytest.mark.parametrize(
    "transitions",
    [
        [("cut", 0), ("cut", 0), ("cut", 0)],
        [("cut", 0), ("crossfade", 0.5), ("crossfade", 0.25)],
        [("cut", 0), ("dip_to_black", 0.5), ("cut", 0)],
        [("dip_to_black", 0.5), ("crossfade", 1.0), ("dip_to_black", 0.75)],
    ],
    ids=["cuts", "crossfades", "dip-to-black", "fade-in-mixed"],
)
@pytest.mark.parametrize("fps", [24, 30])
def test_duration_is_exact_to_the_frame(
    make_clip: MakeClip, tmp_path: Path, transitions: list[tuple[str, float]], fps: int
) -> None:
    durations = [2.0, 1.5, 2.5]
    clips = [make_clip(f"c{i}.mp4", d, fps=fps) for i, d in enumerate(durations)]
    tl = build_timeline(durations, transitions, fps)
    audio = _tone_wav(tmp_path / "a.wav", tl.duration)
    result = assemble(clips, tl, tmp_path / "out.mp4", Conform(320, 180, fps), audio=audio)
    info = probe(result.path, count_frames=True)
    assert info.frames == tl.frames
    assert abs(info.duration - tl.duration) <= 1 / fps
    assert info.fps == Fraction(fps)
    assert (info.width, info.height, info.pix_fmt) == (320, 180, "yuv420p")
    assert info.audio_codec == "aac"
    assert abs(info.audio_duration - tl.duration) <= 1 / fps
    assert result.mode == ("copy" if transitions[0][0] == "cut" and tl.cuts_only else "encode")


def test_cuts_of_matching_clips_are_not_reencoded(make_clip: MakeClip, tmp_path: Path) -> None:
    import av

    clips = [make_clip(f"c{i}.mp4", 1.0) for i in range(2)]
    tl = build_timeline([1.0, 1.0], [("cut", 0)] * 2, 24)
    result = assemble(clips, tl, tmp_path / "out.mp4", Conform(320, 180, 24))
    assert result.mode == "copy"

    def frames(path: Path) -> list[bytes]:
        with av.open(str(path)) as c:
            return [f.to_ndarray().tobytes() for f in c.decode(video=0)]

    # Bit-identical pictures: any re-encode, even at high quality, would change them.
    assert frames(result.path) == frames(clips[0]) + frames(clips[1])


def test_clips_off_spec_are_conformed(make_clip: MakeClip, tmp_path: Path) -> None:
    clips = [make_clip("big.mp4", 1.0, size="640x480", fps=30), make_clip("ok.mp4", 1.0)]
    tl = build_timeline([1.0, 1.0], [("cut", 0)] * 2, 24)
    result = assemble(clips, tl, tmp_path / "out.mp4", Conform(320, 180, 24))
    info = probe(result.path, count_frames=True)
    assert result.mode == "encode"
    assert (info.width, info.height, info.frames, info.fps) == (320, 180, 48, Fraction(24))


def test_burned_subtitles_appear_only_in_their_window(make_clip: MakeClip, tmp_path: Path) -> None:
    import av

    clip = make_clip("black.mp4", 3.0, pattern="color=c=black")
    tl = build_timeline([3.0], [("cut", 0)], 24)
    result = assemble(
        [clip], tl, tmp_path / "out.mp4", Conform(320, 180, 24), burn=[Cue(1.0, 2.0, "Hello")]
    )
    with av.open(str(result.path)) as c:
        frames = [f.to_ndarray(format="gray") for f in c.decode(video=0)]
    band = [float(f[120:, :].max()) for f in frames]
    assert max(band[28:44]) > 150  # white text between 1 s and 2 s
    assert max(band[:20]) < 60 and max(band[52:]) < 60


def test_srt_sidecar(tmp_path: Path) -> None:
    path = write_srt([Cue(3.5, 5.25, "B: two"), Cue(0.0, 1.0, "A: one")], tmp_path / "s.srt")
    assert path.read_text() == (
        "1\n00:00:00,000 --> 00:00:01,000\nA: one\n\n2\n00:00:03,500 --> 00:00:05,250\nB: two\n"
    )


@pytest.mark.parametrize(
    ("transitions", "house", "mode"),
    [
        ([("cut", 0)] * 3, False, "copy"),
        ([("cut", 0), ("cut", 0), ("crossfade", 0.5)], False, "encode"),
        ([("cut", 0), ("cut", 0), ("crossfade", 0.5)], True, "smart"),
    ],
)
def test_av_sync_through_assembly_within_one_frame(
    tmp_path: Path, transitions: list[tuple[str, float]], house: bool, mode: str
) -> None:
    """A stamped test pattern, split into shot clips and reassembled, stays in sync."""
    import av
    import av_drift_detector as avd

    fps, w, h, seconds = 30, 640, 360, [2.0, 2.0, 2.0]
    renderer = avd.PatternRenderer(fps=str(fps), width=w, height=h)
    tl = build_timeline(seconds, transitions, fps)
    clips = []
    for slot in tl.shots:
        path = tmp_path / f"shot{slot.index}.mp4"
        with av.open(str(path), "w") as out:
            stream = out.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
            if house:  # as previz encodes, so the smart join applies
                apply_settings(stream.codec_context, house_settings(fps))
            else:
                stream.options = {"preset": "ultrafast", "crf": "18"}
            for k in range(slot.frames):
                luma = np.frombuffer(renderer.render(slot.start + k), np.uint8).reshape(h, w)
                frame = av.VideoFrame(w, h, "yuv420p")
                frame.planes[0].update(luma.tobytes())
                frame.planes[1].update(bytes([128]) * (frame.planes[1].buffer_size))
                frame.planes[2].update(bytes([128]) * (frame.planes[2].buffer_size))
                frame.pts = k
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        clips.append(path)
    samples = np.array(avd.synthesize_audio(round(tl.duration * 48000), fps=str(fps)), np.float32)
    audio = tmp_path / "pattern.wav"
    write_wav(audio, samples, 48000, fmt="float32")
    result = assemble(clips, tl, tmp_path / "out.mp4", Conform(w, h, fps, crf=18), audio=audio)
    assert result.mode == mode

    reader = avd.StampReader()
    chunks = []
    with av.open(str(result.path)) as c:
        for frame in c.decode(video=0):
            luma = frame.to_ndarray(format="gray")
            reader.read(np.ascontiguousarray(luma), w, h, float(frame.pts * frame.time_base))
        c.seek(0)
        for frame in c.decode(audio=0):
            chunks.append(frame.to_ndarray().mean(axis=0))
            if len(chunks) == 1:
                audio_start = float(frame.pts * frame.time_base)
    report = avd.analyze_frames(
        reader.finish(),
        {"sample_rate": 48000, "start_time": audio_start, "samples": np.concatenate(chunks)},
        width=w,
        height=h,
        duration=tl.duration - 0.6,  # the crossfade's blended frames carry no readable stamp
    )
    summary = report["summary"]
    assert summary["measured"] > 0.6 * tl.frames
    assert abs(summary["mean_ms"]) <= 1000 / fps
    assert max(abs(summary["min_ms"]), abs(summary["max_ms"])) <= 1000 / fps
