"""Provider routes render through their real adapter against the loopback sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

import reelforge
from reelforge.media.probe import probe
from reelforge.sandbox.session import sandboxes
from reelforge.store import Store

PRODUCTION = """\
title: Remote Test
delivery: {resolution: 320x180, fps: 24}
shots:
  - id: local
    prompt: night market in the rain
    duration: 2
  - id: remote
    prompt: a red lantern swaying
    duration: 3
    model: kling-v3-std
    transition: {kind: crossfade, duration: 0.5}
  - id: aerial
    prompt: a drone shot over the harbour
    duration: 4
    model: veo-3.1-fast@gemini
  - id: waves
    prompt: waves crashing at night
    duration: 5
    model: seedance-2.0
  - id: relay
    prompt: a neon alley in the rain
    duration: 4
    model: grok-imagine-video@openai-compat
  - id: grok
    prompt: a paper boat on a puddle
    duration: 3
    model: grok-imagine-video
  - id: runway
    prompt: a bicycle crossing a bridge
    duration: 5
    model: veo-3.1-fast@runway
  - id: hailuo
    prompt: a cat on a windowsill
    duration: 6
    model: hailuo-2.3
  - id: queue
    prompt: a kite over a beach
    duration: 5
    model: kling-v3-std@fal
  - id: prediction
    prompt: a lighthouse in a storm
    duration: 6
    model: hailuo-2.3@replicate
  - id: ray
    prompt: a hot-air balloon at dawn
    duration: 5
    model: luma-ray-flash-2
  - id: aggregator
    prompt: a fox in the snow
    duration: 5
    model: kling-v3-std@atlas
"""


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "KLING_API_KEY",
        "KLING_ACCESS_KEY",
        "KLING_SECRET_KEY",
        "GEMINI_API_KEY",
        "ARK_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)


def test_provider_routes_render_through_their_sandboxes_once(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(PRODUCTION)
    with sandboxes(render_fps=24) as servers:
        kling, veo, seedance = servers["kling"], servers["google"], servers["seedance"]
        relay, xai, runway, minimax = (
            servers["openai"],
            servers["xai"],
            servers["runway"],
            servers["minimax"],
        )
        fal, replicate, luma = servers["fal"], servers["replicate"], servers["luma"]
        atlas = servers["atlas"]

        def submits() -> tuple[int, ...]:
            return (
                sum(kling.submits.values()),
                veo.submits,
                seedance.submits,
                relay.submit_count,
                xai.submit_count,
                runway.submits,
                minimax.submits,
                fal.submits,
                replicate.submits,
                luma.submits,
                atlas.submits,
            )

        first = reelforge.render(path, tmp_path / "out", workers=2)
        assert submits() == (1,) * 11  # one paid submit per remote shot
        again = reelforge.render(path, tmp_path / "out2", workers=2)
        assert submits() == (1,) * 11  # unchanged: nothing submitted again
    info = probe(first.cut, count_frames=True)
    shot_frames = [48, 72, 96, 120, 96, 72, 120, 144, 120, 144, 120, 120]
    assert info.frames == first.plan.timeline.frames == sum(shot_frames) - 12
    remote = first.shots[1]
    assert remote.meta["task_id"] in kling.book.tasks
    assert remote.meta["charge"] == str(kling.book.tasks[remote.meta["task_id"]].units)
    html = first.report.read_text()
    assert remote.meta["task_id"] in html and "unit" in html
    assert again.shots[1].cache_hit and again.generations == 0
    _, shots = Store().run(first.run_id)
    assert [s.generator for s in shots] == [
        "previz",
        "kling-v3-std",
        "veo-3.1-fast@gemini",
        "seedance-2.0",
        "grok-imagine-video@openai-compat",
        "grok-imagine-video",
        "veo-3.1-fast@runway",
        "hailuo-2.3",
        "kling-v3-std@fal",
        "hailuo-2.3@replicate",
        "luma-ray-flash-2",
        "kling-v3-std@atlas",
    ]
    assert first.shots[2].meta["provider"] == "google" and first.shots[2].meta["task_id"]


def test_a_shot_the_model_cannot_take_is_refused_before_any_request(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (64, 36), (9, 9, 9)).save(tmp_path / "end.png")
    path = tmp_path / "p.yaml"
    path.write_text(
        PRODUCTION.replace(
            "    model: kling-v3-std\n", "    model: kling-v3-std\n    last_frame: end.png\n"
        )
    )
    with sandboxes() as servers, pytest.raises(reelforge.GeneratorError) as info:
        reelforge.render(path, tmp_path / "out", workers=1)
    message = str(info.value)
    assert "last_frame" in message and "first_frame" in message
    assert servers["kling"].submits == {}  # refused before spending
