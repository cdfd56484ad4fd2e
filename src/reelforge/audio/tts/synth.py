"""Turning dialogue lines into speech files: batching, caching and post-processing.

Every line is cached under ``out_dir`` by a hash of (engine identity, voice setting, text, output
rate), so re-rendering a production only synthesises lines that changed. Lines that miss the
cache are grouped by engine and engine parameters, one subprocess per group, groups run
concurrently. Each raw engine WAV is then post-processed here, in our own code:

* the pitch shift: the engine is asked to speak ``r = 2**(semitones/12)`` times slower and the
  result is resampled ``r`` times faster, which raises pitch by ``r`` and restores the duration;
* resampling to the mix rate (48 kHz) in the same step;
* trimming the engine's leading/trailing silence so a line's duration is its spoken length;
* levelling every line to the same speech RMS, so characters match across shots.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import signal

from reelforge._exceptions import AudioError
from reelforge.audio.tts.engines import TTSEngine, default_engines, engine_for
from reelforge.audio.tts.stretch import time_stretch
from reelforge.audio.tts.voices import VoiceSetting
from reelforge.audio.wavio import read_wav, write_wav

CACHE_VERSION = 2  # bump when the post-processing changes what a cached file sounds like
SPEECH_RMS_DB = -20.0  # level of the voiced part of every line
SPEECH_PEAK_DB = -1.0
_SILENCE_DB = -45.0  # relative to the line's peak: quieter edges are trimmed
_EDGE_PAD = 0.04  # seconds of the engine's silence kept before and after the words


@dataclass(frozen=True)
class SpeechRequest:
    text: str
    voice: VoiceSetting
    speaker: str = ""  # only for error messages


@dataclass(frozen=True)
class Speech:
    path: Path  # mono 16-bit WAV at ``sample_rate``
    duration: float  # seconds
    sample_rate: int
    text: str
    voice: VoiceSetting
    engine: str
    cached: bool  # True when the file was already there and nothing was synthesised


def clean_text(text: str) -> str:
    """One line of text for the engines (which read one utterance per line)."""
    return re.sub(r"\s+", " ", text).strip()


def speech_key(engine: TTSEngine, voice: VoiceSetting, text: str, sample_rate: int) -> str:
    payload = json.dumps(
        [CACHE_VERSION, engine.identity(), voice.cache_fields(), text, sample_rate],
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


def synthesize_lines(
    lines: Sequence[SpeechRequest],
    out_dir: Path | str,
    *,
    sample_rate: int = 48000,
    engines: dict[str, TTSEngine] | None = None,
    max_workers: int | None = None,
) -> list[Speech]:
    """Speak every line into ``out_dir`` (cached) and return one :class:`Speech` per line."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    engines = engines or default_engines()
    texts = [clean_text(req.text) for req in lines]
    for req, text in zip(lines, texts, strict=True):
        if not re.search(r"[^\W_]", text):  # a letter or digit, or there is nothing to say
            who = f" for {req.speaker!r}" if req.speaker else ""
            raise AudioError(f"dialogue line{who} has nothing to speak: {req.text!r}")
    resolved = [engine_for(req.voice, engines) for req in lines]
    keys = [
        speech_key(eng, req.voice, text, sample_rate)
        for eng, req, text in zip(resolved, lines, texts, strict=True)
    ]
    # Group the misses by what the engine subprocess is told (pitch is ours, applied later, but
    # its duration compensation changes length_scale, so it is part of the group).
    groups: dict[tuple[int, VoiceSetting], dict[str, tuple[str, VoiceSetting]]] = {}
    by_id = {id(eng): eng for eng in resolved}
    hits = set()
    for eng, req, text, key in zip(resolved, lines, texts, keys, strict=True):
        if (out_dir / f"{key}.wav").is_file():
            hits.add(key)
            continue
        setting = _engine_setting(req.voice, eng)
        groups.setdefault((id(eng), setting), {})[key] = (text, req.voice)
    if groups:
        workers = max_workers or min(len(groups), os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
            jobs = [
                pool.submit(_render_group, by_id[eng_id], setting, todo, out_dir, sample_rate)
                for (eng_id, setting), todo in groups.items()
            ]
            for job in jobs:
                job.result()  # re-raise the first failure
    results = []
    for eng, req, text, key in zip(resolved, lines, texts, keys, strict=True):
        path = out_dir / f"{key}.wav"
        samples, rate = read_wav(path)
        results.append(
            Speech(
                path=path,
                duration=samples.shape[0] / rate,
                sample_rate=rate,
                text=text,
                voice=req.voice,
                engine=eng.name,
                cached=key in hits,
            )
        )
    return results


def _pitch_ratio(voice: VoiceSetting) -> float:
    return float(2.0 ** (voice.pitch_semitones / 12.0))


def _varies_in_post(engine: TTSEngine) -> bool:
    # Piper pays a model load per process: it speaks every line of a voice in one process with
    # neutral settings, and rate and pitch are varied per speaker afterwards, here.
    return engine.batches


def _engine_setting(voice: VoiceSetting, engine: TTSEngine) -> VoiceSetting:
    """What the engine is asked for.

    Batching engines get neutral settings (one process per voice); rate and pitch are applied in
    :func:`postprocess`. Others are asked to speak slower by the pitch ratio, which resampling
    undoes.
    """
    if _varies_in_post(engine):
        neutral = VoiceSetting()
        return replace(
            voice,
            length_scale=neutral.length_scale,
            noise_scale=neutral.noise_scale,
            noise_w=neutral.noise_w,
            pitch_semitones=0.0,
            variant=neutral.variant,
            reference=None,
        )
    return replace(
        voice,
        length_scale=round(voice.length_scale * _pitch_ratio(voice), 4),
        pitch_semitones=0.0,
        reference=None,
    )


def _render_group(
    engine: TTSEngine,
    setting: VoiceSetting,
    todo: dict[str, tuple[str, VoiceSetting]],
    out_dir: Path,
    sample_rate: int,
) -> None:
    keys = list(todo)
    with tempfile.TemporaryDirectory(prefix=".tts-", dir=out_dir) as tmp:
        raw = engine.synthesize([todo[k][0] for k in keys], setting, Path(tmp))
        for key, wav in zip(keys, raw, strict=True):
            samples, rate = read_wav(wav)
            text, voice = todo[key]
            ratio = _pitch_ratio(voice)
            stretch = voice.length_scale * ratio if _varies_in_post(engine) else 1.0
            speech = postprocess(samples, rate, sample_rate, ratio, stretch=stretch)
            if speech.size == 0:
                raise AudioError(f"{engine.name} produced no audio for {text!r}")
            # Written under a temporary name and renamed: a crash never leaves a cache entry
            # that looks complete but is not.
            part = write_wav(Path(tmp) / f"{key}.part.wav", speech, sample_rate)
            os.replace(part, out_dir / f"{key}.wav")


def postprocess(
    samples: npt.NDArray[np.float32],
    rate: int,
    sample_rate: int,
    pitch_ratio: float,
    *,
    stretch: float = 1.0,
) -> npt.NDArray[np.float32]:
    """Mono, made ``stretch`` times longer (pitch kept), then pitch-shifted by ``pitch_ratio``
    (duration / pitch_ratio), at ``sample_rate``, trimmed of edge silence and levelled."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    mono = _trim(mono.astype(np.float64), rate)
    mono = time_stretch(mono, rate, stretch)
    # Playing rate*ratio samples a second raises pitch by ratio; one polyphase resample does both
    # that and the change of sample rate.
    step = Fraction(sample_rate / (rate * pitch_ratio)).limit_denominator(400)
    out = signal.resample_poly(mono, step.numerator, step.denominator) if mono.size else mono
    return _level(out).astype(np.float32)


def _trim(x: npt.NDArray[np.float64], rate: int) -> npt.NDArray[np.float64]:
    if x.size == 0:
        return x
    peak = float(np.max(np.abs(x)))
    if peak == 0.0:
        return x[:0]
    loud = np.flatnonzero(np.abs(x) > peak * 10 ** (_SILENCE_DB / 20))
    pad = int(_EDGE_PAD * rate)
    return x[max(int(loud[0]) - pad, 0) : int(loud[-1]) + pad + 1]


def _level(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Scale the voiced part to SPEECH_RMS_DB, then pull down if a peak would pass the ceiling."""
    if x.size == 0:
        return x
    frame = 480
    n = x.size // frame * frame
    frames = x[:n].reshape(-1, frame) if n else x[None, :]
    rms = np.sqrt(np.mean(frames**2, axis=1))
    voiced = rms[rms > rms.max() * 0.1]  # ignore pauses between words
    level = float(np.sqrt(np.mean(voiced**2))) if voiced.size else 0.0
    if level == 0.0:
        return x
    gain = 10 ** (SPEECH_RMS_DB / 20) / level
    gain = min(gain, 10 ** (SPEECH_PEAK_DB / 20) / float(np.max(np.abs(x))))
    return x * gain
