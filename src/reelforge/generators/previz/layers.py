"""Pre-rendered layers and the one cheap operation that moves them: crop-and-resize.

A layer is painted once per shot, at a pixel density high enough for the largest scale the camera
will show it at. Each frame then needs a single ``Image.resize(..., box=...)`` of just the visible
part, which is several times cheaper than an affine transform of the whole frame and still
sub-pixel accurate (the box takes floats), so slow moves glide instead of stepping. On top of that
a layer's last resample is reused while the layer has drifted less than a sixth of a pixel from it
(a far background in a slow push), and axes that move by whole pixels are cropped, not filtered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PIL import Image, ImageFilter

from .camera import LayerTransform

Box = tuple[float, float, float, float]


BLUR_STEPS = 32  # crossfade steps between neighbouring blur levels


@dataclass
class Layer:
    """A card at a depth. ``levels[0]`` is sharp; later levels are progressively blurred."""

    name: str
    depth: float
    levels: list[Image.Image]  # RGB (the background) or premultiplied RGBa (cards)
    density: float  # source pixels per base-framing pixel
    origin: tuple[float, float]  # base-framing position (from frame centre) of the source's corner
    _blend_cache: dict[int, Image.Image] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> tuple[int, int]:
        return self.levels[0].size

    def blur_step(self, blur: float) -> int:
        """A blur amount 0..1 quantised to the crossfades this layer can show."""
        return round(min(1.0, max(0.0, blur)) * (len(self.levels) - 1) * BLUR_STEPS)

    def image_at(self, blur: float) -> Image.Image:
        """The layer at a blur amount 0..1, crossfading the two nearest pre-blurred levels."""
        step = self.blur_step(blur)
        low, frac = divmod(step, BLUR_STEPS)
        if frac == 0:
            return self.levels[low]
        cached = self._blend_cache.get(step)
        if cached is None:  # a focus pull moves on steadily: only recent blends are worth keeping
            if len(self._blend_cache) > 8:
                self._blend_cache.clear()
            cached = Image.blend(self.levels[low], self.levels[low + 1], frac / BLUR_STEPS)
            self._blend_cache[step] = cached
        return cached


def blur_levels(image: Image.Image, max_radius: float, count: int) -> list[Image.Image]:
    """``count`` versions of ``image`` from sharp to ``max_radius`` Gaussian blur.

    Cards come back premultiplied (RGBa): blurring premultiplied colour softens edges into
    transparency rather than into a dark fringe, and resizing RGBa needs no conversion per frame.
    """
    work = image.convert("RGBa") if image.mode == "RGBA" else image
    levels = [work]
    for i in range(1, count if max_radius > 0 else 1):
        levels.append(work.filter(ImageFilter.GaussianBlur(max_radius * i / (count - 1))))
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


def _whole(value: float) -> bool:
    return abs(value - round(value)) < 1e-4


def resample(src: Image.Image, size: tuple[int, int], box: Box) -> Image.Image:
    """``src.resize(size, BILINEAR, box=box)``, skipping the work along axes that need none.

    PIL filters both axes whenever the source is bigger than the output. Along an axis where the
    box is whole pixels at 1:1 scale (pans, trucks, cranes move one axis only) resampling is a
    plain copy, so crop that axis away first: the resize then runs one pass, or none.
    """
    x0, y0, x1, y1 = box
    w, h = size
    keep_x = _whole(x0) and _whole(x1 - x0 - w) and round(x1 - x0) == w
    keep_y = _whole(y0) and _whole(y1 - y0 - h) and round(y1 - y0) == h
    if not (keep_x or keep_y):
        return src.resize(size, Image.Resampling.BILINEAR, box=box)
    # Along a resampled axis keep the filter's support beyond the box, so edges match an
    # uncropped resize.
    mx = 2 + math.ceil((x1 - x0) / w)
    my = 2 + math.ceil((y1 - y0) / h)
    cx0 = round(x0) if keep_x else max(0, math.floor(x0) - mx)
    cx1 = cx0 + w if keep_x else min(src.width, math.ceil(x1) + mx)
    cy0 = round(y0) if keep_y else max(0, math.floor(y0) - my)
    cy1 = cy0 + h if keep_y else min(src.height, math.ceil(y1) + my)
    piece = src.crop((cx0, cy0, cx1, cy1))
    if keep_x and keep_y:
        return piece
    return piece.resize(
        size, Image.Resampling.BILINEAR, box=(x0 - cx0, y0 - cy0, x1 - cx0, y1 - cy0)
    )


def _drift(old: LayerTransform, new: LayerTransform, rect: Box, frame: tuple[int, int]) -> float:
    """How far (in frame pixels) any point of ``rect`` moves going from ``old`` to ``new``."""
    w, h = frame
    ratio = new.scale / old.scale
    dx = max(
        abs((ratio - 1.0) * (x - w / 2 - old.dx) + new.dx - old.dx) for x in (rect[0], rect[2])
    )
    dy = max(
        abs((ratio - 1.0) * (y - h / 2 - old.dy) + new.dy - old.dy) for y in (rect[1], rect[3])
    )
    return max(dx, dy)


@dataclass(frozen=True)
class _Rendered:
    tr: LayerTransform
    blur_step: int
    rect: tuple[int, int, int, int]  # where ``image`` goes in the frame
    image: Image.Image


class LayerRenderer:
    """Resamples one layer per frame, reusing its last result while that is still accurate.

    A far background in a slow push moves a few hundredths of a pixel per frame; re-resampling it
    every frame buys nothing visible. The last result is kept until the layer would have drifted
    more than ``tolerance`` working pixels (0.3 delivery pixels at half size) from it.
    """

    def __init__(self, layer: Layer, frame: tuple[int, int], tolerance: float = 0.15) -> None:
        self.layer = layer
        self.frame = frame
        self.tolerance = tolerance
        self._last: _Rendered | None = None

    def _reusable(self, tr: LayerTransform, blur: float) -> _Rendered | None:
        last = self._last
        if last is None or last.blur_step != self.layer.blur_step(blur):
            return None
        if _drift(last.tr, tr, last.rect, self.frame) > self.tolerance:
            return None
        return last

    def _render(
        self, tr: LayerTransform, blur: float, rect: tuple[int, int, int, int]
    ) -> _Rendered:
        box = _clamp_box(source_box(self.layer, tr, rect, self.frame), self.layer.size)
        size = (rect[2] - rect[0], rect[3] - rect[1])
        image = resample(self.layer.image_at(blur), size, box)
        if image.mode == "RGBa":  # paste wants straight alpha
            image = image.convert("RGBA")
        self._last = _Rendered(tr, self.layer.blur_step(blur), rect, image)
        return self._last

    def background(self, tr: LayerTransform, blur: float = 0.0) -> Image.Image:
        """The (opaque) layer resampled to fill the frame: a new image the caller may modify."""
        done = self._reusable(tr, blur) or self._render(tr, blur, (0, 0, *self.frame))
        return done.image.copy()

    def paste(self, canvas: Image.Image, tr: LayerTransform, blur: float = 0.0) -> None:
        """Composite the (transparent) card layer onto ``canvas`` in place."""
        done = self._reusable(tr, blur)
        if done is None:
            rect = screen_rect(self.layer, tr, self.frame)
            if rect is None:  # off screen
                self._last = None
                return
            done = self._render(tr, blur, rect)
        canvas.paste(done.image, done.rect[:2], done.image)
