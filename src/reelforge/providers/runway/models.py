"""What each Runway model accepts (research §5.2, checked against runwayml 5.24.0's param types)
and what it costs in credits (§5.4, unverified [?]). Shared by the adapter (validate before
spending) and the sandbox (refuse what the API refuses, charge what it charges)."""

from __future__ import annotations

import math
from dataclasses import dataclass

API_VERSION = "2024-11-06"  # the X-Runway-Version header the SDK sends
IMAGE_LIMIT = 5 * 1024 * 1024  # data-URI images ≤5 MB (§5.1)
# Data-URI videos ≤16 MB: research §5.1 and docs.dev.runwayml.com/assets/inputs (URLs 32 MB).
# runwayml 5.24.0's docstrings say "up to 5MB" for every input, videos included [?].
VIDEO_LIMIT = 16 * 1024 * 1024
# Models whose video the adapter takes from ShotRequest.source_video (as a data URI). The other
# video_to_video models take only options.video_uri: seedance2 makes a new clip guided by the
# video (its own duration), gemini_omni_flash takes no duration on that endpoint.
SOURCE_VIDEO_MODELS = ("aleph2",)
# aleph2 targetAspectRatio (outpaint), as in runwayml 5.24.0's VideoToVideoCreateParams.
TARGET_ASPECTS = ("16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "21:9")

_GEN4_I2V = ("1280:720", "720:1280", "1104:832", "960:960", "832:1104", "1584:672")
_VEO = ("1280:720", "720:1280", "1080:1920", "1920:1080")
_SEEDANCE_720 = ("1280:720", "720:1280", "960:960", "1112:834", "834:1112", "1470:630")
_SEEDANCE_1080 = ("1920:1080", "1080:1920", "1440:1440", "1664:1248", "1248:1664", "2206:946")
_HAPPYHORSE = ("1280:720", "720:1280", "960:960", "1108:832", "832:1108", "1920:1080", "1080:1920")


@dataclass(frozen=True)
class ModelSpec:
    t2v_ratios: tuple[str, ...] = ()  # empty: no text_to_video
    i2v_ratios: tuple[str, ...] = ()  # empty: no image_to_video
    v2v: bool = False  # video_to_video (aleph2)
    video_field: str = "videoUri"  # seedance2 calls the input video "promptVideo"
    durations: tuple[int, ...] = tuple(range(2, 11))  # allowed whole seconds
    duration_sent: bool = True  # False: the model fixes the length (aleph2 follows the input)
    last_frame: bool = False  # promptImage position "last"
    audio: bool = False  # `audio` toggle
    seed: bool = True
    moderation: bool = False  # contentModeration.publicFigureThreshold
    negative_prompt: bool = False
    references: int = 0  # text_to_video `references` (image URIs)
    max_prompt: int = 1000  # UTF-16 code units
    i2v_resolution: bool = False  # image_to_video takes `resolution`, not `ratio`
    credits_per_second: float = 10.0  # [?] unverified; the sandbox charges this
    credits_per_second_audio: float | None = None
    # The input video's length range on video_to_video, when the output follows it (aleph2).
    input_seconds: tuple[float, float] | None = None


MODELS: dict[str, ModelSpec] = {
    "gen4.5": ModelSpec(
        t2v_ratios=("1280:720", "720:1280"),
        i2v_ratios=_GEN4_I2V,
        moderation=True,
        credits_per_second=12,
    ),
    "gen4_turbo": ModelSpec(i2v_ratios=_GEN4_I2V, moderation=True, credits_per_second=5),
    "veo3.1": ModelSpec(
        t2v_ratios=_VEO,
        i2v_ratios=_VEO,
        durations=(4, 6, 8),
        last_frame=True,
        audio=True,
        negative_prompt=True,
        credits_per_second=20,
        credits_per_second_audio=40,
    ),
    "veo3.1_fast": ModelSpec(
        t2v_ratios=_VEO,
        i2v_ratios=_VEO,
        durations=(4, 6, 8),
        last_frame=True,
        audio=True,
        negative_prompt=True,
        credits_per_second=10,
        credits_per_second_audio=15,
    ),
    # Not in runwayml 5.24.0's types any more; research §5.2 says 8 s only [?].
    "veo3": ModelSpec(t2v_ratios=_VEO, i2v_ratios=_VEO, durations=(8,), credits_per_second=40),
    "seedance2": ModelSpec(
        t2v_ratios=_SEEDANCE_720 + _SEEDANCE_1080,
        i2v_ratios=_SEEDANCE_720 + _SEEDANCE_1080,
        v2v=True,
        video_field="promptVideo",
        durations=tuple(range(4, 16)),
        last_frame=True,
        audio=True,
        references=9,
        max_prompt=3500,
    ),
    "gemini_omni_flash": ModelSpec(
        t2v_ratios=("1280:720", "720:1280"),
        i2v_ratios=("1280:720", "720:1280"),
        v2v=True,
        durations=tuple(range(3, 11)),
        seed=False,
    ),
    "happyhorse_1_0": ModelSpec(
        t2v_ratios=_HAPPYHORSE,
        i2v_ratios=("1280:720",),  # unused: i2v takes resolution
        i2v_resolution=True,
        seed=False,
        max_prompt=2500,
    ),
    # 15 credits/s: gen4_aleph's rate, a placeholder [?]. Input 2-30 s: third-party docs [?].
    "aleph2": ModelSpec(
        v2v=True, duration_sent=False, moderation=True, credits_per_second=15, input_seconds=(2, 30)
    ),
}
for _name in ("seedance2_fast", "seedance2_mini"):  # 720p-class ratios only
    MODELS[_name] = ModelSpec(
        t2v_ratios=_SEEDANCE_720,
        i2v_ratios=_SEEDANCE_720,
        v2v=True,
        video_field="promptVideo",
        durations=tuple(range(4, 16)),
        last_frame=True,
        audio=True,
        references=9,
        max_prompt=3500,
    )
REMOVED = {"gen3a_turbo": "2026-06-10", "gen4_aleph": "2026-06-10"}  # §0.3
DEFAULT_MODEL = "gen4.5"


def ratio_pair(ratio: str) -> tuple[int, int]:
    w, h = ratio.split(":")
    return int(w), int(h)


def nearest_ratio(allowed: tuple[str, ...], width: int, height: int) -> str:
    """Closest shape (log aspect); among equal shapes the smallest covering the shot, else the
    largest (1280:720 for a 720p shot, 1920:1080 for a 1080p one)."""
    want = width / height

    def key(ratio: str) -> tuple[float, int, int]:
        w, h = ratio_pair(ratio)
        shape = round(abs(math.log((w / h) / want)), 3)
        covers = w >= width and h >= height
        return (shape, 0 if covers else 1, w * h if covers else -w * h)

    return min(allowed, key=key)


def credits(spec: ModelSpec, seconds: int, audio: bool) -> int:
    rate = spec.credits_per_second_audio if audio and spec.credits_per_second_audio else None
    return math.ceil((rate or spec.credits_per_second) * seconds)
