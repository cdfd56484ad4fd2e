"""The per-frame loop: resample the background, paste the cards, weather, grade, keyframes, slate.

This is the hot path (it runs for every frame), so it only crops, resizes and pastes images that
the scene pre-rendered; when the camera and focus have not changed since the last frame (static
shots), the previous composite is reused outright.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from PIL import Image

from ..base import ShotRequest
from .camera import BACKGROUND_DEPTH, PARTICLE_DEPTH, layer_transform
from .keyframes import apply_keyframes
from .layers import paste_layer, render_background
from .scene import Scene, build_scene


def _composite(scene: Scene, index: int) -> Image.Image:
    state = scene.states[index]
    fg_blur, bg_blur = scene.focus[index]
    frame = render_background(
        scene.background, layer_transform(state, BACKGROUND_DEPTH), scene.size, bg_blur
    )
    for layer in sorted(scene.elements, key=lambda layer: -layer.depth):
        paste_layer(frame, layer, layer_transform(state, layer.depth), fg_blur)
    if scene.particles is not None:
        arr = np.array(frame)
        seconds = index / scene.request.fps
        scene.particles.draw(arr, seconds, layer_transform(state, PARTICLE_DEPTH))
        frame = Image.fromarray(arr, "RGB")
    for box, mask in scene.vignette:
        frame.paste((0, 0, 0), box, mask)
    return frame


def iter_images(scene: Scene, *, slate: bool = True) -> Iterator[Image.Image]:
    """The shot's frames as RGB images at the scene's working resolution."""
    request = scene.request
    previous: tuple[object, Image.Image] | None = None
    for index in range(request.frames):
        # A frame's composite depends only on camera state and focus (and time, for particles).
        key = (scene.states[index], scene.focus[index])
        if previous is not None and previous[0] == key and scene.particles is None:
            frame = previous[1].copy()
        else:
            frame = _composite(scene, index)
            previous = (key, frame.copy())
        frame = apply_keyframes(
            frame, index, request.frames, scene.blend_span, scene.first, scene.last
        )
        if slate:
            scene.slate.draw(frame, index)
        yield frame


def iter_frames(request: ShotRequest, *, slate: bool = True) -> Iterator[np.ndarray]:
    """The shot's frames as HxWx3 uint8 RGB arrays at the working resolution.

    Pure and deterministic: the same request (seed included) yields identical arrays. ``slate``
    False leaves out the burned-in text, which is handy for measuring motion.
    """
    scene = build_scene(request)
    for image in iter_images(scene, slate=slate):
        yield np.asarray(image)
