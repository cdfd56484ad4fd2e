"""Whose sound each shot plays in the cut: the model's own ("native") or ours (TTS + ambience).

The rule: a shot plays its clip's own audio when its model made audio for it — the route
generates audio (catalogue ``native_audio`` always, or toggle, which is switched on only for a
shot that asks for dialogue or a sound cue), the shot asks for some (an always-on model's audio
on a shot that asks for none is muted, as the catalogue check announces) — and the clip really
carries an audible track. That track holds the model's dialogue and ambience together, so it
replaces both our TTS lines and our ambience bed for the shot's span: adding either would double
them, and the model's voice cannot be taken out of its own mix. Every other shot keeps ours.
Subtitles keep the planned dialogue timing either way.

The model can only speak the shot's lines if they are in its request: shots on models that make
audio carry their dialogue text, timed by estimate so that the paid request (and its cache key)
never depends on our TTS engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from reelforge.generators.base import TimedLine
from reelforge.plan.cache_key import cache_key
from reelforge.plan.plan import Plan, PlannedShot, place_lines
from reelforge.production.model import AudioSource, LoadedProduction, Shot

FloatArray = npt.NDArray[np.float32]

NATIVE, OURS = "native", "ours"
RULE_VERSION = "1"  # in the cut's cache key: bump when the rule or the native mix changes
MAX_GAIN_DB = 20.0  # a near-silent model track is not lifted into a roar to match ours
_SILENT = 10 ** (-80 / 20)  # a track whose peak stays below -80 dBFS carries no sound
_EDGE = 0.01  # seconds of fade where a model track ends before its shot does


@dataclass(frozen=True)
class ShotSound:
    """Where one shot's sound comes from, for the plan, the mix and the report."""

    index: int
    source: str  # NATIVE or OURS
    detail: str  # what the sound holds and, for ours on a model that makes audio, why
    warning: str = ""  # something the user should act on (a voice not used, a missing track)

    @property
    def native(self) -> bool:
        return self.source == NATIVE

    @property
    def label(self) -> str:
        return f"{self.source} ({self.detail})"


def wants_audio(shot: Shot) -> bool:
    """Whether the shot asks for sound at all: the same test the catalogue check makes."""
    if shot.audio == AudioSource.ours:  # the production keeps the model out of the sound
        return False
    return bool(shot.dialogue) or bool(shot.sound.strip())


def _ours(planned: PlannedShot, why: str = "", warning: str = "") -> ShotSound:
    parts = ["reelforge TTS dialogue"] if planned.shot.dialogue else []
    detail = " + ".join([*parts, "synthesized ambience"])
    return ShotSound(planned.index, OURS, f"{detail}; {why}" if why else detail, warning)


def shot_sound(
    planned: PlannedShot,
    loaded: LoadedProduction,
    *,
    makes_audio: bool,
    clip_has_audio: bool | None = None,
) -> ShotSound:
    """Apply the rule to one shot. ``makes_audio``: its model generates audio for this request
    (before rendering: the route's catalogue capability; after: the render's recorded
    ``has_audio``). ``clip_has_audio``: whether the rendered clip carries an audible track, or
    None before anything is rendered (``--dry-run`` then says what is expected)."""
    if planned.shot.audio == AudioSource.ours:
        return _ours(planned, "audio: ours")
    if not makes_audio:
        return _ours(planned)
    if not wants_audio(planned.shot):
        return _ours(planned, "the model's audio is muted: the shot asks for no dialogue or sound")
    if clip_has_audio is False:
        why = "the model's clip came back without an audible audio track"
        return _ours(planned, why, f"shot {planned.shot.id!r}: {why}; our TTS and ambience used")
    held = "its own dialogue and ambience" if planned.shot.dialogue else "its own ambience"
    return ShotSound(
        planned.index, NATIVE, f"from the model: {held}", _voice_warning(planned, loaded)
    )


def _voice_warning(planned: PlannedShot, loaded: LoadedProduction) -> str:
    """A speaker's chosen voice cannot apply to a shot the model voices itself: say so."""
    elements = loaded.production.elements
    voiced = [
        f"{speaker}'s voice {elements[speaker].voice!r}"
        for speaker in dict.fromkeys(line.speaker for line in planned.shot.dialogue)
        if speaker in elements and elements[speaker].voice
    ]
    if not voiced:
        return ""
    return (
        f"shot {planned.shot.id!r}: {', '.join(voiced)} not used: the model voices this shot "
        "itself (native audio, kept in sync with its picture); render the shot on a model "
        "without native audio to hear that voice"
    )


