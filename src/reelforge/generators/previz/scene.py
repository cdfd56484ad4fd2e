"""Everything about a shot that does not change per frame, computed once.

Building a scene decides the working resolution, reads the prompt's look, runs the camera path,
and pre-renders every layer over exactly the region (and at the pixel density) the camera will
need, so the per-frame loop only crops, resizes and pastes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from ..._exceptions import GeneratorError
from ..base import ElementRef, ShotRequest
from .backdrop import paint_background
from .camera import (
    BACKGROUND_DEPTH,
    MOVES,
    PARTICLE_DEPTH,
    SUBJECT_DEPTH,
    CameraState,
    camera_path,
    focus_pull,
    layer_transform,
)
from .elements import is_wide, load_image, make_card, make_silhouette
from .keyframes import blend_frames, fit_image
from .layers import Layer, blur_levels, pad
from .palette import Look, look_for_prompt
from .particles import Particles
from .slate import Slate

Box = tuple[int, int, int, int]

GENERATOR = "previz"
WORKING_PIXELS = 640 * 360  # per-frame work is sized for this many pixels
MAX_WORKING_SIDE = 960

# Shot size → (element height, where its centre sits below the frame centre), in frame heights.
SHOT_SIZES: dict[str, tuple[float, float]] = {
    "extreme_wide": (0.2, 0.3),
    "wide": (0.4, 0.22),
    "medium": (0.66, 0.17),
    "close_up": (0.95, 0.1),
    "extreme_close_up": (1.5, 0.05),
}
# Close shots have shallow focus: the background is this soft (of the rack-focus maximum).
DEPTH_OF_FIELD = {"close_up": 0.4, "extreme_close_up": 0.7}
RACK_BLUR = 0.012  # of the working width: the softest a rack focus gets
RACK_LEVELS = 6


def working_size(width: int, height: int) -> tuple[int, int]:
    """The internal resolution frames are composed at; swscale brings them to delivery size.

    About 640x360 worth of pixels, never below half the delivery size (so upscaling stays
    gentle) nor above 960 pixels on the long side (so 4K previz stays fast); small deliveries are
    composed at full size.
    """
    scale = min(1.0, math.sqrt(WORKING_PIXELS / (width * height)))
    scale = max(scale, 0.5)
    scale = min(scale, MAX_WORKING_SIDE / max(width, height), 1.0)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


@dataclass
class Scene:
    request: ShotRequest
    size: tuple[int, int]  # working resolution
    look: Look
    matched: tuple[str, ...]
    states: list[CameraState]
    focus: list[tuple[float, float]]  # per frame (foreground, background) blur 0..1
    background: Layer
    elements: list[Layer]
    particles: Particles | None
    slate: Slate
    first: Image.Image | None
    last: Image.Image | None
    blend_span: int
    vignette: list[tuple[Box, Image.Image]]  # corner masks to darken through


def fail(request: ShotRequest, message: str) -> GeneratorError:
    return GeneratorError(message, shot_id=request.shot_id, generator=GENERATOR)


def validate(request: ShotRequest) -> None:
    """Reject requests the previz cannot render, with a message saying what to fix."""
    if request.frames < 1:
        raise fail(request, f"frames must be at least 1, got {request.frames}")
    if request.fps < 1:
        raise fail(request, f"fps must be positive, got {request.fps}")
    if request.width < 16 or request.height < 16 or request.width % 2 or request.height % 2:
        raise fail(
            request, f"size must be even and at least 16x16, got {request.width}x{request.height}"
        )
    if request.camera not in MOVES:
        raise fail(request, f"unknown camera move {request.camera!r}; known: {', '.join(MOVES)}")
    if request.size not in SHOT_SIZES:
        raise fail(request, f"unknown shot size {request.size!r}; known: {', '.join(SHOT_SIZES)}")


def visible_region(
    states: list[CameraState], depth: float, size: tuple[int, int], margin: float
) -> tuple[tuple[float, float, float, float], float]:
    """The base-coordinate region a layer at ``depth`` shows over the shot, and its max scale."""
    w, h = size
    x0 = y0 = math.inf
    x1 = y1 = -math.inf
    top_scale = 0.0
    for state in states:
        tr = layer_transform(state, depth)
        x0 = min(x0, (-w / 2 - tr.dx) / tr.scale)
        x1 = max(x1, (w / 2 - tr.dx) / tr.scale)
        y0 = min(y0, (-h / 2 - tr.dy) / tr.scale)
        y1 = max(y1, (h / 2 - tr.dy) / tr.scale)
        top_scale = max(top_scale, tr.scale)
    return (x0 - margin, y0 - margin, x1 + margin, y1 + margin), top_scale


def _element_layers(
    request: ShotRequest, size: tuple[int, int], look: Look, density: float, blur: float
) -> list[Layer]:
    w, h = size
    n = len(request.elements)
    if n == 0:
        return []
    height_frac, centre_frac = SHOT_SIZES[request.size]
    rng = np.random.default_rng([request.seed, 0xE1])
    spread = min(0.72 * w, 0.3 * w * (n - 1))
    max_width = max(0.25 * w, 0.95 * w / n)
    layers = []
    for i, element in enumerate(request.elements):
        card = _element_image(
            request, element, round(height_frac * h * density), round(max_width * density), look
        )
        margin = 3 + math.ceil(blur * 2.5)
        card = pad(card, margin)
        cx = (i / (n - 1) - 0.5) * spread if n > 1 else 0.0
        cx += rng.uniform(-0.025, 0.025) * w
        # Elements stand on one line: a card shorter than a figure (a wide photo, a car) keeps
        # its feet where the figure's are.
        bottom = (centre_frac + height_frac / 2) * h + margin / density
        # Whole-pixel origins keep the still axis of 1:1 moves a plain copy (see layers.resample).
        origin = (round(cx - card.width / density / 2), round(bottom - card.height / density))
        levels = blur_levels(card, blur, RACK_LEVELS)
        layers.append(Layer(element.name, SUBJECT_DEPTH, levels, density, origin))
    return layers


def _element_image(
    request: ShotRequest, element: ElementRef, height: int, max_width: int, look: Look
) -> Image.Image:
    if element.references:
        path = Path(element.references[0])
        try:
            image = load_image(path, max_side=max(64, 2 * max(height, max_width)))
        except (OSError, ValueError) as exc:
            raise fail(
                request, f"element {element.name!r}: cannot read reference image {path}: {exc}"
            ) from exc
        return make_card(image, height, max_width, look.light)
    wide = is_wide(element.name, element.description)
    return make_silhouette(element.name, height, look.light, wide=wide)


def _vignette(size: tuple[int, int], strength: float) -> list[tuple[Box, Image.Image]]:
    """Masks that darken the frame's corners, one per corner with its frame box.

    The falloff starts three quarters of the way to the corners, so the middle of the frame and
    of its edges is untouched and only the four corner patches (about 40% of the pixels) need
    blending each frame.
    """
    w, h = size
    if strength <= 0:
        return []
    inner = 0.75
    nx = (np.arange(w, dtype=np.float32) + 0.5) / w * 2 - 1
    ny = (np.arange(h, dtype=np.float32) + 0.5) / h * 2 - 1
    r = np.sqrt(nx[None, :] ** 2 + ny[:, None] ** 2) / math.sqrt(2)
    t = np.clip((r - inner) / (1 - inner), 0, 1)
    alpha = strength * t * t * (3 - 2 * t)
    mask = Image.fromarray((alpha * 255 + 0.5).astype(np.uint8), "L")
    patches = []
    for qx0, qy0 in ((0, 0), (w // 2, 0), (0, h // 2), (w // 2, h // 2)):
        quadrant = (qx0, qy0, qx0 + (w + 1) // 2, qy0 + (h + 1) // 2)
        bbox = mask.crop(quadrant).getbbox()
        if bbox:
            box = (qx0 + bbox[0], qy0 + bbox[1], qx0 + bbox[2], qy0 + bbox[3])
            patches.append((box, mask.crop(box)))
    return patches


def _keyframe(
    request: ShotRequest, path: Path | None, size: tuple[int, int], what: str
) -> Image.Image | None:
    if path is None:
        return None
    try:
        return fit_image(Path(path), size)
    except (OSError, ValueError) as exc:
        raise fail(request, f"cannot read {what} image {path}: {exc}") from exc


def build_scene(request: ShotRequest) -> Scene:
    """Validate the request and pre-render everything the frame loop needs."""
    validate(request)
    size = working_size(request.width, request.height)
    w, h = size
    look, matched = look_for_prompt(request.prompt)
    states = camera_path(request.camera, request.frames, request.fps, w, h, request.seed)
    focus = focus_pull(request.camera, request.frames)
    rack = request.camera == "rack_focus"

    region, bg_scale = visible_region(states, BACKGROUND_DEPTH, size, margin=4.0)
    # A whole-pixel corner keeps 1:1 moves on whole-pixel boxes along their still axis.
    region = (
        math.floor(region[0]),
        math.floor(region[1]),
        math.ceil(region[2]),
        math.ceil(region[3]),
    )
    bg_density = min(2.0, max(1.0, bg_scale)) if bg_scale > 1.15 else 1.0
    painted = paint_background(look, region, bg_density, size, request.seed)
    radius = RACK_BLUR * w * bg_density
    if rack:
        bg_levels = blur_levels(painted, radius, RACK_LEVELS)  # RGB stays RGB
    elif request.size in DEPTH_OF_FIELD:
        bg_levels = [
            painted.filter(ImageFilter.GaussianBlur(DEPTH_OF_FIELD[request.size] * radius))
        ]
    else:
        bg_levels = [painted]
    background = Layer("background", BACKGROUND_DEPTH, bg_levels, bg_density, region[:2])

    _, fg_scale = visible_region(states, SUBJECT_DEPTH, size, margin=0.0)
    fg_density = min(2.0, max(1.0, fg_scale))
    elements = _element_layers(
        request, size, look, fg_density, RACK_BLUR * w * fg_density if rack else 0.0
    )

    particles = None
    if look.particles:
        p_region, _ = visible_region(states, PARTICLE_DEPTH, size, margin=8.0)
        particles = Particles(look.particles, p_region, size, request.seed)

    first = _keyframe(request, request.first_frame, size, "first_frame")
    last = _keyframe(request, request.last_frame, size, "last_frame")
    return Scene(
        request=request,
        size=size,
        look=look,
        matched=matched,
        states=states,
        focus=focus,
        background=background,
        elements=elements,
        particles=particles,
        slate=Slate(request, size),
        first=first,
        last=last,
        blend_span=blend_frames(request.frames, request.fps),
        vignette=_vignette(size, look.vignette),
    )
