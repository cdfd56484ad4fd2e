"""Weather you can see move: snow, rain, embers, bubbles, dust.

Particles live at one depth between the subject and the scenery, so the camera moves them with
parallax like everything else. Their positions are a closed-form function of time (start point
plus velocity, wrapped inside the region the camera sees), so any frame can be drawn on its own
and a seed always gives the same weather. Drawing is a vectorised alpha blend of a few thousand
pixels straight into the frame array.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .camera import LayerTransform


@dataclass(frozen=True)
class _Kind:
    per_kpx: float  # particles per thousand base pixels of region
    speed: tuple[float, float]  # fall speed range, in frame heights per second (negative rises)
    drift: float  # sideways speed, frame widths per second
    sway: float  # sinusoidal sideways wander, frame widths
    size: tuple[int, int]  # blob size range in pixels (streak length for rain)
    color: tuple[int, int, int]
    alpha: tuple[float, float]
    streak: bool = False


KINDS = {
    "snow": _Kind(1.4, (0.05, 0.14), 0.01, 0.012, (1, 3), (246, 248, 255), (0.6, 0.95)),
    "rain": _Kind(1.6, (1.1, 1.5), 0.12, 0.0, (6, 12), (196, 206, 226), (0.25, 0.45), True),
    "embers": _Kind(0.35, (-0.16, -0.06), 0.02, 0.02, (1, 2), (255, 150, 50), (0.5, 1.0)),
    "bubbles": _Kind(0.3, (-0.12, -0.05), 0.0, 0.01, (2, 3), (200, 240, 250), (0.3, 0.6)),
    "dust": _Kind(0.5, (-0.01, 0.02), 0.015, 0.01, (1, 2), (255, 236, 200), (0.2, 0.45)),
}


class Particles:
    """A field of one kind of particle over a base-coordinate region."""

    def __init__(
        self,
        kind: str,
        region: tuple[float, float, float, float],
        frame: tuple[int, int],
        seed: int,
    ) -> None:
        spec = KINDS[kind]
        rng = np.random.default_rng([seed, 0x9A27])
        w, h = frame
        x0, y0, x1, y1 = region
        self.frame = frame
        self.origin = (x0, y0)
        self.extent = (max(1.0, x1 - x0), max(1.0, y1 - y0))
        n = max(8, int(self.extent[0] * self.extent[1] / 1000 * spec.per_kpx))
        self.x = rng.uniform(0, self.extent[0], n)
        self.y = rng.uniform(0, self.extent[1], n)
        self.vy = rng.uniform(*spec.speed, n) * h
        self.vx = (spec.drift + rng.normal(0, spec.drift * 0.3 + 1e-6, n)) * w
        self.sway = rng.uniform(0, spec.sway, n) * w
        self.phase = rng.uniform(0, 2 * math.pi, n)
        self.alpha = rng.uniform(*spec.alpha, n).astype(np.float32)
        self.color = np.array(spec.color, dtype=np.float32)
        self.flicker = kind == "embers"
        sizes = rng.integers(spec.size[0], spec.size[1] + 1, n)
        # Each particle is a small stamp of pixel offsets; a streak is a line along its velocity.
        offsets: list[np.ndarray] = []
        owner: list[np.ndarray] = []
        for i, s in enumerate(sizes):
            if spec.streak:
                steps = np.arange(int(s))
                norm = math.hypot(float(self.vx[i]), float(self.vy[i])) or 1.0
                ox = np.round(steps * self.vx[i] / norm)
                oy = np.round(steps * self.vy[i] / norm)
                stamp = np.stack([ox, oy], axis=1)
            else:
                gy, gx = np.mgrid[0:s, 0:s]
                stamp = np.stack([gx.ravel(), gy.ravel()], axis=1)
            offsets.append(stamp)
            owner.append(np.full(len(stamp), i))
        self.offsets = np.concatenate(offsets).astype(np.int64)
        self.owner = np.concatenate(owner)

    def draw(self, frame: np.ndarray, seconds: float, tr: LayerTransform) -> None:
        """Blend the particles at time ``seconds`` into ``frame`` (HxWx3 uint8) in place."""
        w, h = self.frame
        ex, ey = self.extent
        px = (self.x + self.vx * seconds + self.sway * np.sin(seconds * 1.3 + self.phase)) % ex
        py = (self.y + self.vy * seconds) % ey
        sx = np.floor(tr.scale * (px + self.origin[0]) + tr.dx + w / 2).astype(np.int64)
        sy = np.floor(tr.scale * (py + self.origin[1]) + tr.dy + h / 2).astype(np.int64)
        xs = sx[self.owner] + self.offsets[:, 0]
        ys = sy[self.owner] + self.offsets[:, 1]
        inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
        xs, ys = xs[inside], ys[inside]
        alpha = self.alpha.astype(np.float64)
        if self.flicker:
            alpha = alpha * (0.6 + 0.4 * np.sin(seconds * 9.0 + self.phase * 3.0) ** 2)
        a = alpha[self.owner[inside]][:, None]
        under = frame[ys, xs].astype(np.float32)
        frame[ys, xs] = (under + (self.color - under) * a + 0.5).astype(np.uint8)
