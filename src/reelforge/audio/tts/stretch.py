"""Changing speech tempo without changing its pitch (WSOLA).

Per-speaker variation used to mean one TTS process per speaker (the engine's speaking rate is
fixed per process), each loading the voice model again. Doing the rate change here instead lets
one engine process speak every line of a voice, whatever the cast size.

WSOLA (waveform-similarity overlap-add): windows are taken from the input at the stretched
spacing, each nudged within a small tolerance to where it best continues the previous one, and
overlap-added at a fixed spacing. Good for the small factors used here (about 0.75 to 1.35).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

WINDOW_SECONDS = 0.02
TOLERANCE_SECONDS = 0.005


def time_stretch(x: npt.NDArray[np.float64], rate: int, factor: float) -> npt.NDArray[np.float64]:
    """`x` made `factor` times longer (factor > 1 is slower), pitch unchanged."""
    if x.size == 0 or abs(factor - 1.0) < 1e-3:
        return x
    win = max(16, int(WINDOW_SECONDS * rate)) // 2 * 2
    hop_out = win // 2
    hop_in = hop_out / factor
    tol = max(1, int(TOLERANCE_SECONDS * rate))
    window = np.hanning(win)
    padded = np.concatenate([np.zeros(tol), x, np.zeros(win + 2 * tol)])
    frames = int(x.size / hop_in) + 1
    out = np.zeros(frames * hop_out + win)
    norm = np.zeros_like(out)
    previous = tol  # start of the last window taken, in `padded`
    for k in range(frames):
        nominal = tol + int(k * hop_in)
        if k == 0:
            start = nominal
        else:
            # The window that would naturally follow the previous one; find its best match
            # around the nominal position.
            target = padded[previous + hop_out : previous + hop_out + win]
            region = padded[nominal - tol : nominal + tol + win]
            score = np.correlate(region, target, mode="valid")
            start = nominal - tol + int(np.argmax(score))
        segment = padded[start : start + win]
        if segment.size < win:
            break
        at = k * hop_out
        out[at : at + win] += segment * window
        norm[at : at + win] += window
        previous = start
    length = round(x.size * factor)
    norm[norm < 1e-6] = 1.0
    return (out / norm)[:length]
