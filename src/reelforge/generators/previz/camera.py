"""The camera: a 2.5-D pinhole model that turns a move word into per-layer 2-D transforms.

Every layer is a flat card at a depth (the subject at 1, the scenery far behind). The camera has a
position (x, y, z), a rotation (yaw, pitch, as image-space shifts) and a zoom. Projecting a card
through it gives a uniform scale plus an offset, so each frame is a cheap crop-and-resize per
layer, while the parallax of real moves falls out of the geometry: translations shift near cards
more than far ones, rotations and zooms move every depth alike.

Units: distances are in working-resolution pixels as seen at the subject's depth; image y points
down. A layer point whose base-framing position (relative to the frame centre) is ``p`` appears at
``scale * p + offset``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SUBJECT_DEPTH = 1.0
BACKGROUND_DEPTH = 5.0
PARTICLE_DEPTH = 1.6

MOVES = (
    "static",
    "dolly_in",
    "dolly_out",
    "pan_left",
    "pan_right",
    "tilt_up",
    "tilt_down",
    "truck_left",
    "truck_right",
    "orbit_left",
    "orbit_right",
    "crane_up",
    "crane_down",
    "zoom_in",
    "zoom_out",
    "rack_focus",
    "handheld",
)

# Total travel of each move over a shot, as a fraction of the working frame's width or height.
PAN = 0.25  # of width: how far content slides for a pan
TILT = 0.22  # of height
TRUCK = 0.3  # of width, at the subject's depth
CRANE = 0.28  # of height, at the subject's depth
ORBIT = 0.4  # of width: camera travel around the subject
DOLLY = 0.3  # of the subject's depth: the subject grows by 1 / (1 - DOLLY)
ZOOM = 1.5  # focal length factor
HANDHELD = 0.006  # of width: shake amplitude


@dataclass(frozen=True)
class CameraState:
    x: float = 0.0  # camera position; x right, y down, z towards the scene
    y: float = 0.0
    z: float = 0.0
    yaw: float = 0.0  # rotation as an image shift: positive moves content right
    pitch: float = 0.0  # positive moves content down
    zoom: float = 1.0


@dataclass(frozen=True)
class LayerTransform:
    scale: float
    dx: float
    dy: float

    def apply(self, x: float, y: float) -> tuple[float, float]:
        return self.scale * x + self.dx, self.scale * y + self.dy


def smoothstep(t: float) -> float:
    """Ease in and out: camera operators start and stop moves gently."""
    t = min(1.0, max(0.0, t))
    return t * t * (3.0 - 2.0 * t)


def layer_transform(state: CameraState, depth: float) -> LayerTransform:
    """Project a card at ``depth`` through the camera."""
    distance = depth - state.z
    scale = state.zoom * depth / distance
    dx = state.zoom * (state.yaw - state.x / distance)
    dy = state.zoom * (state.pitch - state.y / distance)
    return LayerTransform(scale, dx, dy)


class _Shake:
    """Smooth pseudo-random motion: a few seeded sines per axis, no per-frame randomness."""

    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng([seed, 0x5A4B])
        self.freqs = rng.uniform(0.25, 1.6, size=(3, 3))  # axis x partial, in hertz
        self.phases = rng.uniform(0.0, 2 * math.pi, size=(3, 3))
        self.weights = np.array([1.0, 0.55, 0.3])

    def __call__(self, seconds: float) -> tuple[float, float, float]:
        waves = np.sin(2 * math.pi * self.freqs * seconds + self.phases) @ self.weights
        x, y, z = (float(v) / 1.85 for v in waves)
        return x, y, z


def camera_path(
    move: str, frames: int, fps: int, width: int, height: int, seed: int = 0
) -> list[CameraState]:
    """The camera state for each frame of a shot; moves ease in and out over the whole shot.

    Moves that travel (pan, tilt, truck, crane, orbit) pass through the base framing at mid-shot;
    pushes (dolly, zoom) start from it going in and end on it coming out, so the framing the shot
    size describes is always shown.
    """
    if move not in MOVES:
        raise ValueError(f"unknown camera move {move!r}")
    shake = _Shake(seed) if move == "handheld" else None
    states = []
    for i in range(frames):
        t = smoothstep(i / (frames - 1)) if frames > 1 else 0.0
        states.append(_state(move, t, i / fps, width, height, shake))
    return states


def _state(
    move: str, t: float, seconds: float, w: int, h: int, shake: _Shake | None
) -> CameraState:
    # `sweep` runs -0.5 → +0.5 over the shot; its sign convention is content motion.
    sweep = t - 0.5
    if move == "pan_left":  # camera turns left: content slides right
        return CameraState(yaw=sweep * PAN * w)
    if move == "pan_right":
        return CameraState(yaw=-sweep * PAN * w)
    if move == "tilt_up":  # camera tilts up: content slides down
        return CameraState(pitch=sweep * TILT * h)
    if move == "tilt_down":
        return CameraState(pitch=-sweep * TILT * h)
    if move == "truck_left":  # camera moves left: content slides right, near more than far
        return CameraState(x=-sweep * TRUCK * w)
    if move == "truck_right":
        return CameraState(x=sweep * TRUCK * w)
    if move == "crane_up":  # camera rises: content slides down
        return CameraState(y=-sweep * CRANE * h)
    if move == "crane_down":
        return CameraState(y=sweep * CRANE * h)
    if move in ("orbit_left", "orbit_right"):
        # Travel sideways while turning to keep the subject centred: things behind the subject
        # slide the way the camera travels, things in front the other way.
        x = (-sweep if move == "orbit_left" else sweep) * ORBIT * w
        return CameraState(x=x, yaw=x / SUBJECT_DEPTH)
    if move == "dolly_in":
        return CameraState(z=t * DOLLY * SUBJECT_DEPTH)
    if move == "dolly_out":
        return CameraState(z=(1.0 - t) * DOLLY * SUBJECT_DEPTH)
    if move == "zoom_in":
        return CameraState(zoom=1.0 + t * (ZOOM - 1.0))
    if move == "zoom_out":
        return CameraState(zoom=ZOOM - t * (ZOOM - 1.0))
    if move == "handheld" and shake is not None:
        sx, sy, sz = shake(seconds)
        return CameraState(
            yaw=sx * HANDHELD * w, pitch=sy * HANDHELD * w * 0.8, zoom=1.0 + 0.004 * sz
        )
    return CameraState()  # static and rack_focus


def focus_pull(move: str, frames: int) -> list[tuple[float, float]]:
    """Per frame (foreground blur, background blur), each 0 (sharp) … 1 (fully soft).

    Only rack_focus pulls focus: it starts on the subject and ends on the background.
    """
    if move != "rack_focus":
        return [(0.0, 0.0)] * frames
    pulls = []
    for i in range(frames):
        t = smoothstep(i / (frames - 1)) if frames > 1 else 0.0
        pulls.append((t, 1.0 - t))
    return pulls
