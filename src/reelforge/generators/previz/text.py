"""Fonts. Pillow ≥ 10.1 bundles a scalable font, so no system fonts are needed."""

from __future__ import annotations

import functools

from PIL import ImageFont

Font = ImageFont.FreeTypeFont


@functools.cache
def font(size: int) -> Font:
    """The bundled font at ``size`` pixels (cached: loading it costs more than drawing with it)."""
    loaded = ImageFont.load_default(size=size)
    if not isinstance(loaded, ImageFont.FreeTypeFont):  # Pillow built without FreeType
        raise RuntimeError("previz needs Pillow with FreeType support for its scalable font")
    return loaded


def fit_words(text: str, f: Font, max_width: float) -> str:
    """As many leading words of ``text`` as fit in ``max_width``, with an ellipsis if cut."""
    words = text.split()
    if f.getlength(" ".join(words)) <= max_width:
        return " ".join(words)
    out = ""
    for word in words:
        trial = f"{out} {word}".strip()
        if f.getlength(trial + "...") > max_width:
            break
        out = trial
    return out + "..."


def wrap(text: str, f: Font, max_width: float, max_lines: int = 3) -> list[str]:
    """Greedy word wrap to ``max_width``; the last allowed line ends with an ellipsis if cut."""
    lines: list[str] = []
    current = ""
    words = text.split()
    for i, word in enumerate(words):
        trial = f"{current} {word}".strip()
        if current and f.getlength(trial) > max_width:
            lines.append(current)
            current = word
            if len(lines) == max_lines - 1:
                rest = " ".join(words[i:])
                lines.append(fit_words(rest, f, max_width))
                return lines
        else:
            current = trial
    if current:
        lines.append(current)
    return lines
