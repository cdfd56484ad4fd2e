"""The cut's soundtrack: ambience beds and dialogue placed on the frame-exact timeline.

Beds follow their shots, fading across transitions exactly as the pictures do; dialogue lines are
placed at their shot's start plus their timing and cut at the end of their shot. A shot that
plays its model's own audio (see :mod:`reelforge.assembly.native_audio`) contributes that track
instead of its bed and lines, aligned and faded the same way and levelled to what ours would have
measured. The mix is then brought to the delivery loudness by a two-pass loudnorm.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reelforge.assembly.native_audio import clip_audio, fit_span, matching_gain_db
from reelforge.audio.ambience import synthesize_ambience
from reelforge.audio.loudness import LoudnessReport, normalize_loudness
from reelforge.audio.mix import Clip, mix_timeline
from reelforge.audio.wavio import read_wav, write_wav
from reelforge.plan.plan import Plan

SAMPLE_RATE = 48000


@dataclass(frozen=True)
class Soundtrack:
    path: Path
    samples: int
    loudness: LoudnessReport


def _resample(samples: np.ndarray, rate: int) -> np.ndarray:
    if rate == SAMPLE_RATE:
        return samples
    n = round(len(samples) * SAMPLE_RATE / rate)
    src = np.linspace(0, len(samples) - 1, n)
    if samples.ndim == 1:
        return np.interp(src, np.arange(len(samples)), samples).astype(np.float32)
    return np.stack(
        [np.interp(src, np.arange(len(samples)), samples[:, c]) for c in range(samples.shape[1])],
        axis=1,
    ).astype(np.float32)


def build_soundtrack(
    plan: Plan, work: Path, *, native: Mapping[int, Path] | None = None
) -> Soundtrack:
    """Mix and normalise the whole cut's audio into `work/soundtrack.wav` (48 kHz stereo).

    ``native`` maps a shot's index to its clip when the shot plays the model's own audio."""
    fps = plan.timeline.fps
    total = round(plan.timeline.frames * SAMPLE_RATE / fps)
    beds: list[Clip] = []
    dialogue: list[Clip] = []
    premixed: list[Clip] = []
    native = native or {}
    shots = plan.timeline.shots
    for planned in plan.shots:
        slot = planned.slot
        start = round(slot.start * SAMPLE_RATE / fps)
        length = round(slot.end * SAMPLE_RATE / fps) - start
        fade_in = slot.overlap / fps if slot.index else slot.fade_in / fps
        nxt = shots[slot.index + 1] if slot.index + 1 < len(shots) else None
        fade_out = nxt.overlap / fps if nxt is not None else 0.0
        bed = synthesize_ambience(
            planned.shot.sound,
            length / SAMPLE_RATE,
            sample_rate=SAMPLE_RATE,
            seed=planned.shot.seed,
        )[:length]
        # A cut still gets a 10 ms ramp so the edit does not click.
        fades = {"fade_in": max(fade_in, 0.01), "fade_out": max(fade_out, 0.01)}
        shot_end = start + length
        lines: list[Clip] = []
        for line in planned.lines:
            if line.audio is None:
                continue
            speech, rate = read_wav(line.audio)
            speech = _resample(speech[:, 0] if speech.ndim == 2 else speech, rate)
            at = start + round(line.start * SAMPLE_RATE)
            speech = speech[: max(0, shot_end - at)]  # a line never runs into the next shot
            if len(speech):
                lines.append(Clip(at, speech))
        track = clip_audio(native[planned.index], SAMPLE_RATE) if planned.index in native else None
        if track is None:
            beds.append(Clip(start, bed, **fades))
            dialogue += lines
            continue
        # The model's track holds its dialogue and ambience: it replaces our bed and lines, at
        # the level ours would have had (ours mixed alone for this span to measure it).
        track = fit_span(track, length, SAMPLE_RATE)
        local = [Clip(c.start - start, c.samples) for c in lines]
        ours = mix_timeline(length, [Clip(0, bed, **fades)], local, sample_rate=SAMPLE_RATE)
        gain = matching_gain_db(track, ours, SAMPLE_RATE)
        premixed.append(Clip(start, track, gain_db=gain, **fades))
    mixed = mix_timeline(total, beds, dialogue, sample_rate=SAMPLE_RATE, premixed=premixed)
    raw = work / "soundtrack.raw.wav"
    write_wav(raw, mixed, SAMPLE_RATE, fmt="float32")  # headroom kept until loudnorm
    out = work / "soundtrack.wav"
    report = normalize_loudness(
        raw,
        out,
        target_i=plan.loaded.production.delivery.loudness,
        true_peak=-1.0,
        sample_rate=SAMPLE_RATE,
    )
    return Soundtrack(out, total, report)
