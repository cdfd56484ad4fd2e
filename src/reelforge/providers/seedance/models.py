"""What each Seedance model accepts (research §4.3) and the token formula it bills by (§4.5).

Shared by the adapter (validate before spending) and the sandbox (refuse what the service
refuses, charge what the service charges).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

RATIOS = {"16:9": 16 / 9, "4:3": 4 / 3, "1:1": 1.0, "3:4": 3 / 4, "9:16": 9 / 16, "21:9": 21 / 9}
RESOLUTIONS = {"480p": 480, "720p": 720, "1080p": 1080}
FPS = 24  # every Seedance model outputs 24 fps MP4
TOKEN_ALIGN = 16
TOKEN_DIVISOR = 1024


@dataclass(frozen=True)
class ModelSpec:
    t2v: bool = True
    i2v: bool = True
    last_frame: bool = True  # first+last frame mode
    max_references: int = 0  # reference_image items; exclusive with frames
    audio: bool = False  # generate_audio
    durations: tuple[int, int] = (2, 12)
    resolutions: tuple[str, ...] = ("480p", "720p", "1080p")
    auto_duration: bool = False  # duration -1: the model chooses


_V2 = ModelSpec(
    max_references=9,
    audio=True,
    durations=(4, 15),
    resolutions=("480p", "720p"),
    auto_duration=True,
)
MODELS: dict[str, ModelSpec] = {
    "dreamina-seedance-2-0-260128": _V2,
    "dreamina-seedance-2-0-fast-260128": _V2,
    # Volcengine Ark ids (same API, the China host).
    "doubao-seedance-2-0-260128": _V2,
    "doubao-seedance-2-0-mini-260615": _V2,
    "seedance-1-5-pro-251215": ModelSpec(audio=True, durations=(4, 12)),
    "seedance-1-0-pro-250528": ModelSpec(),
    "seedance-1-0-pro-fast-251015": ModelSpec(last_frame=False),
    "seedance-1-0-lite-t2v-250428": ModelSpec(i2v=False, resolutions=("480p", "720p")),
    "seedance-1-0-lite-i2v-250428": ModelSpec(
        t2v=False, max_references=4, resolutions=("480p", "720p")
    ),
}
MODELS["doubao-seedance-1-5-pro-251215"] = MODELS["seedance-1-5-pro-251215"]
DEFAULT_MODEL = "dreamina-seedance-2-0-260128"


def nearest_ratio(width: int, height: int) -> str:
    r = width / height
    return min(RATIOS, key=lambda k: abs(math.log(RATIOS[k] / r)))


def dimensions(resolution: str, ratio: str) -> tuple[int, int]:
    """Nominal output size: the short side is the resolution label, the long side follows."""
    short = RESOLUTIONS[resolution]
    r = RATIOS.get(ratio, 16 / 9)
    long = round(short * max(r, 1 / r))
    return (long, short) if r >= 1 else (short, long)


def token_count(width: int, height: int, seconds: int) -> int:
    """Tokens ~ aligned width * aligned height * (24*s + 1) / 1024 (research §4.5; matches the
    doc example 1920x1088 * 121 frames = 246,840)."""

    def align(v: int) -> int:
        return math.ceil(v / TOKEN_ALIGN) * TOKEN_ALIGN

    frames = seconds * FPS + 1
    return align(width) * align(height) * frames // TOKEN_DIVISOR
