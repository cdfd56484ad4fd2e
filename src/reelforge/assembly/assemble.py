"""Joining shot clips into the finished cut.

Two paths: a cuts-only timeline whose clips already match the delivery spec is joined with the
concat demuxer and no video re-encode (lossless and near-instant); anything else is one ffmpeg
filter graph (conform, xfade / concat, subtitle overlays) and one encode. Either way the mixed
audio track is muxed in and the output is checked to hold exactly the timeline's frames.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from reelforge._exceptions import MediaError
from reelforge.assembly.subtitles import Cue, render_cue_png
from reelforge.media.ffmpeg import finish_ffmpeg, run_ffmpeg, start_ffmpeg
from reelforge.media.probe import MediaInfo, probe
from reelforge.plan.timeline import Timeline


@dataclass(frozen=True)
class Conform:
    width: int
    height: int
    fps: int
    preset: str = "veryfast"
    crf: int = 20
    audio_bitrate: str = "192k"
    smart: bool = True  # copy untouched frames and re-encode only transitions, when possible


@dataclass
class AssemblyResult:
    path: Path
    mode: str  # "copy" (no video re-encode), "smart" (transitions only) or "encode"
    frames: int
    seconds: float
    command: list[str] = field(default_factory=list)


def _matches(info: MediaInfo, spec: Conform, frames: int) -> bool:
    return (
        info.video_codec == "h264"
        and info.pix_fmt == "yuv420p"
        and (info.width, info.height) == (spec.width, spec.height)
        and info.fps == Fraction(spec.fps)
        and info.frames == frames
    )


def _audio_args(audio: Path | None, index: int, spec: Conform) -> list[str]:
    if audio is None:
        return []
    return ["-map", f"{index}:a:0", "-c:a", "aac", "-b:a", spec.audio_bitrate, "-ar", "48000"]


def build_filter_graph(
    timeline: Timeline, matching: list[bool], spec: Conform, cue_inputs: list[tuple[int, Cue]]
) -> tuple[str, str]:
    """Return (filter_complex, output label). Input i is clip i; cue inputs follow the clips."""
    fps, parts = timeline.fps, []
    labels: list[str] = []
    for slot, ok in zip(timeline.shots, matching, strict=True):
        i = slot.index
        chain: list[str] = []
        if not ok:  # scale to fill, then crop: never letterbox a generated shot
            chain += [
                f"scale={spec.width}:{spec.height}:force_original_aspect_ratio=increase",
                f"crop={spec.width}:{spec.height}",
                "setsar=1",
                f"fps={fps}",
                "format=yuv420p",
                "tpad=stop=-1:stop_mode=clone",  # a clip shorter than its slot holds its last frame
                f"trim=end_frame={slot.frames}",
                "setpts=PTS-STARTPTS",
            ]
        if slot.fade_in:
            chain.append(f"fade=t=in:s=0:n={slot.fade_in}")
        # concat outputs the default time base and xfade needs both inputs on the same one.
        chain.append("settb=AVTB")
        parts.append(f"[{i}:v]{','.join(chain)}[c{i}]")
        labels.append(f"[c{i}]")

    acc, pending, n = labels[0], [labels[0]], 0
    for slot in timeline.shots[1:]:
        label = labels[slot.index]
        if slot.overlap == 0:
            pending.append(label)
            continue
        if len(pending) > 1:
            n += 1
            parts.append(f"{''.join(pending)}concat=n={len(pending)}:v=1:a=0[j{n}]")
            acc = f"[j{n}]"
        else:
            acc = pending[0]
        kind = "fadeblack" if slot.transition == "dip_to_black" else "fade"
        n += 1
        parts.append(
            f"{acc}{label}xfade=transition={kind}:duration={slot.overlap / fps:.6f}"
            f":offset={slot.start / fps:.6f}[j{n}]"
        )
        pending = [f"[j{n}]"]
    if len(pending) > 1:
        n += 1
        parts.append(f"{''.join(pending)}concat=n={len(pending)}:v=1:a=0[j{n}]")
        pending = [f"[j{n}]"]
    acc = pending[0]
    for input_index, cue in cue_inputs:
        n += 1
        parts.append(
            f"{acc}[{input_index}:v]overlay=x=(W-w)/2:y=H-h-H/14:eof_action=repeat"
            f":enable='between(t,{cue.start:.3f},{cue.end:.3f})'[j{n}]"
        )
        acc = f"[j{n}]"
    return ";".join(parts), acc


def assemble(
    clips: list[Path],
    timeline: Timeline,
    out: Path,
    spec: Conform,
    *,
    audio: Path | None = None,
    burn: list[Cue] | None = None,
    work_dir: Path | None = None,
) -> AssemblyResult:
    if len(clips) != len(timeline.shots):
        raise ValueError("one clip per timeline shot is required")
    started = time.perf_counter()
    work = work_dir or out.parent
    work.mkdir(parents=True, exist_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    infos = [probe(c) for c in clips]
    matching = [_matches(i, spec, s.frames) for i, s in zip(infos, timeline.shots, strict=True)]
    burn = burn or []
    tmp = out.with_name(out.stem + ".part" + out.suffix)

    mode = ""
    args: list[str] = []
    if all(matching) and timeline.cuts_only and not timeline.shots[0].fade_in and not burn:
        listing = work / "concat.txt"
        listing.write_text("".join(f"file '{c.resolve()}'\n" for c in clips))
        args = ["-f", "concat", "-safe", "0", "-i", str(listing)]
        if audio is not None:
            args += ["-i", str(audio)]
        args += ["-map", "0:v:0", "-c:v", "copy", *_audio_args(audio, 1, spec)]
        args += ["-movflags", "+faststart", "-f", "mp4", str(tmp)]
        mode = "copy"
    elif all(matching) and not burn and spec.smart:
        from reelforge.assembly.smart import smart_join
        from reelforge.media.h264 import house_settings

        # Only transitions are re-encoded; falls back below if the clips' headers differ.
        video = work / "smart-video.mp4"
        aac = work / "soundtrack.m4a"
        encoding = None
        if audio is not None:  # the audio encodes on the other core meanwhile
            encoding = start_ffmpeg(
                ["-i", str(audio), "-c:a", "aac", "-b:a", spec.audio_bitrate, str(aac)]
            )
        joined = smart_join(
            clips,
            timeline,
            video,
            width=spec.width,
            height=spec.height,
            encoder=house_settings(spec.fps),
        )
        if encoding is not None:
            finish_ffmpeg(encoding, what="encoding the soundtrack")
        if joined:
            args = ["-i", str(video)]
            args += ["-i", str(aac)] if audio is not None else []
            args += ["-map", "0:v:0", "-c", "copy"]
            args += ["-map", "1:a:0"] if audio is not None else []
            args += ["-movflags", "+faststart", "-f", "mp4", str(tmp)]
            mode = "smart"
    if not mode:
        args = []
        for clip in clips:
            args += ["-i", str(clip)]
        cue_inputs: list[tuple[int, Cue]] = []
        for k, cue in enumerate(burn):
            png = render_cue_png(cue.text, spec.width, spec.height, work / f"cue{k:03d}.png")
            args += ["-i", str(png)]
            cue_inputs.append((len(clips) + k, cue))
        audio_index = len(clips) + len(burn)
        if audio is not None:
            args += ["-i", str(audio)]
        graph, label = build_filter_graph(timeline, matching, spec, cue_inputs)
        args += ["-filter_complex", graph, "-map", label]
        args += ["-c:v", "libx264", "-preset", spec.preset, "-crf", str(spec.crf)]
        args += ["-pix_fmt", "yuv420p", "-r", str(spec.fps), "-frames:v", str(timeline.frames)]
        args += _audio_args(audio, audio_index, spec)
        args += ["-movflags", "+faststart", "-f", "mp4", str(tmp)]
        mode = "encode"

    if args:
        run_ffmpeg(args, what=f"assembling {out.name}")
    tmp.replace(out)
    frames = probe(out, count_frames=True).frames
    if frames != timeline.frames:
        raise MediaError(f"assembled cut has {frames} frames, expected {timeline.frames}")
    return AssemblyResult(out, mode, frames, time.perf_counter() - started, args)
