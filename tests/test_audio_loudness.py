"""Loudness normalisation, checked with an independent meter (pyloudnorm) and 4x true peak."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from scipy import signal

from reelforge._exceptions import AudioError
from reelforge.audio.ambience import synthesize_ambience
from reelforge.audio.limiter import limit, true_peak_db
from reelforge.audio.loudness import integrated_loudness, measure_loudness, normalize_loudness
from reelforge.audio.mix import Clip, mix_timeline
from reelforge.audio.wavio import read_wav, write_wav

SR = 48000


def _speechlike(seconds: float, seed: int) -> np.ndarray:
    """Band-limited noise gated at syllable rate with sharp onsets: dialogue's crest factor."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    syllables = np.clip(np.sin(2 * np.pi * 3.7 * t), 0, None) ** 0.5
    sos = signal.butter(2, [150, 3500], btype="band", fs=SR, output="sos")
    voice = signal.sosfilt(sos, rng.standard_normal(n)) * syllables
    voice[::4000] += 0.9  # clicks/plosives: peaks well above the speech level
    return (0.25 * voice).astype(np.float32)


def _programme(tmp_path: Path, seconds: float, gain_db: float = 0.0) -> Path:
    """A dialogue-over-ambience mix around -22 LUFS (+ gain_db), with peaks near 0 dBFS."""
    n = int(seconds * SR)
    bed = synthesize_ambience("rain, distant thunder", seconds, seed=11)
    lines = [Clip(int(0.2 * SR), _speechlike(min(seconds * 0.7, 6.0), seed=1))]
    mix = mix_timeline(n, [(0, bed)], lines) * np.float32(10 ** (gain_db / 20))
    return write_wav(tmp_path / "mix.wav", mix, SR, fmt="float32")


def _pyloudnorm_lufs(path: Path) -> float:
    data, rate = read_wav(path)
    return float(pyloudnorm.Meter(rate).integrated_loudness(data.astype(np.float64)))


def _true_peak_4x(path: Path) -> float:
    data, _ = read_wav(path)
    up = signal.resample_poly(data.astype(np.float64), 4, 1, axis=0)
    return float(20 * np.log10(np.abs(up).max()))


@pytest.mark.parametrize("target", [-14.0, -23.0])
def test_normalises_to_target_within_one_lu_and_under_peak_ceiling(
    tmp_path: Path, target: float
) -> None:
    # Quieter than -14 (needs gain, peaks then need limiting) / louder than -23 (needs cut).
    src = _programme(tmp_path, 8.0, gain_db=0.0 if target > -20 else 8.0)
    before = _pyloudnorm_lufs(src)
    assert abs(before - target) > 5.0  # the test input really needs normalising
    out = tmp_path / "out.wav"
    report = normalize_loudness(src, out, target_i=target, true_peak=-1.0)
    assert abs(_pyloudnorm_lufs(out) - target) <= 1.0
    assert _true_peak_4x(out) <= -1.0
    assert report.linear  # a static gain: dialogue dynamics untouched
    assert report.on_target
    assert abs(report.output_i - target) <= 1.0
    assert report.input_i == pytest.approx(before, abs=1.0)
    data, rate = read_wav(out)
    assert rate == SR
    assert data.shape == (8 * SR, 2)


def test_short_input_is_padded_for_loudnorm_and_trimmed_back(tmp_path: Path) -> None:
    src = _programme(tmp_path, 1.5)
    out = tmp_path / "short.wav"
    report = normalize_loudness(src, out, target_i=-16.0)
    assert report.padded
    data, _ = read_wav(out)
    assert data.shape[0] == int(1.5 * SR)
    assert abs(_pyloudnorm_lufs(out) - -16.0) <= 1.0
    assert _true_peak_4x(out) <= -1.0


def test_other_input_rates_are_delivered_at_48k(tmp_path: Path) -> None:
    tone = 0.1 * np.sin(2 * np.pi * 440 * np.arange(4 * 44100) / 44100)
    src = write_wav(tmp_path / "in44.wav", np.stack([tone, tone], axis=1), 44100)
    out = tmp_path / "out48.wav"
    normalize_loudness(src, out, target_i=-20.0)
    data, rate = read_wav(out)
    assert rate == SR
    assert data.shape[0] == 4 * SR
    assert abs(_pyloudnorm_lufs(out) - -20.0) <= 1.0


def test_near_silence_is_not_blown_up(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    hiss = (10 ** (-62 / 20) * rng.standard_normal((5 * SR, 2))).astype(np.float32)
    src = write_wav(tmp_path / "hiss.wav", hiss, SR, fmt="float32")
    out = tmp_path / "hiss-out.wav"
    report = normalize_loudness(src, out, target_i=-14.0, max_gain_db=20.0)
    assert report.gain_capped
    assert report.gain_db <= 20.0
    assert report.goal_i < -14.0 - 10.0
    # 20 dB of gain at most, even though -14 LUFS would need far more.
    assert _pyloudnorm_lufs(out) - _pyloudnorm_lufs(src) <= 20.5
    assert _pyloudnorm_lufs(out) < -30.0


def test_digital_silence_passes_through(tmp_path: Path) -> None:
    src = write_wav(tmp_path / "zero.wav", np.zeros((2 * SR, 2), np.float32), SR)
    out = tmp_path / "zero-out.wav"
    report = normalize_loudness(src, out, target_i=-14.0)
    data, _ = read_wav(out)
    assert data.shape == (2 * SR, 2)
    assert np.abs(data).max() == 0.0
    assert report.gain_db == 0.0
    assert not report.on_target


def test_measurement_helper_agrees_with_pyloudnorm(tmp_path: Path) -> None:
    src = _programme(tmp_path, 5.0)
    assert integrated_loudness(src) == pytest.approx(_pyloudnorm_lufs(src), abs=0.5)
    m = measure_loudness(src)
    assert m.true_peak == pytest.approx(_true_peak_4x(src), abs=0.5)


def test_limiter_holds_the_true_peak_ceiling() -> None:
    x = np.stack([_speechlike(3.0, 2), _speechlike(3.0, 3)], axis=1) * 3
    assert true_peak_db(x) > 0.0
    limited, reduction = limit(x, -3.0)
    assert true_peak_db(limited) <= -3.0 + 1e-3
    assert reduction > 3.0
    # Only peaks are touched: most samples keep their level.
    unchanged = np.isclose(limited, x, rtol=1e-4, atol=1e-7).mean()
    assert unchanged > 0.5


def test_rejects_bad_targets_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="target"):
        normalize_loudness(tmp_path / "x.wav", tmp_path / "y.wav", target_i=-3.0)
    with pytest.raises(AudioError, match="no such file"):
        normalize_loudness(tmp_path / "missing.wav", tmp_path / "y.wav")
