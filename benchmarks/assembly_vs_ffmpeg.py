"""Benchmark (b): assembling six 5 s 1080p30 clips with 0.5 s crossfades and audio.

Times reelforge's assembly (decode the clips' audio, crossfade-mix it on the frame-exact
timeline, one ffmpeg graph for the pictures) beside the equivalent single hand-written ffmpeg
command, alternating runs in the same process. Target: ratio (ours / hand-written) <= 1.1.

    .venv/bin/python benchmarks/assembly_vs_ffmpeg.py [--reps 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from reelforge.assembly.assemble import Conform, assemble
from reelforge.audio.mix import Clip, mix_timeline
from reelforge.audio.wavio import write_wav
from reelforge.media.ffmpeg import ffmpeg_exe, run_ffmpeg
from reelforge.media.probe import probe
from reelforge.plan.timeline import build_timeline

N, SECONDS, FADE, FPS, W, H = 6, 5.0, 0.5, 30, 1920, 1080
PRESET, CRF = "veryfast", 20


def make_clips(folder: Path) -> list[Path]:
    clips = []
    for i in range(N):
        out = folder / f"c{i}.mp4"
        run_ffmpeg(
            [
                "-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate={FPS}:duration={SECONDS}",
                "-f", "lavfi", "-i", f"sine=frequency={220 * (i + 1)}:duration={SECONDS}",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-ac", "2", str(out),
            ],
            what="making benchmark clips",
        )  # fmt: skip
        clips.append(out)
    return clips


def hand_written(clips: list[Path], out: Path) -> list[str]:
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
    for c in clips:
        args += ["-i", str(c)]
    parts, v, a = [], "[0:v]", "[0:a]"
    for i in range(1, N):
        offset = i * (SECONDS - FADE)
        parts.append(f"{v}[{i}:v]xfade=transition=fade:duration={FADE}:offset={offset}[v{i}]")
        parts.append(f"{a}[{i}:a]acrossfade=d={FADE}[a{i}]")
        v, a = f"[v{i}]", f"[a{i}]"
    args += ["-filter_complex", ";".join(parts), "-map", v, "-map", a]
    args += ["-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p"]
    args += ["-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart", str(out)]
    return args


def ours(clips: list[Path], out: Path, work: Path) -> None:
    timeline = build_timeline([SECONDS] * N, [("cut", 0)] + [("crossfade", FADE)] * (N - 1), FPS)
    total = round(timeline.frames * 48000 / FPS)
    beds = []
    for slot, clip in zip(timeline.shots, clips, strict=True):
        with av.open(str(clip)) as c:
            samples = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1).T
        fade_out = FADE if slot.index < N - 1 else 0.0
        beds.append(
            Clip(
                round(slot.start * 48000 / FPS),
                samples,
                fade_in=slot.overlap / FPS,
                fade_out=fade_out,
            )
        )
    mixed = mix_timeline(total, beds, [], sample_rate=48000)
    wav = write_wav(work / "mix.wav", mixed, 48000)
    assemble(
        clips, timeline, out, Conform(W, H, FPS, preset=PRESET, crf=CRF), audio=wav, work_dir=work
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=2)
    reps = parser.parse_args().reps
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"making {N} clips of {SECONDS:g}s {W}x{H}@{FPS} with audio...")
        clips = make_clips(folder)
        times: dict[str, list[float]] = {"hand-written ffmpeg": [], "reelforge assemble": []}
        for _ in range(reps):
            t = time.perf_counter()
            subprocess.run(hand_written(clips, folder / "ref.mp4"), check=True)
            times["hand-written ffmpeg"].append(time.perf_counter() - t)
            t = time.perf_counter()
            ours(clips, folder / "ours.mp4", folder)
            times["reelforge assemble"].append(time.perf_counter() - t)
        ref, mine = (
            probe(folder / "ref.mp4", count_frames=True),
            probe(folder / "ours.mp4", count_frames=True),
        )
        for name, values in times.items():
            runs = [round(v, 2) for v in values]
            print(f"{name:22s} median {statistics.median(values):6.2f}s  runs {runs}")
        ratio = statistics.median(times["reelforge assemble"]) / statistics.median(
            times["hand-written ffmpeg"]
        )
        expected = int(FPS * (N * SECONDS - (N - 1) * FADE))
        print(f"frames: reference {ref.frames}, ours {mine.frames} (expected {expected})")
        verdict = "PASS" if ratio <= 1.1 else "FAIL"
        print(f"ratio ours/hand-written: {ratio:.3f}  (target <= 1.1: {verdict})")


if __name__ == "__main__":
    main()
