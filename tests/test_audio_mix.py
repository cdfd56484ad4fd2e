"""Timeline mixing: exact length, placement, panning, fades, and ducking under dialogue."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reelforge._exceptions import AudioError
from reelforge.audio.ambience import synthesize_ambience
from reelforge.audio.mix import Clip, duck_curve, mix_timeline
from reelforge.audio.wavio import read_wav, write_wav

SR = 48000


def _tone(seconds: float, freq: float = 220.0, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12))


def test_output_length_is_exact_even_when_clips_overhang() -> None:
    total = 3 * SR + 17
    bed = synthesize_ambience("rain", 5.0)  # longer than the timeline
    out = mix_timeline(total, [(-SR // 2, bed)], [Clip(2 * SR + 24000, _tone(2.0))])
    assert out.shape == (total, 2)
    assert out.dtype == np.float32


def test_bed_is_ducked_while_dialogue_plays() -> None:
    total = 10 * SR
    bed = synthesize_ambience("rain", 10.0, seed=3)
    speech = _tone(3.0, freq=180.0)
    beds_only = mix_timeline(total, [(0, bed)], [])
    start = 4 * SR
    mixed = mix_timeline(total, [(0, bed)], [Clip(start, speech)], duck_db=-10.0)
    # The bed's contribution is the mix minus the (known, centre-panned) dialogue.
    placed = np.zeros((total, 2), dtype=np.float32)
    placed[start : start + speech.size] = speech[:, None] * np.float32(np.sqrt(0.5))
    bed_in_mix = mixed - placed
    during = slice(start + SR // 4, start + speech.size - SR // 4)
    outside = slice(SR, 3 * SR)
    ducking = _rms_db(bed_in_mix[during]) - _rms_db(beds_only[during])
    assert -11.0 < ducking < -9.0
    assert abs(_rms_db(bed_in_mix[outside]) - _rms_db(beds_only[outside])) < 0.05
    # Level of the bed is clearly lower during dialogue than away from it.
    assert _rms_db(bed_in_mix[during]) < _rms_db(bed_in_mix[outside]) - 6.0


def test_duck_curve_ramps_before_speech_and_recovers_after() -> None:
    start, length = 2 * SR, SR
    gain_db = 20 * np.log10(duck_curve(5 * SR, [Clip(start, _tone(1.0))], attack=0.08))
    assert gain_db[start] == pytest.approx(-10.0, abs=0.01)  # fully down at the first syllable
    assert gain_db[start - int(0.04 * SR)] > -10.0 + 1.0  # still ramping 40 ms before
    assert gain_db[start - int(0.1 * SR)] == pytest.approx(0.0, abs=0.01)
    assert gain_db[start + length + int(0.2 * SR)] == pytest.approx(0.0, abs=0.01)
    assert np.abs(np.diff(gain_db)).max() < 0.05  # smooth: no steps that would click


def test_short_gaps_between_lines_stay_ducked() -> None:
    lines = [Clip(SR, _tone(1.0)), Clip(int(2.2 * SR), _tone(1.0))]  # 0.2 s apart
    gain_db = 20 * np.log10(duck_curve(4 * SR, lines))
    assert gain_db[int(2.1 * SR)] == pytest.approx(-10.0, abs=0.01)


def test_silent_padding_in_a_dialogue_clip_does_not_duck() -> None:
    padded = np.concatenate([np.zeros(SR, np.float32), _tone(0.5)])  # 1 s of silence first
    gain = duck_curve(3 * SR, [Clip(0, padded)])
    assert gain[int(0.5 * SR)] == pytest.approx(1.0)
    assert gain[int(1.2 * SR)] < 0.4


def test_mono_dialogue_is_panned_with_constant_power() -> None:
    out = mix_timeline(SR, [], [Clip(0, _tone(1.0), pan=-1.0)])
    assert _rms_db(out[:, 1]) < -100
    centre = mix_timeline(SR, [], [Clip(0, _tone(1.0))])
    assert _rms_db(centre[:, 0]) == pytest.approx(_rms_db(_tone(1.0)) - 3.01, abs=0.05)


def test_fades_and_gain() -> None:
    ones = np.ones((SR, 2), np.float32) * 0.5
    out = mix_timeline(SR, [Clip(0, ones, fade_in=0.1, fade_out=0.1, gain_db=-6.0)], [])
    assert out[0, 0] == pytest.approx(0.0, abs=1e-6)
    assert out[SR // 2, 0] == pytest.approx(0.5 * 10 ** (-6 / 20), rel=1e-4)
    assert out[-1, 0] < 0.01


def test_rejects_malformed_clips() -> None:
    with pytest.raises(AudioError, match="expected"):
        mix_timeline(SR, [(0, np.zeros((10, 3), np.float32))], [])


@pytest.mark.parametrize("fmt", ["pcm16", "float32"])
def test_write_wav_round_trips(tmp_path: Path, fmt: str) -> None:
    data = np.stack([_tone(0.25), -_tone(0.25, freq=330)], axis=1)
    path = write_wav(tmp_path / f"x-{fmt}.wav", data, SR, fmt=fmt)  # type: ignore[arg-type]
    back, rate = read_wav(path)
    assert rate == SR
    assert back.shape == data.shape
    np.testing.assert_allclose(back, data, atol=1e-4 if fmt == "pcm16" else 0)