def with_model_dialogue(plan: Plan, makes_audio: Mapping[str, bool]) -> Plan:
    """The plan with each audio-making model's request carrying its shot's dialogue lines (and a
    cache key to match); other shots are unchanged."""
    shots = []
    for planned in plan.shots:
        speaks = bool(makes_audio.get(planned.generator)) and wants_audio(planned.shot)
        speaks = speaks and bool(planned.shot.dialogue)
        if speaks and not planned.request.dialogue:
            # Estimated timing (no speech given): the request must not depend on our TTS.
            placed, _ = place_lines(planned.index, planned.shot, {})
            lines = tuple(
                TimedLine(p.speaker, p.text, round(p.start, 3), round(p.start + p.duration, 3))
                for p in placed
            )
            request = replace(planned.request, dialogue=lines)
            key = cache_key(
                generator=planned.generator, version=planned.generator_version, request=request
            )
            planned = replace(planned, request=request, cache_key=key)
        shots.append(planned)
    return replace(plan, shots=tuple(shots))


def clip_audio(path: Path, sample_rate: int) -> FloatArray | None:
    """The clip's first audio track as (n, 2) float32 at ``sample_rate``, sample 0 at the clip's
    first video frame; None when the clip has no audible track."""
    import av

    chunks: list[FloatArray] = []
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        video = container.streams.video[0] if container.streams.video else None
        zero = 0.0
        if video is not None and video.start_time is not None and video.time_base is not None:
            zero = float(video.start_time * video.time_base)
        resampler = av.AudioResampler(format="flt", layout="stereo", rate=sample_rate)
        first: float | None = None
        for frame in container.decode(stream):
            if first is None and frame.time is not None:
                first = float(frame.time)
            for out in resampler.resample(frame):
                chunks.append(_stereo(out.to_ndarray()))
        for out in resampler.resample(None):
            chunks.append(_stereo(out.to_ndarray()))
    if not chunks:
        return None
    data = np.concatenate(chunks).astype(np.float32, copy=False)
    if not np.all(np.isfinite(data)) or float(np.max(np.abs(data), initial=0.0)) < _SILENT:
        return None
    # Align to the picture: a track that starts late is padded, one that starts early trimmed.
    offset = round(((first if first is not None else zero) - zero) * sample_rate)
    if offset > 0:
        data = np.concatenate([np.zeros((offset, 2), dtype=np.float32), data])
    elif offset < 0:
        data = data[-offset:]
    return data


def _stereo(packed: npt.NDArray[Any]) -> FloatArray:
    """A packed stereo frame's (1, 2n) array as (n, 2) float32."""
    return np.asarray(packed, dtype=np.float32).reshape(-1, 2)


def fit_span(samples: FloatArray, length: int, sample_rate: int) -> FloatArray:
    """Exactly ``length`` samples: the head of a longer track (the cut trims the clip's picture
    the same way), or a shorter one faded out over 10 ms and followed by silence."""
    if len(samples) >= length:
        return samples[:length]
    out = np.zeros((length, 2), dtype=np.float32)
    out[: len(samples)] = samples
    k = min(len(samples), int(_EDGE * sample_rate))
    if k:
        out[len(samples) - k : len(samples)] *= np.linspace(1.0, 0.0, k, dtype=np.float32)[:, None]
    return out


def level_db(samples: FloatArray, sample_rate: int) -> float:
    """Gated mean power in dB (400 ms blocks, -70 dB absolute and -10 dB relative gates, as in
    R128 but without K-weighting): what a listener hears as the level of a span."""
    power = np.mean(np.square(samples, dtype=np.float64), axis=1) if samples.ndim == 2 else None
    if power is None:
        power = np.square(samples, dtype=np.float64)
    block = int(0.4 * sample_rate)
    n = len(power) // block
    blocks = power[: n * block].reshape(n, block).mean(axis=1) if n else power.mean(keepdims=True)
    blocks = blocks[blocks > 10 ** (-70 / 10)]
    if not blocks.size:
        return float("-inf")
    blocks = blocks[blocks > blocks.mean() * 10 ** (-10 / 10)]
    return float(10 * np.log10(blocks.mean()))


def matching_gain_db(native: FloatArray, ours: FloatArray, sample_rate: int) -> float:
    """The gain that brings the model's track to the level our own sound for the same shot would
    have had, so shots sit together in the mix whichever source they come from (capped)."""
    theirs, mine = level_db(native, sample_rate), level_db(ours, sample_rate)
    if not (np.isfinite(theirs) and np.isfinite(mine)):
        return 0.0
    return float(np.clip(mine - theirs, -MAX_GAIN_DB, MAX_GAIN_DB))
