"""The house H.264 configuration, shared by previz and the smart join.

Clips encoded with it can be stitched with newly encoded transition frames without re-encoding
the rest, because an encoder configured the same way emits the very same stream headers (the
smart join checks that before relying on it).
"""

from __future__ import annotations

from typing import Any

DRAFT_PRESET = "ultrafast"
DRAFT_CRF = 23
KEYFRAME_SECONDS = 1  # short GOPs let the assembly copy all but ~1 s around each transition


def house_settings(fps: int, *, preset: str = DRAFT_PRESET, crf: int = DRAFT_CRF) -> dict[str, Any]:
    """Attributes to set on a PyAV libx264 codec context before it opens."""
    return {
        "gop_size": max(1, KEYFRAME_SECONDS * fps),
        "colorspace": 1,  # BT.709
        "color_primaries": 1,
        "color_trc": 1,
        "color_range": 1,  # limited ("MPEG") range
        # One encoder thread: shots are already encoded in parallel, one process per core, and
        # x264's own threads on top only add contention (measured: ~4% less CPU, faster overall).
        "options": {"preset": preset, "crf": str(crf), "threads": "1"},
    }


def apply_settings(ctx: Any, settings: dict[str, Any]) -> None:
    for name, value in settings.items():
        if name == "options":
            ctx.options = dict(value)
        else:
            setattr(ctx, name, value)
