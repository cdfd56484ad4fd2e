"""Procedural ambience: shape, determinism, distinct spectra, never silent, fast."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest

from reelforge._exceptions import AudioError
from reelforge.audio.ambience import ambience_layers, synthesize_ambience

SR = 48000


def _centroid(x: np.ndarray) -> float:
    mag = np.abs(np.fft.rfft(x.mean(axis=1)))
    freqs = np.fft.rfftfreq(x.shape[0], 1 / SR)
    return float((mag * freqs).sum() / mag.sum())


def _rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64)))))


@pytest.mark.parametrize("duration", [0.5, 2.0, 3.37])
def test_shape_dtype_and_exact_length(duration: float) -> None:
    bed = synthesize_ambience("rain", duration, sample_rate=SR, seed=1)
    assert bed.shape == (round(duration * SR), 2)
    assert bed.dtype == np.float32
    assert np.isfinite(bed).all()
    assert np.abs(bed).max() < 1.0


def test_other_sample_rates_keep_exact_length() -> None:
    bed = synthesize_ambience("birds, stream", 1.25, sample_rate=22050, seed=4)
    assert bed.shape == (round(1.25 * 22050), 2)


def test_deterministic_for_a_seed_and_different_across_seeds() -> None:
    a = synthesize_ambience("city traffic, footsteps", 2.0, seed=7)
    b = synthesize_ambience("city traffic, footsteps", 2.0, seed=7)
    c = synthesize_ambience("city traffic, footsteps", 2.0, seed=8)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-3


def test_rain_is_brighter_than_wind() -> None:
    rain = synthesize_ambience("rain", 4.0, seed=3)
    wind = synthesize_ambience("wind", 4.0, seed=3)
    assert _centroid(rain) > 3 * _centroid(wind)


def test_ocean_swells_over_time() -> None:
    ocean = synthesize_ambience("ocean waves", 20.0, seed=2)
    frames = ocean[: 20 * SR].reshape(40, -1, 2)  # half-second frames
    levels = 20 * np.log10(np.sqrt((frames.astype(np.float64) ** 2).mean(axis=(1, 2))))
    assert levels.max() - levels.min() > 4.0  # waves come and go; a static hiss would not


@pytest.mark.parametrize(
    "words",
    ["rain", "wind", "ocean", "crowd chatter", "city traffic", "crackling fire", "footsteps",
     "birds", "thunder", "machine hum", "night crickets", "stream", "room tone"],
)  # fmt: skip
def test_every_layer_is_audible_and_distinct_from_room_tone(words: str) -> None:
    bed = synthesize_ambience(words, 2.0, seed=5)
    room = synthesize_ambience("", 2.0, seed=5)
    assert _rms_db(bed) > -60.0
    if words != "room tone":
        assert np.abs(bed - room).max() > 1e-3


@pytest.mark.parametrize("words", ["", "   ", "xyzzy plugh", "a tense silence"])
def test_unknown_or_empty_words_give_quiet_room_tone_not_silence(words: str) -> None:
    bed = synthesize_ambience(words, 1.0, seed=0)
    level = _rms_db(bed)
    assert -60.0 < level < -35.0


def test_intensity_words_change_the_level() -> None:
    heavy = synthesize_ambience("heavy rain", 2.0, seed=1)
    light = synthesize_ambience("light rain", 2.0, seed=1)
    assert _rms_db(heavy) - _rms_db(light) > 8.0
    assert ambience_layers("storm") == {"rain": 0.0, "wind": 0.0, "thunder": 0.0}


def test_adding_a_layer_does_not_change_the_others() -> None:
    # Each layer has its own generator, so "rain" alone equals the rain inside "rain, birds".
    rain = synthesize_ambience("rain", 1.0, seed=9).astype(np.float64)
    both = synthesize_ambience("rain, birds", 1.0, seed=9).astype(np.float64)
    birds = synthesize_ambience("birds", 1.0, seed=9).astype(np.float64)
    room = synthesize_ambience("", 1.0, seed=9).astype(np.float64)
    # Room tone sits 6 dB lower under named layers than alone.
    residual = both - (rain + birds - room * 10 ** (-6 / 20))
    assert np.abs(residual).max() < 1e-3


def test_zero_duration_and_bad_input() -> None:
    assert synthesize_ambience("rain", 0.0).shape == (0, 2)
    with pytest.raises(AudioError, match="duration"):
        synthesize_ambience("rain", -1.0)


def test_thirty_seconds_is_fast() -> None:
    synthesize_ambience("rain", 0.5)  # warm caches (FFT plans, imports)
    # CPU time of this process, so other jobs on a shared machine do not make it flaky.
    best = min(
        _cpu(lambda: synthesize_ambience("heavy rain, wind", 30.0, seed=1)) for _ in range(2)
    )
    assert best < 0.5


def _cpu(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start
