"""The `seedance-2.0` catalogue route rendered by the remote generator through this adapter,
wired the way the lead will wire it (ADAPTERS entry patched in for the test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelforge.generators import remote
from reelforge.generators.base import ShotRequest
from reelforge.media.probe import probe
from reelforge.providers.seedance import SeedanceAdapter, dimensions, token_count
from reelforge.sandbox.seedance import SeedanceSandbox, SeedanceSandboxConfig


def test_seedance_route_renders_through_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = ("reelforge.providers.seedance", "SeedanceAdapter", ())
    monkeypatch.setitem(remote.ADAPTERS, ("bytedance", "byteplus-modelark"), entry)
    monkeypatch.setattr(SeedanceAdapter, "poll_interval", 0.05)
    with SeedanceSandbox(SeedanceSandboxConfig(processing_seconds=0.1, render_fps=24)) as sbx:
        monkeypatch.setenv("REELFORGE_SEEDANCE_BASE_URL", sbx.api_base)
        monkeypatch.setenv("ARK_API_KEY", sbx.config.api_key)
        assert remote.has_adapter("bytedance", "byteplus-modelark", "dreamina-seedance-2-0-260128")
        generator = remote.RemoteGenerator("seedance-2.0")
        request = ShotRequest(
            shot_id="s", prompt="a paper boat", frames=96, fps=24, width=1280, height=720
        )
        clip = generator.render(request, tmp_path / "s.mp4")
        body = sbx.requests_to("/api/v3/contents/generations/tasks")[0].json()
    assert body["model"] == "dreamina-seedance-2-0-260128" and body["duration"] == 4
    assert clip.meta["charge"] == str(token_count(*dimensions("720p", "16:9"), 4))
    assert clip.meta["billing_unit"] == "token" and sbx.submits == 1
    assert probe(clip.path, count_frames=True).frames == 96
