"""Pre-rendered layers and the one cheap operation that moves them: crop-and-resize.

A layer is painted once per shot, at a pixel density high enough for the largest scale the camera
will show it at. Each frame then needs a single ``Image.resize(..., box=...)`` of just the visible
part, which is several times cheaper than an affine transform of the whole frame and still
sub-pixel accurate (the box takes floats), so slow moves glide instead of stepping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PIL import Image, ImageFilter

from .camera import LayerTransform

Box = tuple[float, float, float, float]


@dataclass
class Layer:
    """A card at a depth. ``levels[0]`` is sharp; later levels are progressively blurred."""

    name: str
    depth: float
    levels: list[Image.Image]
    density: float  # source pixels per base-framing pixel
    origin: tuple[float, float]  # base-framing position (from frame centre) of the source's corner
    opaque: bool = False  # covers the whole frame (the background): no mask, no paste
    _blend_cache: dict[int, Image.Image] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> tuple[int, int]:
        return self.levels[0].size

    def image_at(self, blur: float) -> Image.Image:
        """The layer at a blur amount 0..1, crossfading the two nearest pre-blurred levels."""
        if len(self.levels) == 1 or blur <= 0.0:
            return self.levels[0]
        pos = min(1.0, blur) * (len(self.levels) - 1)
        low = int(pos)
        frac = pos - low
        if frac < 1e-3 or low + 1 >= len(self.levels):
            return self.levels[low]
        # Quantise the mix so a slow pull reuses blends across neighbouring frames.
        key = low * 64 + round(frac * 32)
        cached = self._blend_cache.get(key)
        if cached is None:
            if len(self._blend_cache) > 8:
                self._blend_cache.clear()
            cached = Image.blend(self.levels[low], self.levels[low + 1], round(frac * 32) / 32)
            self._blend_cache[key] = cached
        return cached


def blur_levels(image: Image.Image, max_radius: float, count: int) -> list[Image.Image]:
    """``count`` versions of ``image`` from sharp to ``max_radius`` Gaussian blur.

    RGBA cards are blurred premultiplied so their edges soften into transparency, not into a dark
    fringe.
    """
    if count <= 1 or max_radius <= 0:
        return [image]
    levels = [image]
    has_alpha = image.mode == "RGBA"
    work = image.convert("RGBa") if has_alpha else image
    for i in range(1, count):
        radius = max_radius * i / (count - 1)
        blurred = work.filter(ImageFilter.GaussianBlur(radius))
        levels.append(blurred.convert("RGBA") if has_alpha else blurred)
    return levels


def pad(image: Image.Image, margin: int) -> Image.Image:
    """Surround an RGBA card with transparent pixels so resize boxes never leave the source."""
    if margin <= 0:
        return image
    out = Image.new("RGBA", (image.width + 2 * margin, image.height + 2 * margin), (0, 0, 0, 0))
    out.paste(image, (margin, margin))
    return out


def source_box(
    layer: Layer, tr: LayerTransform, rect: tuple[int, int, int, int], frame: tuple[int, int]
) -> Box:
    """The region of the layer's source that lands on frame pixel rectangle ``rect``."""
    w, h = frame
    ox, oy = layer.origin
    k = tr.scale / layer.density  # frame pixels per source pixel
    x0, y0, x1, y1 = rect
    return (
        (x0 - w / 2 - tr.dx) / k - ox * layer.density,
        (y0 - h / 2 - tr.dy) / k - oy * layer.density,
        (x1 - w / 2 - tr.dx) / k - ox * layer.density,
        (y1 - h / 2 - tr.dy) / k - oy * layer.density,
    )


def screen_rect(
    layer: Layer, tr: LayerTransform, frame: tuple[int, int]
) -> tuple[int, int, int, int] | None:
    """The whole-pixel frame rectangle the layer covers, clipped to the frame (None if off it)."""
    w, h = frame
    sw, sh = layer.size
    k = tr.scale / layer.density
    left = tr.scale * layer.origin[0] + tr.dx + w / 2
    top = tr.scale * layer.origin[1] + tr.dy + h / 2
    x0 = max(0, math.floor(left))
    y0 = max(0, math.floor(top))
    x1 = min(w, math.ceil(left + sw * k))
    y1 = min(h, math.ceil(top + sh * k))
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    return x0, y0, x1, y1


def _clamp_box(box: Box, size: tuple[int, int]) -> Box:
    sw, sh = size
    x0, y0, x1, y1 = box
    return (
        min(max(0.0, x0), sw - 1e-3),
        min(max(0.0, y0), sh - 1e-3),
        max(min(float(sw), x1), 1e-3),
        max(min(float(sh), y1), 1e-3),
    )


def render_background(
    layer: Layer, tr: LayerTransform, frame: tuple[int, int], blur: float = 0.0
) -> Image.Image:
    """The opaque layer resampled to fill the frame: the start of every composite."""
    box = _clamp_box(source_box(layer, tr, (0, 0, *frame), frame), layer.size)
    return layer.image_at(blur).resize(frame, Image.Resampling.BILINEAR, box=box)


def paste_layer(canvas: Image.Image, layer: Layer, tr: LayerTransform, blur: float = 0.0) -> None:
    """Composite a (transparent) card layer onto ``canvas`` in place."""
    frame = canvas.size
    rect = screen_rect(layer, tr, frame)
    if rect is None:
        return
    box = _clamp_box(source_box(layer, tr, rect, frame), layer.size)
    size = (rect[2] - rect[0], rect[3] - rect[1])
    piece = layer.image_at(blur).resize(size, Image.Resampling.BILINEAR, box=box)
    canvas.paste(piece, rect[:2], piece)
