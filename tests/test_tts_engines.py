"""Engine selection, the espeak-ng fallback (driven through a stand-in CLI), and error messages."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from reelforge._exceptions import AudioError
from reelforge.audio.tts import (
    EspeakEngine,
    PiperEngine,
    SpeechRequest,
    TTSEngine,
    VoiceSetting,
    available_engine,
    synthesize_lines,
    voice_for,
)
from reelforge.audio.wavio import read_wav, write_wav

# A stand-in for the espeak-ng CLI: same flags, writes a tone whose length follows the words and
# the -s rate, and logs how it was called. (No espeak-ng binary on the test machines.)
FAKE_ESPEAK = """\
import json, os, sys, wave
import numpy as np
args = sys.argv[1:]
opt = {args[i]: args[i + 1] for i in range(len(args) - 1) if args[i] in ("-v", "-s", "-w")}
text = sys.stdin.read()
with open(os.environ["FAKE_ESPEAK_LOG"], "a") as log:
    log.write(json.dumps({"argv": args, "text": text}) + "\\n")
if os.environ.get("FAKE_ESPEAK_FAIL"):
    sys.stderr.write("fake espeak: voice not found\\n")
    sys.exit(1)
seconds = len(text.split()) * 60.0 / float(opt["-s"])
t = np.arange(int(seconds * 22050)) / 22050
pcm = (0.3 * np.sin(2 * np.pi * 140 * t) * 32767).astype("<i2")
with wave.open(opt["-w"], "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(22050); w.writeframes(pcm.tobytes())
"""


@pytest.fixture
def fake_espeak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "espeak-ng"
    exe.write_text(f"#!{sys.executable}\n{FAKE_ESPEAK}")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "espeak.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_ESPEAK_LOG", str(log))
    return log


def _calls(log: Path) -> list[list[str]]:
    """The argv of every fake espeak-ng run."""
    lines = log.read_text().splitlines() if log.exists() else []
    return [[str(a) for a in json.loads(line)["argv"]] for line in lines]


def _flag(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


class NoPiper(PiperEngine):
    def available(self) -> bool:
        return False


class NoEspeak(EspeakEngine):
    def available(self) -> bool:
        return False


def test_named_espeak_voice_uses_espeak(fake_espeak: Path, tmp_path: Path) -> None:
    voice = voice_for("ELI", "en-us+f3")
    [speech] = synthesize_lines(
        [SpeechRequest("Keep walking and do not look back.", voice)], tmp_path
    )
    assert speech.engine == "espeak"
    [argv] = _calls(fake_espeak)
    assert _flag(argv, "-v") == "en-us+f3"
    # Rate: 165 wpm scaled by the speaker's length_scale and the pitch-shift compensation.
    ratio = 2 ** (voice.pitch_semitones / 12)
    expected = round(165 / round(voice.length_scale * ratio, 4))
    assert int(_flag(argv, "-s")) == expected
    data, rate = read_wav(speech.path)
    assert rate == 48000
    assert np.sqrt(np.mean(data.astype(np.float64) ** 2)) > 0.03
    # Seven words at the requested rate, brought back to the speaker's own rate by the shift.
    assert speech.duration == pytest.approx(7 * 60 / expected / ratio + 0.08, rel=0.05)


def test_espeak_is_the_fallback_when_piper_is_missing(fake_espeak: Path, tmp_path: Path) -> None:
    engines: dict[str, TTSEngine] = {"piper": NoPiper(), "espeak": EspeakEngine()}
    assert available_engine(engines) == "espeak"
    voice = voice_for("MAYA")
    speeches = synthesize_lines(
        [SpeechRequest("First line here.", voice), SpeechRequest("And a second one.", voice)],
        tmp_path,
        engines=engines,
    )
    assert [s.engine for s in speeches] == ["espeak", "espeak"]
    assert {_flag(argv, "-v") for argv in _calls(fake_espeak)} == {f"en-us+{voice.variant}"}


def test_no_engine_at_all_says_how_to_install_one() -> None:
    engines: dict[str, TTSEngine] = {"piper": NoPiper(), "espeak": NoEspeak()}
    with pytest.raises(AudioError) as info:
        available_engine(engines)
    assert "pip install 'reelforge[tts]'" in str(info.value)
    assert "apt-get install espeak-ng" in str(info.value)


def test_named_voice_of_a_missing_engine_is_a_clear_error(tmp_path: Path) -> None:
    engines: dict[str, TTSEngine] = {"piper": NoPiper(), "espeak": NoEspeak()}
    with pytest.raises(AudioError, match=r"apt-get install espeak-ng"):
        synthesize_lines(
            [SpeechRequest("Hello.", voice_for("A", "en-gb"))], tmp_path, engines=engines
        )
    with pytest.raises(AudioError, match=r"pip install 'reelforge\[tts\]'"):
        synthesize_lines(
            [SpeechRequest("Hello.", voice_for("A", "joe"))], tmp_path, engines=engines
        )


def test_engine_failure_carries_its_stderr(
    fake_espeak: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_ESPEAK_FAIL", "1")
    with pytest.raises(AudioError, match="voice not found"):
        synthesize_lines([SpeechRequest("Hello there.", voice_for("A", "en-us"))], tmp_path)
    assert not list(tmp_path.glob("*.wav"))  # nothing half-written left in the cache


@pytest.mark.parametrize("text", ["", "   ", "...", "?!"])
def test_lines_with_nothing_to_say_are_rejected(tmp_path: Path, text: str) -> None:
    with pytest.raises(AudioError, match="nothing to speak"):
        synthesize_lines([SpeechRequest(text, voice_for("MAYA"), "MAYA")], tmp_path)


class CountingEngine:
    """A pure-Python engine for checking batching without launching anything."""

    name: ClassVar[str] = "piper"
    batches: ClassVar[bool] = True

    def __init__(self) -> None:
        self.batches_seen: list[list[str]] = []

    def available(self) -> bool:
        return True

    def identity(self) -> str:
        return "counting-1"

    def synthesize(self, texts: Sequence[str], setting: VoiceSetting, out_dir: Path) -> list[Path]:
        self.batches_seen.append(list(texts))
        t = np.arange(11025) / 22050
        return [
            write_wav(out_dir / f"{i}.wav", 0.2 * np.sin(2 * np.pi * 150 * t), 22050)
            for i in range(len(texts))
        ]


def test_lines_are_grouped_by_voice_setting(tmp_path: Path) -> None:
    engine = CountingEngine()
    speakers = ["MAYA", "ELI", "MAYA", "ODE", "ELI", "MAYA"]
    requests = [SpeechRequest(f"Line number {i}.", voice_for(s)) for i, s in enumerate(speakers)]
    synthesize_lines(requests, tmp_path, engines={"piper": engine})
    # A batching engine speaks every line of one voice in one call, whoever says it.
    assert [len(b) for b in engine.batches_seen] == [6]
    named = SpeechRequest("Another line.", voice_for("MAYA", "espeak:en-gb"))
    espeak = CountingEngine()
    synthesize_lines([named], tmp_path, engines={"piper": engine, "espeak": espeak})
    assert [len(b) for b in espeak.batches_seen] == [1]  # another engine voice, another group
    again = synthesize_lines(requests, tmp_path, engines={"piper": engine})
    assert len(engine.batches_seen) == 1  # all cached now
    assert all(s.cached for s in again)


def _f0(path: Path) -> float:
    """Median fundamental frequency of the voiced frames (autocorrelation)."""
    data, rate = read_wav(path)
    x = data[:, 0].astype(np.float64)
    n, estimates = int(0.04 * rate), []
    for start in range(0, x.size - n, n):
        frame = x[start : start + n] - x[start : start + n].mean()
        if np.sqrt(np.mean(frame**2)) < 0.05:
            continue
        ac = np.correlate(frame, frame, mode="full")[n - 1 :]
        lo, hi = int(rate / 400), int(rate / 60)  # 60-400 Hz
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.3 * ac[0]:
            estimates.append(rate / lag)
    return float(np.median(estimates))


def test_one_process_still_gives_each_speaker_their_pitch_and_rate(tmp_path: Path) -> None:
    """Rate and pitch are applied after synthesis: the same line differs as the voices say."""
    low, high = voice_for("ELI"), voice_for("MAYA")
    if low.pitch_semitones > high.pitch_semitones:
        low, high = high, low
    engine = CountingEngine()  # the same 150 Hz tone for every line: only our processing varies
    line = "The same words."
    a, b = synthesize_lines(
        [SpeechRequest(line, low), SpeechRequest(line, high)], tmp_path, engines={"piper": engine}
    )
    assert len(engine.batches_seen) == 1
    expected_pitch = 2 ** ((high.pitch_semitones - low.pitch_semitones) / 12)
    assert _f0(b.path) / _f0(a.path) == pytest.approx(expected_pitch, rel=0.03)
    expected_rate = high.length_scale / low.length_scale
    assert b.duration / a.duration == pytest.approx(expected_rate, rel=0.03)
