"""Element layers: a reference image as a cut-out card, or a labelled stand-in silhouette.

An image with real transparency is used as its own cut-out; an opaque one becomes a photo card
with a white border and rounded corners, so it reads as "this character goes here" rather than as
part of the set. Elements without references get a figure (or, for vehicles, animals and
furniture, a capsule) in a colour derived from their name, with the name written on it.
"""

from __future__ import annotations

import zlib
from colorsys import hsv_to_rgb
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps, UnidentifiedImageError

from .palette import Gain
from .text import font

# Stand-ins for these get a wide capsule instead of a standing figure.
_WIDE_WORDS = frozenset(
    {"car", "truck", "bus", "van", "boat", "ship", "train", "tank", "vehicle", "motorcycle"}
    | {"bike", "dog", "cat", "horse", "cow", "wolf", "fox", "animal", "sofa", "couch", "bed"}
    | {"table", "desk"}
)


def load_image(path: Path, max_side: int) -> Image.Image:
    """Open a reference image, reduced early (JPEG draft) to about ``max_side`` pixels.

    Raises OSError or ValueError for unreadable files; the caller turns those into a
    GeneratorError naming the element.
    """
    try:
        with Image.open(path) as src:
            src.draft("RGB", (max_side, max_side))
            image = ImageOps.exif_transpose(src)
            image.load()
    except UnidentifiedImageError as exc:
        raise ValueError(f"not an image: {path}") from exc
    if image.width > max_side or image.height > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        alpha = np.asarray(image.convert("RGBA").getchannel("A"))
        return bool(alpha.min() < 250)
    return False


def _lit(image: Image.Image, light: Gain) -> Image.Image:
    """Multiply RGB by the scene's key light, keeping alpha."""
    if all(abs(g - 1.0) < 1e-3 for g in light):
        return image
    arr = np.asarray(image, dtype=np.float32).copy()
    arr[:, :, :3] *= np.array(light, dtype=np.float32)
    return Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "RGBA")


def make_card(image: Image.Image, height: int, max_width: int, light: Gain) -> Image.Image:
    """An RGBA card ``height`` pixels tall (narrower than ``max_width``) from a reference."""
    height = max(8, height)
    if _has_transparency(image):
        rgba = image.convert("RGBA")
        bbox = rgba.getchannel("A").getbbox()
        if bbox:
            rgba = rgba.crop(bbox)
        scale = min(height / rgba.height, max_width / rgba.width)
        size = (max(2, round(rgba.width * scale)), max(2, round(rgba.height * scale)))
        return _lit(rgba.resize(size, Image.Resampling.LANCZOS), light)

    rgb = image.convert("RGB")
    border = max(2, round(height * 0.025))
    scale = min((height - 2 * border) / rgb.height, (max_width - 2 * border) / rgb.width)
    inner = rgb.resize(
        (max(2, round(rgb.width * scale)), max(2, round(rgb.height * scale))),
        Image.Resampling.LANCZOS,
    )
    cw, ch = inner.width + 2 * border, inner.height + 2 * border
    radius = max(2, round(min(cw, ch) * 0.06))
    shadow = max(2, round(height * 0.02))
    card = Image.new("RGBA", (cw + shadow, ch + shadow), (0, 0, 0, 0))
    # A soft drop shadow lifts the card off the set.
    shade = Image.new("L", card.size, 0)
    ImageDraw.Draw(shade).rounded_rectangle(
        (shadow, shadow, cw + shadow - 1, ch + shadow - 1), radius, fill=110
    )
    card.putalpha(shade.filter(ImageFilter.BoxBlur(shadow / 2)))
    face = Image.new("RGBA", (cw, ch), (246, 246, 242, 255))
    face.paste(inner, (border, border))
    mask = Image.new("L", (cw, ch), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, cw - 1, ch - 1), radius, fill=255)
    card.paste(face, (0, 0), mask)
    return _lit(card, light)


def name_color(name: str) -> tuple[int, int, int]:
    """A stable, fairly saturated colour for an element name."""
    hue = (zlib.crc32(name.encode()) % 360) / 360.0
    r, g, b = hsv_to_rgb(hue, 0.5, 0.78)
    return round(r * 255), round(g * 255), round(b * 255)


def is_wide(name: str, description: str) -> bool:
    words = set((name + " " + description).lower().replace("_", " ").replace("-", " ").split())
    return bool(words & _WIDE_WORDS)


def make_silhouette(
    name: str, height: int, light: Gain, *, wide: bool = False, label: bool = True
) -> Image.Image:
    """A stand-in figure (or wide capsule) in the name's colour, labelled with the name."""
    height = max(16, height)
    color = name_color(name)
    outline = tuple(min(255, round(c * 1.35)) for c in color)
    fill = (*color, 255)
    edge = (*outline, 255)
    line = max(1, round(height * 0.012))
    if wide:
        w = round(height * 1.7)
        body_h = round(height * 0.55)
        img = Image.new("RGBA", (w, height), (0, 0, 0, 0))
        d = ImageDraw.Draw(img)
        d.rounded_rectangle(
            (0, height - body_h, w - 1, height - 1),
            body_h // 2,
            fill=fill,
            outline=edge,
            width=line,
        )
        label_y = height - body_h / 2
        label_size = body_h * 0.2
    else:
        w = round(height * 0.46)
        img = Image.new("RGBA", (w, height), (0, 0, 0, 0))
        d = ImageDraw.Draw(img)
        head = height * 0.12
        cx = w / 2
        d.ellipse((cx - head, 0, cx + head, 2 * head), fill=fill, outline=edge, width=line)
        top = 2 * head + height * 0.03
        d.rounded_rectangle(
            (0, top, w - 1, height - 1), round(w * 0.45), fill=fill, outline=edge, width=line
        )
        label_y = top + (height - top) * 0.3
        label_size = height * 0.07
    img = _lit(img, light)
    if label:  # after the lighting, so names stay readable at night
        _label(img, name, label_y, label_size)
    return img


def _label(img: Image.Image, text: str, centre_y: float, size_px: float) -> None:
    """Write ``text`` across ``img`` centred at ``centre_y``, shrinking it to fit the width."""
    size = max(9, round(size_px))
    f = font(size)
    while size > 9 and f.getlength(text) > img.width * 0.92:
        size -= 1
        f = font(size)
    d = ImageDraw.Draw(img)
    d.text(
        (img.width / 2, centre_y),
        text,
        font=f,
        fill=(255, 255, 255, 255),
        anchor="mm",
        stroke_width=max(1, size // 10),
        stroke_fill=(20, 20, 24, 255),
    )
