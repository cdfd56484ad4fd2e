"""Procedural ambience and effects beds from a shot's ``sound`` words.

Every layer is built from numpy noise shaped in the frequency domain (one FFT per channel, far
cheaper than cascaded IIR filters over millions of samples), slow random envelopes, and short
grains (drops, crackles, steps) scattered at random times. Each layer draws from its own
generator seeded by (seed, layer name), so adding "birds" to "rain" does not change the rain.
Output is a stereo float32 bed; levels are set per layer so a mix of words stays balanced, and
a quiet room tone is always underneath so a bed is never digital silence (which sounds like a
dropout in a cut).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import fft as sfft
from scipy import signal

from reelforge._exceptions import AudioError

Array = npt.NDArray[np.floating]
_NOISE_LOOP = 10.0  # seconds of noise synthesised per layer; longer beds loop it seamlessly
Layer = Callable[[int, int, np.random.Generator], Array]


def _noise(n: int, sr: int, rng: np.random.Generator, shape: Callable[[Array], Array]) -> Array:
    """Two channels of Gaussian noise whose magnitude spectrum follows ``shape(freq_hz)``.

    Noise made by an inverse FFT is circular, so a loop of at most ``_NOISE_LOOP`` seconds tiles
    seamlessly; longer beds reuse it (a 10 s loop of shaped noise under envelopes and random
    events is not heard as repetition) and a 30 s bed costs a third of the FFT work.
    """
    m = sfft.next_fast_len(max(min(n, int(_NOISE_LOOP * sr)), 2), real=True)
    freqs = np.fft.rfftfreq(m, 1.0 / sr)
    mag = shape(freqs).astype(np.float32)
    mag[0] = 0.0  # no DC offset
    spec = np.empty((2, freqs.size), dtype=np.complex64)
    spec.real = rng.standard_normal((2, freqs.size), dtype=np.float32)
    spec.imag = rng.standard_normal((2, freqs.size), dtype=np.float32)
    spec *= mag
    loop = sfft.irfft(spec, m, axis=1)
    # Partly shared between channels: fully independent noise sounds unnaturally wide.
    mid = loop.mean(axis=0)
    loop = 0.6 * loop + 0.4 * mid
    loop /= np.sqrt(np.mean(loop**2)) + 1e-20
    return _tile(np.ascontiguousarray(loop.T), n)


def _band(lo: float, hi: float, order: float = 2.0) -> Callable[[Array], Array]:
    """A smooth band-pass magnitude response (Butterworth-like, without phase concerns)."""

    def shape(f: Array) -> Array:
        with np.errstate(divide="ignore"):
            high = 1.0 / np.sqrt(1.0 + (lo / np.maximum(f, 1e-3)) ** (2 * order)) if lo > 0 else 1.0
        low = 1.0 / np.sqrt(1.0 + (f / hi) ** (2 * order))
        return np.asarray(high * low, dtype=np.float64)

    return shape


def _tilt(exponent: float, inner: Callable[[Array], Array]) -> Callable[[Array], Array]:
    """Multiply a response by f**exponent (-0.5 = pink, -1 = brown) to colour it."""
    return lambda f: inner(f) * np.maximum(f, 20.0) ** exponent


def _peak(x: Array) -> Array:
    """Scale sparse events to unit peak (their RMS depends on how many happen to fall)."""
    top = float(np.max(np.abs(x))) if x.size else 0.0
    return x / np.float32(top) if top > 0 else x


def _f32(x: npt.ArrayLike) -> Array:
    return np.asarray(x, dtype=np.float32)


def _envelope(n: int, sr: int, rng: np.random.Generator, rate_hz: float, depth: float) -> Array:
    """A smooth random gain curve in [1-depth, 1] that changes about ``rate_hz`` times a second."""
    return _stretch(_control(n, sr, rng, rate_hz, depth), n)


def _control(n: int, sr: int, rng: np.random.Generator, rate_hz: float, depth: float) -> Array:
    """The envelope at control rate (``rate_hz`` points a second): cheap to combine before
    :func:`_stretch` brings it to audio rate once."""
    points = max(int(n / sr * rate_hz) + 3, 4)
    ctrl = signal.savgol_filter(rng.random(points), min(5, points - (points + 1) % 2), 2)
    ctrl = np.clip((ctrl - ctrl.min()) / max(float(np.ptp(ctrl)), 1e-9), 0, 1)
    return _f32(1.0 - depth + depth * ctrl)


def _stretch(ctrl: Array, n: int) -> Array:
    return _f32(np.interp(np.linspace(0, ctrl.size - 1, n), np.arange(ctrl.size), ctrl))


def _phase(freq: float, n: int, sr: int, offset: float = 0.0) -> Array:
    """2*pi*freq*t wrapped to one cycle in float64 first, so float32 sin stays clean at 60 s."""
    cycles = np.mod(np.arange(n, dtype=np.float64) * (freq / sr) + offset, 1.0)
    return _f32(cycles * (2 * np.pi))


def _pan(mono: Array, pan: float | Array) -> Array:
    """Constant-power pan: 0 = left, 1 = right."""
    return np.stack((mono * np.sqrt(1 - pan), mono * np.sqrt(pan)), axis=1).astype(np.float32)


def _impulses(n: int, sr: int, rng: np.random.Generator, rate_hz: float, grain: Array) -> Array:
    """A Poisson train of random-amplitude, randomly panned copies of ``grain``.

    Built with one ``bincount`` per channel: for sparse events this is several times faster than
    convolving a full-length impulse train.
    """
    count = int(rng.poisson(rate_hz * n / sr))
    pos = rng.integers(0, max(n, 1), count)
    amp = rng.lognormal(0.0, 0.4, count)
    pan = rng.random(count)
    idx = (pos[:, None] + np.arange(grain.size)).ravel()
    out = np.empty((n, 2), dtype=np.float32)
    for ch, gain in enumerate((np.sqrt(1 - pan), np.sqrt(pan))):
        w = ((amp * gain)[:, None] * grain[None, :]).ravel()
        out[:, ch] = np.bincount(idx, weights=w, minlength=n + grain.size)[:n]
    return out


def _grain(sr: int, rng: np.random.Generator, ms: float, lo: float, hi: float) -> Array:
    """A short decaying noise burst band-limited to [lo, hi] Hz: a drop, a crackle, a step."""
    k = max(int(sr * ms / 1000), 8)
    sos = signal.butter(2, [lo, min(hi, sr * 0.45)], btype="band", fs=sr, output="sos")
    burst = signal.sosfilt(sos, rng.standard_normal(k)) * np.exp(-np.linspace(0, 7, k))
    return _f32(burst / (np.max(np.abs(burst)) + 1e-12))


def _loop_len(n: int, sr: int) -> int:
    return min(n, int(_NOISE_LOOP * sr))


def _snap(freq: float, m: int, sr: int) -> float:
    """Round ``freq`` to a whole number of cycles per ``m`` samples so a tiled loop has no seam."""
    return max(round(freq * m / sr), 1) * sr / m


def _tile(loop: Array, n: int) -> Array:
    reps = (-(-n // loop.shape[0]),) + (1,) * (loop.ndim - 1)
    return np.ascontiguousarray(np.tile(loop, reps)[:n])


def _window(n: int, sr: int, at: float, before: float, after: float) -> tuple[int, int]:
    """Sample range [at-before, at+after] clipped to the bed, so events cost only their length."""
    return max(int((at - before) * sr), 0), min(int((at + after) * sr), n)


# --- layers: each returns (n, 2) float32 with roughly unit RMS (steady) or unit peak (events) ---


def _room(n: int, sr: int, rng: np.random.Generator) -> Array:
    return _noise(n, sr, rng, _tilt(-0.7, _band(40, 1200)))


def _rain(n: int, sr: int, rng: np.random.Generator) -> Array:
    hiss = _noise(n, sr, rng, _band(900, 9000, 1.5)) * _envelope(n, sr, rng, 0.3, 0.2)[:, None]
    drops = _impulses(n, sr, rng, 250.0, _grain(sr, rng, 8, 2000, 10000))
    return hiss + 3.0 * _peak(drops)


def _wind(n: int, sr: int, rng: np.random.Generator) -> Array:
    body = _noise(n, sr, rng, _tilt(-1.0, _band(30, 700, 2)))
    gust = _envelope(n, sr, rng, 0.25, 0.8) ** 1.5
    whistle = _noise(n, sr, rng, _band(500, 900, 4)) * _envelope(n, sr, rng, 0.4, 1.0)[:, None]
    return body * gust[:, None] + np.float32(0.15) * whistle


def _ocean(n: int, sr: int, rng: np.random.Generator) -> Array:
    # Swells every 7-10 s: a sharpened sine (the break) under a slow random variation.
    period = rng.uniform(7.0, 10.0)
    swell = (0.5 + 0.5 * np.sin(_phase(1 / period, n, sr, rng.random()))) ** 3
    swell *= _envelope(n, sr, rng, 0.2, 0.3)
    rumble = _noise(n, sr, rng, _tilt(-1.0, _band(30, 500)))
    wash = _noise(n, sr, rng, _band(400, 5000, 2))
    # The sea never goes quiet between breaks: a steady wash stays under each swell.
    return rumble * (0.5 + 0.5 * swell)[:, None] + wash * (0.25 + 0.75 * swell)[:, None]


def _crowd(n: int, sr: int, rng: np.random.Generator) -> Array:
    # Babble: speech-band noise gated at syllable rate by three independent "talkers" per band.
    out = np.zeros((n, 2), dtype=np.float32)
    for lo, hi in ((250, 900), (700, 2200), (1800, 3500)):
        talkers = sum(_control(n, sr, rng, 5.0, 1.0) ** 2 for _ in range(3))
        out += _noise(n, sr, rng, _band(lo, hi, 2)) * _stretch(_f32(talkers), n)[:, None]
    return out


def _city(n: int, sr: int, rng: np.random.Generator) -> Array:
    out = _noise(n, sr, rng, _tilt(-1.0, _band(25, 400)))
    hiss = _noise(n, sr, rng, _band(200, 3000, 1.5))
    for _ in range(max(1, int(n / sr / 4))):  # a car passes every ~4 s, left to right or back
        centre, width = rng.uniform(0, n / sr), rng.uniform(1.5, 3.0)
        a, b = _window(n, sr, centre, 3 * width, 3 * width)
        t = _f32(np.arange(a, b) / sr - centre)
        bump = np.exp(-((t / width) ** 2)) * 1.5
        side = 1.0 / (1.0 + np.exp(-t * rng.choice((-2.0, 2.0))))
        out[a:b] += hiss[a:b] * _pan(bump, side)
    return out


def _fire(n: int, sr: int, rng: np.random.Generator) -> Array:
    flicker = _envelope(n, sr, rng, 1.5, 0.5)
    roar = _noise(n, sr, rng, _tilt(-1.0, _band(40, 600))) * flicker[:, None]
    crackle = _impulses(n, sr, rng, 14.0, _grain(sr, rng, 4, 1500, 10000))
    pops = _impulses(n, sr, rng, 1.5, _grain(sr, rng, 25, 300, 3000))
    return roar + 4.0 * _peak(crackle) + 6.0 * _peak(pops)


def _footsteps(n: int, sr: int, rng: np.random.Generator) -> Array:
    step = _grain(sr, rng, 90, 80, 1800)
    out = np.zeros((n, 2), dtype=np.float32)
    pace = rng.uniform(0.48, 0.6)
    for i, at in enumerate(np.arange(rng.uniform(0.05, 0.4), n / sr, pace)):
        s = int((at + rng.normal(0, 0.012)) * sr)  # human timing is never exactly even
        if 0 <= s < n:
            seg = step[: n - s] * np.float32(rng.uniform(0.7, 1.0))
            out[s : s + seg.size, i % 2] += seg  # alternate feet lean left and right
            out[s : s + seg.size, 1 - i % 2] += 0.6 * seg
    return out


def _birds(n: int, sr: int, rng: np.random.Generator) -> Array:
    out = np.zeros((n, 2), dtype=np.float32)
    for _ in range(rng.poisson(2.5 * n / sr) + 1):
        f0, f1 = rng.uniform(2200, 5500), rng.uniform(2200, 6500)
        k = int(sr * rng.uniform(0.05, 0.16))
        s = int(rng.integers(0, max(n - k, 1)))
        tt = np.arange(k) / sr
        freq = np.linspace(f0, f1, k) * (1 + 0.04 * np.sin(2 * np.pi * rng.uniform(20, 40) * tt))
        chirp = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.sin(np.pi * np.arange(k) / k) ** 2
        chirp = _f32(chirp[: n - s])
        out[s : s + chirp.size] += _pan(chirp, rng.random())
    return out


def _thunder(n: int, sr: int, rng: np.random.Generator) -> Array:
    out = np.zeros((n, 2), dtype=np.float32)
    rumble = _noise(n, sr, rng, _tilt(-1.0, _band(20, 250)))
    crack = _noise(n, sr, rng, _band(200, 4000, 1))
    first = rng.uniform(0.0, min(4.0, n / sr * 0.5))
    for at in np.arange(first, n / sr, rng.uniform(9.0, 16.0)):  # a roll every 9-16 s
        tau = rng.uniform(1.5, 3.0)
        a, b = _window(n, sr, at, 0.0, 6 * tau)
        dt = _f32(np.arange(b - a) / sr)
        roll = (1 - np.exp(-dt * 6)) * np.exp(-dt / tau)
        out[a:b] += rumble[a:b] * roll[:, None] + crack[a:b] * (0.3 * np.exp(-dt * 12))[:, None]
    return out


def _hum(n: int, sr: int, rng: np.random.Generator) -> Array:
    m = _loop_len(n, sr)
    mains = float(rng.choice((50.0, 60.0)))
    # Mains hum: the fundamental and a few decaying harmonics, snapped so the loop is seamless.
    tone = sum(np.sin(_phase(_snap(mains * h, m, sr), m, sr, rng.random())) / h for h in (1, 2, 3))
    air = _noise(n, sr, rng, _tilt(-0.5, _band(60, 2500)))
    return _tile(_f32(0.6 * tone), n)[:, None] + np.float32(0.8) * air


def _crickets(n: int, sr: int, rng: np.random.Generator) -> Array:
    # Crickets repeat themselves anyway, so one loop is synthesised and tiled.
    m = _loop_len(n, sr)
    loop = np.zeros((m, 2), dtype=np.float32)
    for _ in range(2):
        carrier = np.sin(_phase(_snap(rng.uniform(4200, 5200), m, sr), m, sr))
        strokes = np.sin(_phase(_snap(rng.uniform(12, 20), m, sr), m, sr)) ** 2
        chirps = np.sin(_phase(_snap(rng.uniform(1.5, 3.0), m, sr), m, sr, rng.random())) > 0.3
        loop += _pan(carrier * strokes * chirps, rng.uniform(0.2, 0.8))
    floor = _noise(n, sr, rng, _tilt(-1.0, _band(30, 300)))
    return _tile(loop, n) + np.float32(0.1) * floor


def _stream(n: int, sr: int, rng: np.random.Generator) -> Array:
    flow = _noise(n, sr, rng, _band(300, 2500, 1.5)) * _envelope(n, sr, rng, 12.0, 0.7)[:, None]
    bubbles = _impulses(n, sr, rng, 40.0, _grain(sr, rng, 12, 500, 2500))
    return flow + 3.0 * _peak(bubbles)


@dataclass(frozen=True)
class _Spec:
    make: Layer
    level_db: float  # RMS (steady beds) or peak (sparse events) in dBFS
    peak: bool = False


_LAYERS: dict[str, _Spec] = {
    "room": _Spec(_room, -44.0),
    "rain": _Spec(_rain, -26.0),
    "wind": _Spec(_wind, -28.0),
    "ocean": _Spec(_ocean, -26.0),
    "crowd": _Spec(_crowd, -30.0),
    "city": _Spec(_city, -30.0),
    "fire": _Spec(_fire, -28.0),
    "footsteps": _Spec(_footsteps, -14.0, peak=True),
    "birds": _Spec(_birds, -22.0, peak=True),
    "thunder": _Spec(_thunder, -8.0, peak=True),
    "hum": _Spec(_hum, -36.0),
    "crickets": _Spec(_crickets, -34.0),
    "stream": _Spec(_stream, -28.0),
}

# Words a writer is likely to use, mapped to the layers they evoke.
_WORDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("rain", "rainy", "drizzle", "downpour", "raining"), ("rain",)),
    "storm": ("rain", "wind", "thunder"),
    "thunderstorm": ("rain", "thunder"),
    **dict.fromkeys(("wind", "windy", "breeze", "gust", "gale", "blizzard"), ("wind",)),
    **dict.fromkeys(("ocean", "sea", "wave", "surf", "beach", "shore", "coast"), ("ocean",)),
    **dict.fromkeys(
        ("crowd", "chatter", "people", "murmur", "restaurant", "cafe", "bar", "party", "market"),
        ("crowd",),
    ),
    **dict.fromkeys(("city", "traffic", "street", "car", "urban", "road", "highway"), ("city",)),
    **dict.fromkeys(("fire", "crackle", "crackling", "campfire", "fireplace", "flame"), ("fire",)),
    **dict.fromkeys(("footstep", "step", "walking", "walk", "footfall"), ("footsteps",)),
    **dict.fromkeys(("bird", "birdsong", "chirp", "songbird"), ("birds",)),
    "forest": ("birds", "wind"),
    **dict.fromkeys(("thunder", "lightning"), ("thunder",)),
    **dict.fromkeys(
        ("machine", "hum", "engine", "fan", "factory", "server", "generator", "ship"), ("hum",)
    ),
    **dict.fromkeys(("night", "cricket", "insect", "cicada"), ("crickets",)),
    **dict.fromkeys(
        ("water", "stream", "river", "brook", "creek", "fountain", "waterfall"), ("stream",)
    ),
    **dict.fromkeys(
        ("room", "tone", "interior", "indoor", "office", "quiet", "silence"), ("room",)
    ),
}
_LOUDER = {"heavy", "loud", "strong", "pouring", "roaring", "busy", "close", "howling"}
_SOFTER = {"light", "soft", "distant", "faint", "gentle", "quiet", "far", "low"}


def ambience_layers(sound: str) -> dict[str, float]:
    """The layers ``sound`` asks for, each with a gain offset in dB from words like "heavy"."""
    layers: dict[str, float] = {}
    pending = 0.0
    for raw in re.findall(r"[a-z]+", sound.lower()):
        word = raw if raw in _WORDS or raw in _LOUDER | _SOFTER else raw.rstrip("s")
        if word in _LOUDER:
            pending = 6.0
        if word in _SOFTER:
            pending = -8.0
        for name in _WORDS.get(word, ()):
            layers[name] = max(layers.get(name, -99.0), pending)
        if word in _WORDS:
            pending = 0.0
    return layers


def synthesize_ambience(
    sound: str, duration: float, *, sample_rate: int = 48000, seed: int = 0
) -> npt.NDArray[np.float32]:
    """A stereo (n, 2) float32 bed for the ``sound`` words, deterministic for ``seed``.

    Unrecognised or empty words give a quiet room tone, never silence.
    """
    if not np.isfinite(duration) or duration < 0:
        raise AudioError(f"ambience duration must be a non-negative number, got {duration}")
    if sample_rate < 8000:
        raise AudioError(f"ambience sample rate must be at least 8000 Hz, got {sample_rate}")
    n = round(duration * sample_rate)
    if n == 0:
        return np.zeros((0, 2), dtype=np.float32)
    wanted = ambience_layers(sound)
    # Room tone always sits underneath; alone it is the whole bed, a little louder.
    wanted.setdefault("room", 0.0 if len(wanted) == 0 else -6.0)
    mix = np.zeros((n, 2), dtype=np.float32)
    for name, offset_db in wanted.items():
        spec = _LAYERS[name]
        rng = np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(name.encode())])
        layer = spec.make(n, sample_rate, rng)
        ref = float(np.max(np.abs(layer))) if spec.peak else float(np.sqrt(np.mean(layer**2)))
        if ref > 0:
            mix += layer * np.float32(10 ** ((spec.level_db + offset_db) / 20) / ref)
    return _soft_clip(mix).astype(np.float32, copy=False)


def _soft_clip(x: Array, knee: float = 0.7) -> Array:
    """Leave everything below ``knee`` alone and bend louder peaks smoothly under 1.0."""
    mag = np.abs(x)
    over = mag > knee
    if not over.any():
        return x
    bent = knee + (1 - knee) * np.tanh((mag[over] - knee) / (1 - knee))
    out = x.copy()
    out[over] = np.sign(x[over]) * bent
    return out
