"""Simple shapes that say "where": ridges, trees, buildings, dunes, waves, a room, a reef.

Shapes are drawn with ``ImageDraw`` into the background layer, once per shot, at seeded positions
so every seed gets its own skyline. Sizes are proportions of the working frame so a scene reads
the same at any resolution.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import ImageDraw

from .palette import RGB, Look


@dataclass(frozen=True)
class Plate:
    """Maps base-framing coordinates (from the frame centre) to the layer's source pixels."""

    x0: float  # base coordinates of the source's top-left corner
    y0: float
    x1: float
    y1: float
    density: float
    w: int  # working frame size: the unit for proportions
    h: int
    horizon: float  # base y of the horizon

    def px(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.x0) * self.density, (y - self.y0) * self.density

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        a = self.px(x0, y0)
        b = self.px(x1, y1)
        return a[0], a[1], max(a[0], b[0]), max(a[1], b[1])


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def shaded(c: RGB, gain: tuple[float, float, float], extra: float = 1.0) -> RGB:
    return (
        min(255, round(c[0] * gain[0] * extra)),
        min(255, round(c[1] * gain[1] * extra)),
        min(255, round(c[2] * gain[2] * extra)),
    )


def _ridge(
    draw: ImageDraw.ImageDraw,
    p: Plate,
    rng: np.random.Generator,
    *,
    base: float,
    amplitude: float,
    spacing: float,
    color: RGB,
    jagged: bool = False,
) -> None:
    """A filled skyline from knots ``spacing`` apart, rising up to ``amplitude`` above ``base``."""
    knots_x = np.arange(p.x0 - spacing, p.x1 + 2 * spacing, spacing)
    knots_y = base - amplitude * rng.uniform(0.15, 1.0, size=knots_x.size)
    xs = np.linspace(p.x0 - 2, p.x1 + 2, max(8, int((p.x1 - p.x0) / 3)))
    ys = np.interp(xs, knots_x, knots_y)
    if not jagged:  # round off the linear knots into rolling hills
        k = max(1, int(spacing / 3 / 2))
        kernel = np.ones(2 * k + 1) / (2 * k + 1)
        ys = np.convolve(np.pad(ys, k, mode="edge"), kernel, mode="valid")
    bottom = p.y1 + 2
    points = [p.px(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
    points += [p.px(float(xs[-1]), bottom), p.px(float(xs[0]), bottom)]
    draw.polygon(points, fill=color)


def _hills(draw: ImageDraw.ImageDraw, p: Plate, look: Look, rng: np.random.Generator) -> None:
    ground = shaded(look.ground_top, look.shade)
    far = mix(ground, shaded(look.haze_color, look.shade), 0.5)
    _ridge(draw, p, rng, base=p.horizon, amplitude=0.1 * p.h, spacing=0.12 * p.w, color=far)
    near = mix(ground, (0, 0, 0), 0.12)
    _ridge(
        draw,
        p,
        rng,
        base=p.horizon + 0.03 * p.h,
        amplitude=0.06 * p.h,
        spacing=0.1 * p.w,
        color=near,
    )


def _mountains(draw: ImageDraw.ImageDraw, p: Plate, look: Look, rng: np.random.Generator) -> None:
    ground = shaded(look.ground_top, look.shade)
    far = mix(shaded((120, 130, 150), look.shade), shaded(look.haze_color, look.shade), 0.45)
    _ridge(
        draw,
        p,
        rng,
        base=p.horizon,
        amplitude=0.32 * p.h,
        spacing=0.09 * p.w,
        color=far,
        jagged=True,
    )
    mid = mix(mix(ground, (40, 44, 52), 0.5), shaded(look.haze_color, look.shade), 0.25)
    _ridge(
        draw,
        p,
        rng,
        base=p.horizon,
        amplitude=0.16 * p.h,
        spacing=0.06 * p.w,
        color=mid,
        jagged=True,
    )
    _ridge(
        draw,
        p,
        rng,
        base=p.horizon + 0.03 * p.h,
        amplitude=0.04 * p.h,
        spacing=0.1 * p.w,
        color=mix(ground, (0, 0, 0), 0.1),
    )


def _forest(draw: ImageDraw.ImageDraw, p: Plate, look: Look, rng: np.random.Generator) -> None:
    green = shaded(look.ground_top, look.shade)
    haze = shaded(look.haze_color, look.shade)
    _ridge(
        draw,
        p,
        rng,
        base=p.horizon,
        amplitude=0.07 * p.h,
        spacing=0.025 * p.w,
        color=mix(green, haze, 0.5),
    )
    count = max(4, int((p.x1 - p.x0) / (0.06 * p.w)))
    trees = sorted(
        zip(
            rng.uniform(p.x0, p.x1, count),
            rng.uniform(0.0, 0.08 * p.h, count),
            rng.uniform(0.16, 0.42, count) * p.h,
            rng.random(count),
            strict=True,
        ),
        key=lambda tree: tree[1],
    )
    for x, drop, height, kind in trees:
        base = p.horizon + drop
        color = mix(mix(green, (10, 24, 12), 0.35 + 0.4 * kind), haze, 0.25 - 2 * drop / p.h)
        half = height * 0.28
        trunk = mix(shaded((70, 52, 36), look.shade), haze, 0.2)
        draw.rectangle(
            p.box(x - height * 0.03, base - height * 0.25, x + height * 0.03, base), fill=trunk
        )
        if kind < 0.6:  # conifer: three stacked triangles
            for tier in range(3):
                top = base - height * (1.0 - 0.22 * tier)
                bottom = base - height * (0.2 + 0.22 * (2 - tier) * 0.6)
                spread = half * (0.6 + 0.2 * tier)
                draw.polygon(
                    [p.px(x, top), p.px(x - spread, bottom), p.px(x + spread, bottom)], fill=color
                )
        else:  # broadleaf: a round crown
            draw.ellipse(p.box(x - half, base - height, x + half, base - height * 0.3), fill=color)


def _city(draw: ImageDraw.ImageDraw, p: Plate, look: Look, rng: np.random.Generator) -> None:
    haze = shaded(look.haze_color, look.shade)
    dark = sum(look.shade) < 1.8 or bool(look.accents)
    lit = [(255, 214, 140), (250, 236, 190), *look.accents]
    x = p.x0 - rng.uniform(0, 0.08 * p.w)
    while x < p.x1:
        bw = rng.uniform(0.05, 0.12) * p.w
        bh = rng.uniform(0.1, 0.45) * p.h
        base = p.horizon + 0.02 * p.h
        body = mix(shaded((78, 82, 94), look.shade), haze, rng.uniform(0.1, 0.45))
        draw.rectangle(p.box(x, base - bh, x + bw, base), fill=body)
        win = 0.014 * p.h
        for wy in np.arange(base - bh + 2 * win, base - 2 * win, 2.2 * win):
            for wx in np.arange(x + win, x + bw - win, 1.8 * win):
                roll = rng.random()
                if dark and roll < 0.35:
                    color = lit[int(rng.integers(0, len(lit)))]
                else:
                    color = mix(body, (0, 0, 0) if roll < 0.6 else (220, 230, 240), 0.25)
                draw.rectangle(p.box(wx, wy, wx + win, wy + win * 1.2), fill=color)
        if look.accents and rng.random() < 0.45:  # a neon sign with a soft halo
            color = look.accents[int(rng.integers(0, len(look.accents)))]
            sx = x + rng.uniform(0.1, 0.6) * bw
            sy = base - bh * rng.uniform(0.4, 0.9)
            sw, sh = (0.02 * p.w, 0.12 * p.h) if rng.random() < 0.5 else (0.08 * p.w, 0.03 * p.h)
            g = 0.01 * p.h
            draw.rectangle(
                p.box(sx - g, sy - g, sx + sw + g, sy + sh + g), fill=mix(body, color, 0.5)
            )
            draw.rectangle(p.box(sx, sy, sx + sw, sy + sh), fill=color)
        x += bw + rng.uniform(0.0, 0.02) * p.w


def _dunes(draw: ImageDraw.ImageDraw, p: Plate, look: Look, rng: np.random.Generator) -> None:
    sand = shaded(look.ground_top, look.shade)
    haze = shaded(look.haze_color, look.shade)
    xs = np.linspace(p.x0 - 2, p.x1 + 2, max(8, int((p.x1 - p.x0) / 3)))
    for i, (lift, tone) in enumerate(((0.0, 0.45), (0.05, 0.2), (0.12, -0.12))):
        f1, f2 = rng.uniform(1.5, 4.0, 2) / p.w
        ph1, ph2 = rng.uniform(0, 2 * np.pi, 2)
        ys = (
            p.horizon
            + lift * p.h
            - 0.05
            * p.h
            * (1.2 - 0.3 * i)
            * (np.sin(xs * f1 * np.pi + ph1) * 0.7 + np.sin(xs * f2 * np.pi + ph2) * 0.3 + 1.0)
        )
        color = mix(sand, haze, tone) if tone > 0 else mix(sand, (90, 60, 30), -tone)
        points = [p.px(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
        points += [p.px(float(xs[-1]), p.y1 + 2), p.px(float(xs[0]), p.y1 + 2)]
        draw.polygon(points, fill=color)


def _sea(draw: ImageDraw.ImageDraw, p: Plate, look: Look, rng: np.random.Generator) -> None:
    water = shaded(look.ground_top, look.shade)
    haze = shaded(look.haze_color, look.shade)
    if rng.random() < 0.6:  # a far headland breaks the flat horizon
        _ridge(
            draw,
            p,
            rng,
            base=p.horizon + 1,
            amplitude=0.05 * p.h,
            spacing=0.1 * p.w,
            color=mix(shaded((90, 100, 90), look.shade), haze, 0.5),
        )
        draw.rectangle(p.box(p.x0, p.horizon, p.x1, p.y1 + 2), fill=water)
    count = int((p.x1 - p.x0) * max(0.0, p.y1 - p.horizon) / (0.004 * p.w * p.h))
    for _ in range(count):
        depth = rng.random() ** 1.6  # more, smaller waves near the horizon
        y = p.horizon + 0.01 * p.h + depth * (p.y1 - p.horizon)
        x = rng.uniform(p.x0, p.x1)
        length = (0.01 + 0.06 * depth) * p.w
        crest = mix(water, (236, 242, 246), 0.25 + 0.3 * rng.random())
        draw.line(
            [p.px(x, y), p.px(x + length, y)],
            fill=crest,
            width=max(1, round((1 + 2 * depth) * p.density)),
        )


def _room(draw: ImageDraw.ImageDraw, p: Plate, look: Look, rng: np.random.Generator) -> None:
    wall = shaded(look.sky_bottom, look.shade)
    floor = shaded(look.ground_top, look.shade)
    x = p.x0
    while x < p.x1:  # wall panels give the back wall some structure
        x += rng.uniform(0.12, 0.3) * p.w
        draw.line(
            [p.px(x, p.y0 - 2), p.px(x, p.horizon)],
            fill=mix(wall, (0, 0, 0), 0.12),
            width=max(1, round(2 * p.density)),
        )
    night = sum(look.shade) < 1.8
    pane = (28, 40, 72) if night else (214, 228, 240)
    for _ in range(int(rng.integers(1, 3))):
        wx = rng.uniform(p.x0, p.x1 - 0.2 * p.w)
        ww, wh = rng.uniform(0.12, 0.22) * p.w, rng.uniform(0.2, 0.3) * p.h
        wy = p.horizon - wh - rng.uniform(0.12, 0.22) * p.h
        draw.rectangle(
            p.box(wx - 4, wy - 4, wx + ww + 4, wy + wh + 4), fill=mix(wall, (60, 50, 40), 0.5)
        )
        draw.rectangle(p.box(wx, wy, wx + ww, wy + wh), fill=pane)
        draw.line(
            [p.px(wx + ww / 2, wy), p.px(wx + ww / 2, wy + wh)],
            fill=mix(wall, (60, 50, 40), 0.5),
            width=max(1, round(3 * p.density)),
        )
    for _ in range(int(rng.integers(1, 4))):  # picture frames
        fx = rng.uniform(p.x0, p.x1)
        fw, fh = rng.uniform(0.04, 0.09) * p.w, rng.uniform(0.06, 0.12) * p.h
        fy = p.horizon - rng.uniform(0.25, 0.4) * p.h
        r, g, b = (int(v) for v in rng.integers(40, 220, 3))
        draw.rectangle(p.box(fx, fy, fx + fw, fy + fh), fill=(60, 44, 30))
        inner = p.box(fx + 3, fy + 3, fx + fw - 3, fy + fh - 3)
        draw.rectangle(inner, fill=shaded((r, g, b), look.shade))
    draw.rectangle(
        p.box(p.x0, p.horizon - 0.025 * p.h, p.x1, p.horizon), fill=mix(wall, (0, 0, 0), 0.35)
    )
    y, step = p.horizon, 0.012 * p.h
    while y < p.y1:  # floorboards, wider apart as they come closer
        y += step
        step *= 1.35
        draw.line(
            [p.px(p.x0, y), p.px(p.x1, y)],
            fill=mix(floor, (0, 0, 0), 0.25),
            width=max(1, round(p.density)),
        )


def _reef(draw: ImageDraw.ImageDraw, p: Plate, look: Look, rng: np.random.Generator) -> None:
    sand = shaded(look.ground_top, look.shade)
    haze = shaded(look.haze_color, look.shade)
    _ridge(
        draw,
        p,
        rng,
        base=p.horizon,
        amplitude=0.08 * p.h,
        spacing=0.08 * p.w,
        color=mix(sand, haze, 0.5),
    )
    accents = look.accents or ((200, 120, 100),)
    count = max(3, int((p.x1 - p.x0) / (0.05 * p.w)))
    for _ in range(count):
        x = rng.uniform(p.x0, p.x1)
        y = p.horizon + rng.uniform(0.0, 0.2) * p.h
        r = rng.uniform(0.02, 0.06) * p.h
        color = mix(accents[int(rng.integers(0, len(accents)))], haze, rng.uniform(0.2, 0.6))
        if rng.random() < 0.4:  # kelp
            pts = [p.px(x + 0.01 * p.w * np.sin(j * 0.9), y - j * 0.03 * p.h) for j in range(10)]
            draw.line(pts, fill=mix((30, 90, 50), haze, 0.4), width=max(1, round(3 * p.density)))
        else:
            for _ in range(3):
                cx, cy = x + rng.uniform(-r, r), y - rng.uniform(0, r)
                draw.ellipse(p.box(cx - r, cy - r, cx + r, cy + r), fill=color)


SCENERY: dict[str, Callable[[ImageDraw.ImageDraw, Plate, Look, np.random.Generator], None]] = {
    "hills": _hills,
    "mountains": _mountains,
    "forest": _forest,
    "city": _city,
    "dunes": _dunes,
    "sea": _sea,
    "room": _room,
    "reef": _reef,
}


def draw_scenery(
    draw: ImageDraw.ImageDraw, plate: Plate, look: Look, rng: np.random.Generator
) -> None:
    """Draw the look's scenery (nothing for "none" or an unknown kind)."""
    painter = SCENERY.get(look.scenery)
    if painter is not None:
        painter(draw, plate, look, rng)
