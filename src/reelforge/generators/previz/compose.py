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
from .layers import LayerRenderer
from .scene import Scene, build_scene
from .source import source_frames


class _Compositor:
    """Builds each frame from the scene's layers; holds the per-layer resample caches."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        self.background = LayerRenderer(scene.background, scene.size)
        # Far cards first, so nearer ones overlap them.
        ordered = sorted(scene.elements, key=lambda layer: -layer.depth)
        self.elements = [LayerRenderer(layer, scene.size) for layer in ordered]

    def __call__(self, index: int) -> Image.Image:
        scene = self.scene
        state = scene.states[index]
        fg_blur, bg_blur = scene.focus[index]
        frame = self.background.background(layer_transform(state, BACKGROUND_DEPTH), bg_blur)
        for renderer in self.elements:
            renderer.paste(frame, layer_transform(state, renderer.layer.depth), fg_blur)
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
    composite = _Compositor(scene)
    # Without particles a composite depends only on camera state and focus, so a static stretch
    # of the shot composes once; a copy is kept only when the next frame can use it.
    keys = list(zip(scene.states, scene.focus, strict=True))
    reusable = scene.particles is None
    kept: tuple[object, Image.Image] | None = None
    # An edit shows its source clip: previz cannot know what the model will change.
    source = (
        source_frames(request.source_video, request.fps, request.frames, scene.size)
        if request.source_video is not None
        else None
    )
    for index, key in enumerate(keys):
        if source is not None:
            frame = next(source)
        elif kept is not None and kept[0] == key:
            frame = kept[1].copy()
        else:
            frame = composite(index)
            following = keys[index + 1] if index + 1 < len(keys) else None
            kept = (key, frame.copy()) if reusable and following == key else None
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
