"""Voice settings: stable per speaker, distinct across speakers, element voices honoured."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from reelforge._exceptions import AudioError
from reelforge.audio.tts import VoiceSetting, cast_voices, voice_for
from reelforge.audio.tts.synth import postprocess
from reelforge.audio.tts.voices import PITCH_RANGE, derived_voice, voice_distance

CAST = ["MAYA", "ELI", "ODE", "MARA", "Narrator", "GUARD 2", "Dr. Okafor", "kid"]


def test_same_speaker_same_setting_across_calls() -> None:
    assert voice_for("MAYA") == voice_for("MAYA")
    assert voice_for("MAYA", None) == voice_for("MAYA", "")
    # Stable across processes too: derived from SHA-256, not Python's salted hash().
    assert voice_for("MAYA") == derived_voice("MAYA")
    first = voice_for("MAYA")
    assert (first.pitch_semitones, first.length_scale) == (-1.804, 1.054)


def test_distinct_speakers_get_distinct_settings() -> None:
    settings = [voice_for(name) for name in CAST]
    assert len(set(settings)) == len(CAST)
    pitches = [s.pitch_semitones for s in settings]
    assert len(set(pitches)) == len(CAST)
    lo, hi = PITCH_RANGE
    assert all(lo <= p <= hi for p in pitches)
    assert max(pitches) - min(pitches) > 3.0  # the cast actually spreads over the range


def test_setting_does_not_depend_on_order() -> None:
    forward = cast_voices(dict.fromkeys(CAST))
    backward = cast_voices(dict.fromkeys(reversed(CAST)))
    assert forward == backward
    assert list(backward) == list(reversed(CAST))  # returned in the caller's order


def _closest_pair(voices: dict[str, VoiceSetting]) -> float:
    return min(voice_distance(voices[a], voices[b]) for a, b in combinations(voices, 2))


def test_cast_voices_keeps_characters_apart() -> None:
    independent = {name: voice_for(name) for name in CAST}
    cast = cast_voices(dict.fromkeys(CAST))
    assert _closest_pair(independent) < 1.0  # by chance, two of these eight are too alike ...
    assert _closest_pair(cast) >= 1.0  # ... and the cast assignment separates them
    # Only the colliding characters move; the others keep their own derived voice.
    moved = [name for name in CAST if cast[name] != independent[name]]
    assert moved and len(moved) <= len(CAST) // 2
    # Different engine voices never collide, so nothing moves between them.
    mixed = cast_voices({"MAYA": "joe", "ELI": "en-us+f3"})
    assert mixed["MAYA"] == voice_for("MAYA", "joe")
    assert mixed["ELI"] == voice_for("ELI", "en-us+f3")


@pytest.mark.parametrize("name", ["joe", "piper:joe", "JOE", "en_US-joe-medium"])
def test_piper_voice_names(name: str) -> None:
    setting = voice_for("MAYA", name)
    assert (setting.engine, setting.voice) == ("piper", "joe")
    assert setting.pitch_semitones == voice_for("MAYA").pitch_semitones  # still varied


@pytest.mark.parametrize(
    ("name", "voice"),
    [("en-us+f3", "en-us+f3"), ("en-gb", "en-gb"), ("espeak:en-us+m7", "en-us+m7"),
     ("espeak-ng:fr", "fr")],
)  # fmt: skip
def test_espeak_voice_names(name: str, voice: str) -> None:
    setting = voice_for("ELI", name)
    assert (setting.engine, setting.voice) == ("espeak", voice)


@pytest.mark.parametrize("clip", ["refs/maya.wav", "/abs/path/voice.mp3", "maya.flac"])
def test_reference_clip_is_recorded_and_falls_back_to_derived(clip: str) -> None:
    setting = voice_for("MAYA", clip)
    assert setting.reference == clip
    assert setting.engine is None
    assert setting.cache_fields() == voice_for("MAYA").cache_fields()


@pytest.mark.parametrize("bad", ["galadriel", "piper:amy", "espeak:en-us+zz", "azure:jenny"])
def test_unknown_voice_lists_valid_choices(bad: str) -> None:
    with pytest.raises(AudioError) as info:
        voice_for("MAYA", bad)
    message = str(info.value)
    assert bad in message
    assert "joe" in message and "en-us+f3" in message and "reference audio" in message


def _f0(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.fft.rfftfreq(x.size, 1 / rate)[np.argmax(spectrum)])


@pytest.mark.parametrize("semitones", [-4.0, -2.0, 3.0])
def test_pitch_shift_changes_pitch_and_resamples(semitones: float) -> None:
    rate = 22050
    t = np.arange(rate) / rate  # 1 s at 200 Hz, as an engine would deliver it
    tone = (0.5 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    ratio = 2 ** (semitones / 12)
    out = postprocess(tone, rate, 48000, ratio)
    assert _f0(out, 48000) == pytest.approx(200 * ratio, rel=0.01)
    # Playing faster shortens: the engine was asked for `ratio` times longer speech beforehand.
    assert out.size / 48000 == pytest.approx(1.0 / ratio, rel=0.02)


def test_postprocess_trims_edge_silence_and_levels() -> None:
    rate = 22050
    quiet = np.zeros(rate, np.float32)
    tone = (0.05 * np.sin(2 * np.pi * 150 * np.arange(rate) / rate)).astype(np.float32)
    out = postprocess(np.concatenate([quiet, tone, quiet]), rate, 48000, 1.0)
    assert out.size / 48000 == pytest.approx(1.0 + 2 * 0.04, abs=0.01)
    rms_db = 20 * np.log10(np.sqrt(np.mean(out.astype(np.float64) ** 2)))
    assert rms_db == pytest.approx(-20.0, abs=0.5)


def test_voice_setting_defaults_are_engine_neutral() -> None:
    assert VoiceSetting().engine is None
    assert "reference" not in VoiceSetting(reference="x.wav").cache_fields()
