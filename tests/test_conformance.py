"""Every wired catalogue route renders through its real adapter against its provider's sandbox.

One parametrised pass over all routes the generator registry offers, so a route whose adapter,
sandbox or wiring breaks is caught by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from reelforge.catalogue import check, get_route
from reelforge.generators.base import ShotRequest
from reelforge.generators.registry import generator_names, get_generator
from reelforge.media.probe import probe
from reelforge.sandbox.session import sandboxes

ROUTES = [name for name in generator_names() if name != "previz"]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, object]]:
    with sandboxes(render_fps=24) as running:
        yield dict(running)


def shortest(route_id: str) -> int:
    durations = get_route(route_id).durations
    return min(durations) if isinstance(durations, list) else int(durations.min)


@pytest.mark.parametrize("route_id", ROUTES)
def test_route_renders_through_its_sandbox(
    route_id: str, servers: dict[str, object], tmp_path: Path
) -> None:
    route = get_route(route_id)
    first_frame = None
    if not route.capabilities.t2v:  # image-to-video only: give it a first frame
        first_frame = tmp_path / "first.png"
        Image.new("RGB", (1280, 720), (180, 40, 40)).save(first_frame)
    seconds = shortest(route_id)
    request = ShotRequest(
        shot_id="conformance",
        prompt="a lighthouse at dusk, waves below",
        frames=seconds * 24,
        fps=24,
        width=1280,
        height=720,
        first_frame=first_frame,
        model=route_id,
    )
    assert check(route, request).ok, check(route, request).refusals
    clip = get_generator(route_id).render(request, tmp_path / "clip.mp4")
    info = probe(clip.path, count_frames=True)
    assert info.video_codec == "h264" and info.frames > 0
    assert clip.meta["task_id"] and clip.meta["provider"] == route.provider
