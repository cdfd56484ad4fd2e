"""Dialogue by offline neural TTS, behind an engine interface.

Piper (neural, via ``pip install 'reelforge[tts]'``) is preferred; espeak-ng is the fallback.
Both are GPL and only ever run as subprocesses (see :mod:`.engines`).

    voice = voice_for("MAYA", element_voice=None)
    [speech] = synthesize_lines([SpeechRequest("Hello there.", voice)], Path("cache/tts"))
    speech.path, speech.duration  # a 48 kHz mono WAV and its length in seconds
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reelforge.audio.tts.engines import (
        EspeakEngine,
        PiperEngine,
        TTSEngine,
        available_engine,
        default_engines,
        engine_for,
    )
    from reelforge.audio.tts.synth import Speech, SpeechRequest, synthesize_lines
    from reelforge.audio.tts.voices import VoiceSetting, cast_voices, voice_choices, voice_for

# Exports load on first use: checking a voice name (`reel validate`) must not pull in the
# synthesis stack (numpy, scipy).
_EXPORTS = {
    "EspeakEngine": "engines",
    "PiperEngine": "engines",
    "TTSEngine": "engines",
    "available_engine": "engines",
    "default_engines": "engines",
    "engine_for": "engines",
    "Speech": "synth",
    "SpeechRequest": "synth",
    "synthesize_lines": "synth",
    "VoiceSetting": "voices",
    "cast_voices": "voices",
    "voice_choices": "voices",
    "voice_for": "voices",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EspeakEngine",
    "PiperEngine",
    "Speech",
    "SpeechRequest",
    "TTSEngine",
    "VoiceSetting",
    "available_engine",
    "cast_voices",
    "default_engines",
    "engine_for",
    "synthesize_lines",
    "voice_choices",
    "voice_for",
]
