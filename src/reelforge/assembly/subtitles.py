"""Subtitles: cues on the cut's timeline, an .srt sidecar, and PNG overlays for burning in.

Burned subtitles are drawn with Pillow's bundled font and overlaid by ffmpeg, so no system
fonts or libass are needed on a fresh machine.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Cue:
    start: float  # seconds on the cut's timeline
    end: float
    text: str


def _srt_time(seconds: float) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def write_srt(cues: list[Cue], path: Path) -> Path:
    blocks = [
        f"{i}\n{_srt_time(c.start)} --> {_srt_time(c.end)}\n{c.text}\n"
        for i, c in enumerate(sorted(cues, key=lambda c: c.start), start=1)
    ]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def render_cue_png(text: str, width: int, height: int, path: Path) -> Path:
    """A transparent strip with the wrapped text, white on a translucent dark box."""
    from PIL import Image, ImageDraw, ImageFont

    size = max(14, height // 24)
    font = ImageFont.load_default(size=size)
    chars = max(20, int(width * 0.8 / (size * 0.55)))
    wrapped = "\n".join(textwrap.wrap(text, chars)) or " "
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    left, top, right, bottom = probe.multiline_textbbox((0, 0), wrapped, font=font, spacing=4)
    pad = size // 2
    w, h = int(right - left) + 2 * pad, int(bottom - top) + 2 * pad
    image = Image.new("RGBA", (w + w % 2, h + h % 2), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=pad // 2, fill=(0, 0, 0, 150))
    draw.multiline_text(
        (pad - left, pad - top),
        wrapped,
        font=font,
        fill=(255, 255, 255, 255),
        spacing=4,
        align="center",
        stroke_width=max(1, size // 16),
        stroke_fill=(0, 0, 0, 255),
    )
    image.save(path)
    return path
