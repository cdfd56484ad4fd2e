"""Reading media facts with PyAV (the imageio-ffmpeg binary ships no ffprobe)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from reelforge._exceptions import MediaError


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration: float
    video_codec: str | None = None
    width: int = 0
    height: int = 0
    fps: Fraction | None = None
    pix_fmt: str | None = None
    frames: int = 0
    audio_codec: str | None = None
    sample_rate: int = 0
    audio_duration: float = 0.0


def probe(path: Path, *, count_frames: bool = False) -> MediaInfo:
    import av

    try:
        with av.open(str(path)) as container:
            duration = (container.duration or 0) / 1_000_000
            v = container.streams.video[0] if container.streams.video else None
            a = container.streams.audio[0] if container.streams.audio else None
            frames = 0
            if v is not None:
                frames = v.frames
                if count_frames or not frames:
                    frames = sum(1 for _ in container.demux(v) if _.size)
            audio_duration = 0.0
            if a is not None and a.duration is not None and a.time_base is not None:
                audio_duration = float(a.duration * a.time_base)
            return MediaInfo(
                path=path,
                duration=duration,
                video_codec=v.codec_context.name if v else None,
                width=v.codec_context.width if v else 0,
                height=v.codec_context.height if v else 0,
                fps=Fraction(v.average_rate) if v and v.average_rate else None,
                pix_fmt=v.codec_context.pix_fmt if v else None,
                frames=frames,
                audio_codec=a.codec_context.name if a else None,
                sample_rate=a.codec_context.sample_rate if a else 0,
                audio_duration=audio_duration,
            )
    except av.error.FFmpegError as exc:
        raise MediaError(f"cannot read {path}: {exc}") from exc
