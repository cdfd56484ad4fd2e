"""Two-pass EBU R128 loudness normalisation with ffmpeg's ``loudnorm`` filter.

Pass 1 measures the input; pass 2 feeds those measurements back so loudnorm can apply a single
linear gain (no compression, no pumping) whenever the true-peak ceiling allows; a third, separate
``ebur128`` pass measures what was actually delivered, so the report never just echoes loudnorm's
own claims. Edge cases handled here rather than left to the filter:

* loudnorm needs at least 3 s of audio, so shorter input is padded with silence (which the R128
  gate ignores, so the measurement is unchanged) and trimmed back afterwards;
* near-silent input would otherwise be amplified by 50 dB or more, turning hiss into a roar; the
  gain is capped and the report says so;
* loudnorm upsamples to 192 kHz internally, so the output is resampled to ``sample_rate``.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from reelforge._exceptions import AudioError, MediaError
from reelforge.audio.wavio import FloatArray, read_wav, write_wav
from reelforge.media.ffmpeg import run_ffmpeg

MIN_LOUDNORM_SECONDS = 3.0
_PAD_TO = 3.5  # a margin over loudnorm's 3 s window
_TP_MARGIN = 0.3  # dB asked of loudnorm below the ceiling: resampling and 16-bit rounding add peak
_LIMIT_MARGIN = 0.5  # dB the limiter aims under loudnorm's ceiling, so it then stays linear
_SILENT_LUFS = -70.0  # R128 absolute gate: below this there is no programme loudness to measure


@dataclass(frozen=True)
class LoudnessMeasurement:
    integrated: float  # LUFS; -inf for silence
    true_peak: float  # dBTP; -inf for silence
    lra: float  # LU
    threshold: float  # LUFS: the relative gate of the integrated measurement


@dataclass(frozen=True)
class LoudnessReport:
    target_i: float
    target_tp: float
    input_i: float
    input_tp: float
    input_lra: float
    output_i: float  # measured on the written file by a separate ebur128 pass
    output_tp: float
    linear: bool  # loudnorm applied one static gain (True) or its dynamic compressor (False)
    goal_i: float  # the target actually aimed at: target_i, or lower when the gain was capped
    gain_db: float  # the gain loudnorm was asked to apply
    gain_capped: bool  # the input was too quiet to reach the target without lifting noise
    padded: bool  # the input was shorter than 3 s and was padded for the filter
    limited_db: float = 0.0  # peak reduction by our limiter before loudnorm (0 = untouched)

    @property
    def on_target(self) -> bool:
        """Within 1 LU of the (possibly capped) target and under the true-peak ceiling."""
        return abs(self.output_i - self.goal_i) <= 1.0 and self.output_tp <= self.target_tp


def _num(value: object) -> float:
    """loudnorm prints numbers as strings, including "-inf" and "inf"."""
    try:
        return float(str(value).strip())
    except ValueError as exc:
        raise AudioError(f"unexpected loudnorm value {value!r}") from exc


def _loudnorm_json(stderr: str) -> dict[str, str]:
    # The JSON block is the last {...} in stderr, after the filter's log prefix.
    start, end = stderr.rfind("{"), stderr.rfind("}")
    if start < 0 or end < start:
        raise MediaError("loudnorm printed no measurement", stderr=stderr)
    try:
        data = json.loads(stderr[start : end + 1])
    except json.JSONDecodeError as exc:
        raise MediaError("could not parse loudnorm's measurement", stderr=stderr) from exc
    if not isinstance(data, dict):
        raise MediaError("could not parse loudnorm's measurement", stderr=stderr)
    return {str(k): str(v) for k, v in data.items()}


def measure_loudness(path: Path | str) -> LoudnessMeasurement:
    """Integrated loudness, true peak and loudness range of an audio file (ffmpeg ebur128)."""
    return _ebur128(Path(path))


def _ebur128(path: Path, pre: str = "") -> LoudnessMeasurement:
    scan = f"{pre}ebur128=peak=true:framelog=quiet"
    proc = run_ffmpeg(
        # -vn: measuring a finished cut must not decode its video too.
        ["-nostats", "-vn", "-i", str(path), "-af", scan, "-f", "null", "-"],
        what=f"measuring the loudness of {path}",
    )
    summary = proc.stderr[proc.stderr.rfind("Summary:") :]

    def field(name: str) -> float:
        m = re.search(rf"{name}:\s*(-?(?:inf|[0-9.]+))", summary)
        if not m:
            raise MediaError(f"ebur128 printed no {name} value", stderr=proc.stderr)
        return float(m.group(1))

    integrated = field("I")
    return LoudnessMeasurement(
        integrated=-math.inf if integrated <= _SILENT_LUFS else integrated,
        true_peak=field("Peak"),
        lra=field("LRA"),
        threshold=field("Threshold"),  # the first one in the summary: the integrated gate
    )


def integrated_loudness(path: Path | str) -> float:
    """Integrated loudness of a file in LUFS (-inf for silence)."""
    return measure_loudness(path).integrated


def normalize_loudness(
    src: Path | str,
    dst: Path | str,
    *,
    target_i: float = -14.0,
    true_peak: float = -1.0,
    sample_rate: int = 48000,
    max_gain_db: float = 30.0,
) -> LoudnessReport:
    """Normalise ``src`` to ``target_i`` LUFS with true peak <= ``true_peak`` dBTP into ``dst``.

    ``dst`` is a 16-bit WAV at ``sample_rate`` with exactly the input's duration. Gain is limited
    to ``max_gain_db`` so near-silence is not lifted into audible noise; digital silence is
    copied through unchanged (both are flagged in the report).
    """
    if not -70.0 <= target_i <= -5.0:
        raise AudioError(f"loudness target must be between -70 and -5 LUFS, got {target_i}")
    if not -9.0 <= true_peak <= 0.0:
        raise AudioError(f"true-peak ceiling must be between -9 and 0 dBTP, got {true_peak}")
    src, dst = Path(src), Path(dst)
    if not src.is_file():
        raise AudioError(f"cannot normalise {src}: no such file")
    if dst.resolve() == src.resolve():
        raise AudioError(f"cannot normalise {src} onto itself: choose another output path")
    dst.parent.mkdir(parents=True, exist_ok=True)
    tp = true_peak - _TP_MARGIN
    with tempfile.TemporaryDirectory(prefix="reelforge-loudnorm-") as tmp:
        work, samples = _prepare(src, Path(tmp), sample_rate)
        frames = int(samples.shape[0])
        padded = frames < MIN_LOUDNORM_SECONDS * sample_rate
        pad = f"apad=whole_len={int(_PAD_TO * sample_rate)}," if padded else ""
        trim = f"aresample={sample_rate},atrim=end_sample={frames},asetpts=N/SR/TB"
        first = _measure(work, pad, target_i, tp)
        in_i, in_tp, in_lra = (_num(first[k]) for k in ("input_i", "input_tp", "input_lra"))
        report = LoudnessReport(
            target_i=target_i,
            target_tp=true_peak,
            input_i=in_i,
            input_tp=in_tp,
            input_lra=in_lra,
            output_i=-math.inf,
            output_tp=-math.inf,
            linear=False,
            goal_i=in_i,
            gain_db=0.0,
            gain_capped=True,
            padded=padded,
        )
        if not math.isfinite(in_i) or in_i <= _SILENT_LUFS:
            # Nothing to normalise: pass the audio through rather than amplify the noise floor.
            run_ffmpeg(
                ["-i", str(work), "-af", trim, *_out_args(sample_rate, dst)],
                what=f"copying silent audio {src}",
            )
            return _measured(report, dst)
        goal = min(target_i, in_i + max_gain_db)
        measured = first
        if in_tp + (goal - in_i) > tp - 0.1:
            # The gain would push peaks over the ceiling and loudnorm would go dynamic: shave the
            # peaks (to a little under, since limiting lowers the loudness that sets the gain).
            from reelforge.audio.limiter import limit  # scipy: only when peaks need shaving

            limited, reduction = limit(
                samples, tp - _LIMIT_MARGIN - (goal - in_i), sample_rate=sample_rate
            )
            work = write_wav(Path(tmp) / "limited.wav", limited, sample_rate, fmt="float32")
            # Re-measured with ebur128 (same R128 numbers), ~5x faster than a loudnorm pass.
            again = _ebur128(work, pad)
            measured = {
                "input_i": str(again.integrated),
                "input_tp": str(again.true_peak),
                "input_lra": str(again.lra),
                "input_thresh": str(again.threshold),
                "target_offset": "0",  # only used by dynamic mode
            }
            report = replace(report, limited_db=reduction)
            goal = min(target_i, _num(measured["input_i"]) + max_gain_db)
        m_i, m_tp, m_lra = (_num(measured[k]) for k in ("input_i", "input_tp", "input_lra"))
        # A loudness-range target below the programme's own LRA forces loudnorm into its
        # dynamic mode; dialogue mixes should only be gain-shifted, so the target follows it.
        lra = min(max(11.0, m_lra + 1.0), 50.0)
        apply = (
            f"{pad}loudnorm=I={goal}:TP={tp}:LRA={lra}:measured_I={m_i}:measured_TP={m_tp}"
            f":measured_LRA={m_lra}:measured_thresh={_num(measured['input_thresh'])}"
            f":offset={_num(measured['target_offset'])}:linear=true:print_format=json,{trim}"
        )
        second = _loudnorm_json(
            run_ffmpeg(
                ["-nostats", "-i", str(work), "-af", apply, *_out_args(sample_rate, dst)],
                what=f"normalising the loudness of {src}",
            ).stderr
        )
    report = replace(
        report,
        linear=second.get("normalization_type", "").strip().lower() == "linear",
        goal_i=goal,
        gain_db=goal - m_i,
        gain_capped=goal < target_i,
    )
    return _measured(report, dst)


def _measure(work: Path, pad: str, target_i: float, tp: float) -> dict[str, str]:
    """loudnorm's first pass: the input's integrated loudness, true peak, LRA and threshold."""
    measure = f"{pad}loudnorm=I={target_i}:TP={tp}:LRA=11:print_format=json"
    return _loudnorm_json(
        run_ffmpeg(
            ["-nostats", "-i", str(work), "-af", measure, "-f", "null", "-"],
            what=f"measuring {work.name} for loudness normalisation",
        ).stderr
    )


def _out_args(sample_rate: int, dst: Path) -> list[str]:
    return ["-ar", str(sample_rate), "-c:a", "pcm_s16le", str(dst)]


def _prepare(src: Path, tmp: Path, sample_rate: int) -> tuple[Path, FloatArray]:
    """A WAV of ``src`` at ``sample_rate`` and its samples (for the length and the limiter)."""
    try:
        samples, rate = read_wav(src)
        work = src
    except AudioError:
        rate = 0  # not a WAV we read: let ffmpeg decode it below
    if rate != sample_rate:
        work = tmp / "input.wav"
        run_ffmpeg(
            ["-i", str(src), "-vn", "-ar", str(sample_rate), "-c:a", "pcm_f32le", str(work)],
            what=f"decoding {src}",
        )
        samples, _ = read_wav(work)
    if samples.shape[0] == 0:
        raise AudioError(f"cannot normalise {src}: it contains no audio")
    return work, samples


def _measured(report: LoudnessReport, dst: Path) -> LoudnessReport:
    out = measure_loudness(dst)
    return replace(report, output_i=out.integrated, output_tp=out.true_peak)


__all__ = [
    "LoudnessMeasurement",
    "LoudnessReport",
    "integrated_loudness",
    "measure_loudness",
    "normalize_loudness",
]
