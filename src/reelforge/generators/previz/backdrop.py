"""The background layer: sky and ground gradients, sun or moon, stars, scenery, texture, haze.

Painted once per shot over exactly the region the camera will see. The seed moves the horizon,
the sun and every shape and varies the noise texture, so seeds give visibly different frames; the
texture also gives phase correlation (and the viewer's eye) something to follow in camera moves.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from .palette import RGB, Look
from .scenery import Plate, draw_scenery

Region = tuple[float, float, float, float]  # x0, y0, x1, y1 in base-framing coordinates


def _rgb(c: RGB) -> np.ndarray:
    return np.array(c, dtype=np.float32)


def value_noise(
    rng: np.random.Generator, size: tuple[int, int], cell: tuple[float, float]
) -> np.ndarray:
    """Smooth noise in [-1, 1] of ``size`` (w, h): random knots ``cell`` pixels apart, bicubic."""
    w, h = size
    cw, ch = max(1.0, cell[0]), max(1.0, cell[1])
    gw, gh = math.ceil(w / cw) + 3, math.ceil(h / ch) + 3
    knots = rng.uniform(-1.0, 1.0, size=(gh, gw)).astype(np.float32)
    big = Image.fromarray(knots, "F").resize(
        (round(gw * cw), round(gh * ch)), Image.Resampling.BICUBIC
    )
    return np.asarray(big, dtype=np.float32)[:h, :w]


def _jitter(c: RGB, rng: np.random.Generator, amount: int = 6) -> RGB:
    r, g, b = (int(np.clip(v + rng.integers(-amount, amount + 1), 0, 255)) for v in c)
    return r, g, b


def paint_background(
    look: Look, region: Region, density: float, frame: tuple[int, int], seed: int
) -> Image.Image:
    """Paint the RGB background covering ``region`` (base coordinates) at ``density``."""
    rng = np.random.default_rng([seed, 0xB6])
    w, h = frame
    x0, y0, x1, y1 = region
    pw = max(2, math.ceil((x1 - x0) * density))
    ph = max(2, math.ceil((y1 - y0) * density))
    spread = 0.02 if look.enclosed else 0.05
    horizon = (look.horizon - 0.5 + rng.uniform(-spread, spread)) * h
    plate = Plate(x0, y0, x1, y1, density, w, h, horizon)

    ys = y0 + (np.arange(ph, dtype=np.float32) + 0.5) / density
    xs = x0 + (np.arange(pw, dtype=np.float32) + 0.5) / density
    sky_gain = np.array(look.shade if look.enclosed else (1.0, 1.0, 1.0), dtype=np.float32)
    ground_gain = np.array(look.shade, dtype=np.float32)

    # Vertical gradients: one colour per row, broadcast across the width.
    a = np.clip((ys - (horizon - 0.7 * h)) / (0.7 * h), 0.0, 1.0)[:, None]
    top, bottom = _rgb(_jitter(look.sky_top, rng)), _rgb(_jitter(look.sky_bottom, rng))
    sky = (top + (bottom - top) * a) * sky_gain
    b = np.clip((ys - horizon) / (0.55 * h), 0.0, 1.0)[:, None]
    g_top, g_bottom = _rgb(look.ground_top), _rgb(look.ground_bottom)
    ground = (g_top + (g_bottom - g_top) * b) * ground_gain
    is_sky = (ys < horizon)[:, None]
    rows = np.where(is_sky, sky, ground)
    img = np.repeat(rows[:, None, :], pw, axis=1)

    if look.stars:
        n = int(pw * ph / (700 * density * density))
        sx = rng.integers(0, pw, n)
        sy = rng.integers(0, ph, n)
        keep = ys[sy] < horizon
        img[sy[keep], sx[keep]] = rng.uniform(110, 255, size=(int(keep.sum()), 1))

    sun_at: tuple[float, float] | None = None
    if look.sun:
        low = look.sky_bottom[0] > look.sky_bottom[2] + 40  # warm horizon: the sun sits low
        lift = rng.uniform(0.05, 0.12) if low else rng.uniform(0.15, 0.3)
        sun_at = (rng.uniform(-0.3, 0.3) * w, horizon - lift * h)
        d2 = (xs[None, :] - sun_at[0]) ** 2 + (ys[:, None] - sun_at[1]) ** 2
        strength = 0.5 if look.sun == "sun" else 0.18
        glow = strength * np.exp(-d2 / (0.3 * h) ** 2)
        img += glow[:, :, None] * (_rgb(look.sun_color) - img) * is_sky[:, :, None]

    # Texture: a coarse and a fine octave; the ground's is stretched sideways like terrain.
    fine = value_noise(rng, (pw, ph), (0.025 * h * density, 0.025 * h * density))
    coarse = value_noise(rng, (pw, ph), (0.1 * h * density, 0.1 * h * density))
    strata = value_noise(rng, (pw, ph), (0.09 * h * density, 0.018 * h * density))
    amp = look.texture * np.where(is_sky, 0.6, 1.3)
    img += ((0.55 * fine + 0.45 * coarse) * amp + strata * np.where(is_sky, 0.0, amp))[:, :, None]

    canvas = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(canvas)
    if sun_at is not None:
        r = (0.05 if look.sun == "sun" else 0.04) * h
        sx0, sy0 = plate.px(sun_at[0] - r, sun_at[1] - r)
        sx1, sy1 = plate.px(sun_at[0] + r, sun_at[1] + r)
        draw.ellipse((sx0, sy0, sx1, sy1), fill=look.sun_color)
    draw_scenery(draw, plate, look, rng)

    out = np.asarray(canvas, dtype=np.float32)
    if look.haze > 0:  # aerial perspective: thickest at the horizon
        weight = look.haze * (0.3 + 0.7 * np.exp(-np.abs(ys - horizon) / (0.2 * h)))
        haze = _rgb(look.haze_color) * (sky_gain if look.enclosed else 1.0)
        out = out + (haze - out) * weight[:, None, None]
    if look.glow is not None:  # firelight from below the frame
        weight = 0.5 * np.exp(-np.clip(0.5 * h - ys, 0.0, None) / (0.25 * h))
        out = out + (_rgb(look.glow) - out) * weight[:, None, None]
    if look.scenery == "reef":  # light shafts from the surface
        diag = xs[None, :] + 0.45 * ys[:, None]
        rays = np.zeros_like(diag)
        for _ in range(4):
            centre = rng.uniform(x0, x1)
            rays += np.exp(-(((diag - centre) / (0.04 * w)) ** 2))
        fade = np.clip((horizon - ys) / h + 0.3, 0.0, 1.0)[:, None]
        out += (rays * fade * 40.0)[:, :, None]
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8), "RGB")
