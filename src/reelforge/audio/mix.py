"""Mixing dialogue over ambience beds on a sample-accurate timeline, with ducking.

The timeline is known in advance, so ducking needs no level detector: the bed gain curve is
computed from where dialogue is audible, with the attack starting *before* each line (lookahead)
so the first syllable is never masked, and short gaps between lines held down so the bed does
not pump up and down between sentences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reelforge._exceptions import AudioError
from reelforge.audio.wavio import write_wav

__all__ = ["Clip", "duck_curve", "mix_timeline", "write_wav"]

FloatArray = npt.NDArray[np.float32]

_AUDIBLE = 10 ** (-60 / 20)  # below -60 dBFS a dialogue sample does not count as speech


@dataclass(frozen=True)
class Clip:
    """Audio placed on the timeline: ``samples`` is mono (n,) or stereo (n, 2) float."""

    start: int  # first sample on the timeline; negative starts lose their head
    samples: npt.ArrayLike
    gain_db: float = 0.0
    pan: float = 0.0  # -1 hard left .. +1 hard right; applies to mono clips only
    fade_in: float = 0.0  # seconds; beds fade at shot cuts so edits do not click
    fade_out: float = 0.0


ClipLike = Clip | tuple[int, npt.ArrayLike]


def _as_clip(item: ClipLike) -> Clip:
    if isinstance(item, Clip):
        return item
    start, samples = item
    return Clip(int(start), samples)


def _stereo(clip: Clip, sample_rate: int) -> FloatArray:
    data = np.asarray(clip.samples, dtype=np.float32)
    if data.ndim == 2 and data.shape[1] == 1:
        data = data[:, 0]
    if data.ndim == 1:
        # Constant-power pan law: a centred mono source sits at -3 dB in each channel.
        angle = (np.clip(clip.pan, -1.0, 1.0) + 1.0) * np.pi / 4
        data = np.stack((data * np.cos(angle), data * np.sin(angle)), axis=1)
    elif data.ndim != 2 or data.shape[1] != 2:
        raise AudioError(f"clip at sample {clip.start}: expected (n,) or (n, 2), got {data.shape}")
    else:
        data = data.copy()
    if not np.all(np.isfinite(data)):
        raise AudioError(f"clip at sample {clip.start} contains NaN or infinity")
    n = data.shape[0]
    k_in, k_out = (min(int(s * sample_rate), n) for s in (clip.fade_in, clip.fade_out))
    if k_in > 0:
        data[:k_in] *= _ramp(k_in)[:, None]
    if k_out > 0:
        data[n - k_out :] *= _ramp(k_out)[::-1, None]
    if clip.gain_db:
        data *= np.float32(10 ** (clip.gain_db / 20))
    return data.astype(np.float32, copy=False)


def _ramp(k: int) -> FloatArray:
    """A sine-squared fade of ``k`` samples from 0 to 1 (smooth at both ends)."""
    return (np.sin(np.linspace(0.0, np.pi / 2, k, dtype=np.float32)) ** 2).astype(np.float32)


def _place(out: FloatArray, start: int, data: FloatArray) -> None:
    """Add ``data`` at ``start``, clipping whatever falls outside the timeline."""
    total = out.shape[0]
    a, b = max(start, 0), min(start + data.shape[0], total)
    if a < b:
        out[a:b] += data[a - start : b - start]


def duck_curve(
    total: int,
    dialogue: Sequence[ClipLike],
    *,
    sample_rate: int = 48000,
    depth_db: float = -10.0,
    attack: float = 0.08,
    release: float = 0.1,
    hold: float = 0.35,
) -> FloatArray:
    """Linear gain (total,) for the beds: 1.0 away from dialogue, ``depth_db`` under it.

    The gain reaches full depth when speech starts (ramping over ``attack`` seconds before it)
    and recovers over ``release`` seconds after it ends; gaps shorter than ``hold`` stay ducked.
    """
    spans = _speech_spans(total, dialogue, bridge=int(hold * sample_rate))
    att, rel = max(attack * sample_rate, 1.0), max(release * sample_rate, 1.0)
    gain_db = np.zeros(total, dtype=np.float32)
    # Only the samples around each span are computed, so a long timeline stays cheap in memory.
    for a, b in spans:
        lo, hi = max(a - int(att) - 1, 0), min(b + int(rel) + 1, total)
        i = np.arange(lo, hi, dtype=np.float64)
        # 0 inside the span, rising to 1 over `att` samples before it and `rel` samples after.
        away = np.where(
            i < a, np.clip((a - i) / att, 0.0, 1.0), np.clip((i - b + 1) / rel, 0.0, 1.0)
        )
        smooth = away * away * (3 - 2 * away)  # smoothstep: no corners in the gain curve
        seg = (depth_db * (1.0 - smooth)).astype(np.float32)
        np.minimum(gain_db[lo:hi], seg, out=gain_db[lo:hi])
    return np.power(np.float32(10.0), gain_db / np.float32(20.0)).astype(np.float32)


def _speech_spans(
    total: int, dialogue: Sequence[ClipLike], *, bridge: int
) -> list[tuple[int, int]]:
    """Sorted [start, end) sample spans where dialogue is audible, pauses <= ``bridge`` merged."""
    spans = []
    for item in dialogue:
        clip = _as_clip(item)
        level = np.abs(np.asarray(clip.samples, dtype=np.float32))
        if level.ndim == 2:
            level = level.max(axis=1)
        loud = np.flatnonzero(level > _AUDIBLE)  # skip the TTS file's own edge silence
        if loud.size:
            a = max(clip.start + int(loud[0]), 0)
            b = min(clip.start + int(loud[-1]) + 1, total)
            if a < b:
                spans.append((a, b))
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a - merged[-1][1] <= bridge:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def mix_timeline(
    total: int,
    beds: Sequence[ClipLike],
    dialogue: Sequence[ClipLike],
    *,
    sample_rate: int = 48000,
    duck_db: float = -10.0,
    attack: float = 0.08,
    release: float = 0.1,
    premixed: Sequence[ClipLike] = (),
) -> FloatArray:
    """Mix beds (ducked by ``duck_db`` under dialogue) and dialogue into (total, 2) float32.

    ``premixed`` clips already hold their own dialogue and ambience (a model's native audio):
    they are added as they are, never ducked, since their speech is inside them.
    Nothing is limited or normalised here: the result keeps its headroom as float and is brought
    to the delivery loudness by :mod:`reelforge.audio.loudness`.
    """
    if total < 0:
        raise AudioError(f"mix length must be non-negative, got {total} samples")
    bed_bus = np.zeros((total, 2), dtype=np.float32)
    for item in beds:
        clip = _as_clip(item)
        _place(bed_bus, clip.start, _stereo(clip, sample_rate))
    out = np.zeros((total, 2), dtype=np.float32)
    for item in dialogue:
        clip = _as_clip(item)
        _place(out, clip.start, _stereo(clip, sample_rate))
    gain = duck_curve(
        total, dialogue, sample_rate=sample_rate, depth_db=duck_db, attack=attack, release=release
    )
    out += bed_bus * gain[:, None]
    for item in premixed:
        clip = _as_clip(item)
        _place(out, clip.start, _stereo(clip, sample_rate))
    return out
