"""The burned-in slate (PREVIZ, shot id, prompt, running timecode) and dialogue subtitles.

Everything that does not change per frame is rendered once into small RGBA patches; a frame then
costs a few small alpha pastes plus drawing eleven timecode characters.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw

from ..base import ShotRequest, TimedLine
from .text import fit_words, font, wrap

_PANEL = (12, 12, 16, 150)
_RED = (214, 40, 40, 255)
_WHITE = (255, 255, 255, 255)
_GREY = (200, 200, 206, 255)
_SPEAKER = (255, 214, 90, 255)


def timecode(index: int, fps: int) -> str:
    """``HH:MM:SS:FF`` of frame ``index`` counted from the start of the shot."""
    seconds, ff = divmod(index, fps)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}:{ff:02d}"


def line_visible(line: TimedLine, index: int, fps: int) -> bool:
    """Whether a dialogue line is on screen in frame ``index``: start ≤ t < end."""
    t = index / fps
    return line.start <= t < line.end


@dataclass
class _Subtitle:
    line: TimedLine
    image: Image.Image


class Slate:
    """Pre-rendered overlay for one shot at the working resolution."""

    def __init__(self, request: ShotRequest, size: tuple[int, int]) -> None:
        w, h = size
        self.size = size
        self.fps = request.fps
        self.margin = max(3, round(h * 0.03))
        self.font = font(max(10, round(h * 0.036)))
        self.font_px = round(self.font.size)
        self.pad = max(2, round(self.font_px * 0.3))
        self.header = self._header(request, w)
        self._tc_origin, self.tc_box = self._timecode_box(request, w)
        self.subtitles = [
            _Subtitle(line, self._subtitle(line, w, h)) for line in request.dialogue if line.text
        ]

    def _header(self, request: ShotRequest, w: int) -> Image.Image:
        f, pad = self.font, self.pad
        badge = "PREVIZ EDIT" if request.source_video is not None else "PREVIZ"
        badge_w = f.getlength(badge) + 2 * pad
        shot = fit_words(request.shot_id, f, w * 0.3)
        prompt = fit_words(request.prompt, f, w * 0.5)
        line_h = self.font_px + 2 * pad
        width = round(max(badge_w + pad + f.getlength(shot), f.getlength(prompt)) + 3 * pad)
        img = Image.new("RGBA", (width, 2 * line_h + pad), (0, 0, 0, 0))
        d = ImageDraw.Draw(img)
        d.rounded_rectangle((0, 0, width - 1, img.height - 1), pad, fill=_PANEL)
        d.rectangle((pad, pad, pad + badge_w, line_h), fill=_RED)
        d.text((2 * pad, pad + line_h / 2 - pad / 2), badge, font=f, fill=_WHITE, anchor="lm")
        d.text(
            (2 * pad + badge_w, pad + line_h / 2 - pad / 2), shot, font=f, fill=_WHITE, anchor="lm"
        )
        d.text(
            (pad * 1.5, line_h + pad + line_h / 2 - pad / 2),
            prompt,
            font=f,
            fill=_GREY,
            anchor="lm",
        )
        return img

    def _timecode_box(
        self, request: ShotRequest, w: int
    ) -> tuple[tuple[float, float], Image.Image]:
        f, pad = self.font, self.pad
        line_h = self.font_px + 2 * pad
        info = f"{request.camera} | {request.size}"
        tc_w = f.getlength("88:88:88:88")
        width = round(max(tc_w, f.getlength(info)) + 3 * pad)
        img = Image.new("RGBA", (width, 2 * line_h + pad), (0, 0, 0, 0))
        d = ImageDraw.Draw(img)
        d.rounded_rectangle((0, 0, width - 1, img.height - 1), pad, fill=_PANEL)
        d.text(
            (width - 1.5 * pad, line_h + pad + line_h / 2 - pad / 2),
            info,
            font=f,
            fill=_GREY,
            anchor="rm",
        )
        x = w - self.margin - width
        # The running timecode is drawn per frame, left-aligned at a fixed spot so it does not
        # wobble as proportional digits change.
        origin = (x + width - 1.5 * pad - tc_w, self.margin + pad + line_h / 2 - pad / 2)
        return origin, img

    def _subtitle(self, line: TimedLine, w: int, h: int) -> Image.Image:
        f = font(max(11, round(h * 0.05)))
        pad = max(3, round(f.size * 0.35))
        speaker = f"{line.speaker}: " if line.speaker else ""
        lines = wrap(speaker + line.text, f, w * 0.8 - 2 * pad)
        line_h = round(f.size * 1.25)
        width = round(max(f.getlength(t) for t in lines) + 2 * pad)
        img = Image.new("RGBA", (width, line_h * len(lines) + 2 * pad), (0, 0, 0, 0))
        d = ImageDraw.Draw(img)
        d.rounded_rectangle((0, 0, width - 1, img.height - 1), pad, fill=(0, 0, 0, 160))
        for i, text in enumerate(lines):
            y = pad + i * line_h + line_h / 2
            d.text((pad, y), text, font=f, fill=_WHITE, anchor="lm")
            if i == 0 and speaker:  # the speaker's name in colour over the white
                d.text((pad, y), speaker.rstrip(), font=f, fill=_SPEAKER, anchor="lm")
        return img

    def draw(self, frame: Image.Image, index: int) -> None:
        """Burn the slate and any active subtitles into ``frame`` (RGB, working size) in place."""
        w, h = self.size
        m = self.margin
        frame.paste(self.header, (m, m), self.header)
        frame.paste(self.tc_box, (w - m - self.tc_box.width, m), self.tc_box)
        ImageDraw.Draw(frame).text(
            self._tc_origin, timecode(index, self.fps), font=self.font, fill=_WHITE, anchor="lm"
        )
        y = h - m
        for sub in reversed(self.subtitles):  # later lines stack above earlier ones
            if line_visible(sub.line, index, self.fps):
                y -= sub.image.height
                frame.paste(sub.image, ((w - sub.image.width) // 2, y), sub.image)
                y -= m // 2
