"""Sandbox output clips: a small previz render stamped with the provider model, so a test (or a
person scrubbing a cut) can see which model and mode "made" a clip.

When the request asked for audio, the clip also carries a quiet sine tone whose pitch encodes the
model (:func:`tone_hz`), so a test can prove from a cut's spectrum whose audio plays where.
"""

from __future__ import annotations

import math
import zlib
from fractions import Fraction
from pathlib import Path

from ..generators.base import ShotRequest
from ..generators.previz.generator import PrevizGenerator

SIZES = {"16:9": (160, 90), "9:16": (90, 160), "1:1": (96, 96)}
AUDIO_RATE = 48000
TONE_LEVEL = 0.1  # about -20 dBFS: audible, well clear of clipping


def tone_hz(model: str) -> float:
    """The pitch of ``model``'s sandbox tone: one of 48 steps 25 Hz apart from 300 Hz, stable
    across runs (a CRC, not Python's salted hash)."""
    return 300.0 + 25.0 * (zlib.crc32(model.encode()) % 48)


def add_tone(path: Path, seconds: float, hz: float) -> None:
    """Remux ``path`` with a mono AAC sine track of ``hz`` lasting ``seconds``; in-process, as a
    sandbox thread must not spawn ffmpeg (a forked render worker could inherit its pipes)."""
    import av
    import numpy as np

    tmp = path.with_name(f".{path.name}.audio.mp4")
    with av.open(str(path)) as src, av.open(str(tmp), "w", format="mp4") as dst:
        vin = src.streams.video[0]
        vout = dst.add_stream_from_template(vin)
        aout = dst.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        for packet in src.demux(vin):
            if packet.dts is None:
                continue
            packet.stream = vout
            dst.mux(packet)
        total, step = math.ceil(seconds * AUDIO_RATE), 1024
        for start in range(0, total, step):
            n = min(step, total - start)
            t = np.arange(start, start + n, dtype=np.float64) / AUDIO_RATE
            samples = (TONE_LEVEL * np.sin(2 * np.pi * hz * t)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="fltp", layout="mono")
            frame.sample_rate = AUDIO_RATE
            frame.pts = start
            frame.time_base = Fraction(1, AUDIO_RATE)
            for packet in aout.encode(frame):
                dst.mux(packet)
        for packet in aout.encode(None):
            dst.mux(packet)
    tmp.replace(path)


def render_clip(
    out: Path,
    *,
    task_id: str,
    model: str,
    mode: str,
    prompt: str,
    seconds: int,
    fps: int,
    aspect: str,
    first_frame: Path | None = None,
    last_frame: Path | None = None,
    audio: bool = False,
) -> Path:
    """Render the clip; with ``audio`` (the request asked for sound, or the model always makes
    it) it carries the model's tone as its audio track."""
    width, height = SIZES.get(aspect, SIZES["16:9"])
    request = ShotRequest(
        shot_id=task_id,
        prompt=f"[{model} {mode}] {prompt}"[:300],
        frames=max(1, seconds * fps),
        fps=fps,
        width=width,
        height=height,
        first_frame=first_frame,
        last_frame=last_frame,
        model=model,
    )
    # ultrafast: sandbox clips are throwaway; speed matters more than size.
    PrevizGenerator(preset="ultrafast").render(request, out)
    if audio:
        add_tone(out, request.frames / fps, tone_hz(model))
    return out
