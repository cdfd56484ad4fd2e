"""Which routes the suite covers, and the render pass: every wired, live catalogue route renders
through the remote generator (check, submit, wait, download) against its sandbox, wired exactly
as `reel render --sandbox` wires it (the session's SANDBOXES table and environment)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reelforge.catalogue import check, get_route
from reelforge.generators.registry import generator_names, get_generator
from reelforge.generators.remote import ADAPTERS
from reelforge.media.probe import probe
from reelforge.sandbox.session import OTHER_KEYS, SANDBOXES

from .harness import POLL, ROUTE_BY_ID, ROUTE_IDS, Pool, profile_for, shot
from .profiles import PROFILES

LIVE = [name for name in generator_names() if name != "previz"]


@pytest.mark.parametrize("route_id", ROUTE_IDS)
def test_every_route_has_a_profile(route_id: str) -> None:
    route = ROUTE_BY_ID[route_id]
    profile = profile_for(route)  # fails, naming what to add, when there is none
    assert profile.sandboxes[(route.provider, route.channel)] in SANDBOXES


def test_profiles_name_only_wired_channels() -> None:
    """A profile entry for a channel without an adapter is stale (or a typo)."""
    stale = [pair for p in PROFILES for pair in p.sandboxes if pair not in ADAPTERS]
    assert not stale, f"profiles list channels with no adapter: {stale}"


def test_every_live_route_is_a_conformance_route() -> None:
    assert set(LIVE) <= set(ROUTE_IDS)


@pytest.fixture(scope="module")
def wired(pool: Pool) -> Iterator[None]:
    """Every sandbox up and the environment pointing every adapter at its own, as the session
    does (with fast sandboxes and fast polling)."""
    mp = pytest.MonkeyPatch()
    for name in OTHER_KEYS:
        mp.delenv(name, raising=False)
    mp.setenv("REELFORGE_POLL_SECONDS", str(POLL))
    for key, (_, _, env_of) in SANDBOXES.items():
        for name, value in env_of(pool.sandbox(key)).items():
            mp.setenv(name, value)
    yield
    mp.undo()


@pytest.mark.parametrize("route_id", LIVE)
def test_route_renders_through_its_sandbox(route_id: str, wired: None, tmp_path: Path) -> None:
    route = get_route(route_id)
    caps = route.capabilities
    request = shot(route, tmp_path, first=not (caps.t2v or caps.edit_only))
    assert check(route, request).ok, check(route, request).refusals
    clip = get_generator(route_id).render(request, tmp_path / "clip.mp4")
    info = probe(clip.path, count_frames=True)
    assert info.video_codec == "h264" and info.frames > 0
    assert clip.meta["task_id"] and clip.meta["provider"] == route.provider
