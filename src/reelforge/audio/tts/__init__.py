"""Dialogue by offline neural TTS, behind an engine interface.

Piper (neural, via ``pip install 'reelforge[tts]'``) is preferred; espeak-ng is the fallback.
Both are GPL and only ever run as subprocesses (see :mod:`.engines`).

    voice = voice_for("MAYA", element_voice=None)
    [speech] = synthesize_lines([SpeechRequest("Hello there.", voice)], Path("cache/tts"))
    speech.path, speech.duration  # a 48 kHz mono WAV and its length in seconds
"""

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
