"""The main job end to end: a production file becomes a cut, a report and store records."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from reelforge.generators.registry import generator_names
from reelforge.media.probe import probe
from reelforge.pipeline import render_production
from reelforge.production import load_production
from reelforge.store import Store

PRODUCTION = """\
title: Pipeline Test
delivery: {{resolution: 320x180, fps: 24, loudness: {loudness}, subtitles: sidecar}}
elements:
  Ana: {{description: a cook, references: [ana.png]}}
  Ben: {{description: a courier}}
shots:
  - id: one
    prompt: night market in the rain, neon
    duration: 2
    camera: dolly_in
    elements: [Ana]
    sound: rain, crowd
    dialogue:
      - {{speaker: Ana, line: "{line}"}}
    seed: 1
  - id: two
    prompt: foggy street at dawn
    duration: 1.5
    camera: pan_left
    elements: [Ben]
    sound: wind
    transition: {{kind: crossfade, duration: 0.5}}
    seed: 2
  - id: three
    prompt: golden hour rooftop
    duration: 1.5
    camera: static
    elements: [Ana, Ben]
    dialogue:
      - {{speaker: Ben, line: "See you tomorrow."}}
    seed: {seed3}
"""


def write_production(
    folder: Path, *, line: str = "Last bowl tonight.", seed3: int = 3, loudness: float = -14
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 96), (200, 40, 40)).save(folder / "ana.png")
    path = folder / "production.yaml"
    path.write_text(PRODUCTION.format(line=line, seed3=seed3, loudness=loudness))
    return path


def render(path: Path, out: Path, store: Store):  # type: ignore[no-untyped-def]
    loaded = load_production(path, known_models=generator_names())
    return render_production(loaded, out, store=store, workers=2)


@pytest.fixture(scope="module")
def first_render(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("prod")
    store = Store(home=folder / "home")
    path = write_production(folder)
    return folder, store, path, render(path, folder / "out", store)


def test_cut_matches_the_delivery_spec(first_render) -> None:  # type: ignore[no-untyped-def]
    _, _, _, result = first_render
    info = probe(result.cut, count_frames=True)
    expected_frames = 48 + 36 + 36 - 12
    assert info.frames == expected_frames == result.plan.timeline.frames
    assert (info.width, info.height, info.pix_fmt, info.video_codec) == (
        320,
        180,
        "yuv420p",
        "h264",
    )
    assert info.audio_codec == "aac" and abs(info.audio_duration - expected_frames / 24) < 1 / 24
    assert abs(result.loudness_measured - (-14)) <= 1.0
    assert result.true_peak <= -0.9
    assert result.srt is not None and "Ana: Last bowl tonight." in result.srt.read_text()


def test_report_holds_provenance(first_render) -> None:  # type: ignore[no-untyped-def]
    _, _, _, result = first_render
    html = result.report.read_text()
    for shot_id in ("one", "two", "three"):
        assert shot_id in html
    assert html.count("data:image/jpeg;base64,") >= 6  # contact sheet thumbnails inline
    assert "previz" in html and "generated" in html and "LUFS" in html


def test_store_records_run_and_shots(first_render) -> None:  # type: ignore[no-untyped-def]
    _, store, _, result = first_render
    run, shots = store.run(result.run_id)
    assert run.status == "done" and run.out_path == str(result.cut)
    assert [s.shot_id for s in shots] == ["one", "two", "three"]
    assert all(not s.cache_hit and s.asset_sha256 for s in shots)


def test_unchanged_production_generates_nothing(first_render) -> None:  # type: ignore[no-untyped-def]
    folder, store, path, first = first_render
    before = store.generation_count(include_assembly=True)
    again = render(path, folder / "out2", store)
    assert store.generation_count(include_assembly=True) == before  # not even the assembly
    assert again.assembly_mode == "cache"
    assert again.generations == 0 and all(s.cache_hit for s in again.shots)
    assert probe(again.cut, count_frames=True).frames == first.plan.timeline.frames


def test_editing_one_shot_regenerates_exactly_that_shot(first_render) -> None:  # type: ignore[no-untyped-def]
    folder, store, _, _ = first_render
    edited = write_production(folder / "edited", seed3=99)
    before = store.generation_count()
    result = render(edited, folder / "out3", store)
    assert store.generation_count() == before + 1
    assert [s.cache_hit for s in result.shots] == [True, True, False]


def test_editing_a_line_regenerates_only_its_shot(first_render) -> None:  # type: ignore[no-untyped-def]
    # previz burns the dialogue into its frames, so a new line changes shot one's pixels only.
    folder, store, _, _ = first_render
    edited = write_production(folder / "line", line="Kitchen is closed.")
    result = render(edited, folder / "out4", store)
    assert [s.cache_hit for s in result.shots] == [False, True, True]


def test_loudness_target_is_met_for_another_target(tmp_path: Path) -> None:
    store = Store(home=tmp_path / "home")
    path = write_production(tmp_path, loudness=-23)
    result = render(path, tmp_path / "out", store)
    assert abs(result.loudness_measured - (-23)) <= 1.0


def test_python_api_and_cli_history(tmp_path: Path) -> None:
    """`reelforge.render` records a run that `reel runs` and `reel show` then list."""
    from typer.testing import CliRunner

    import reelforge
    from reelforge.cli.app import app

    path = write_production(tmp_path)
    result = reelforge.render(path, tmp_path / "out", workers=1)
    assert result.cut.is_file() and result.report.is_file()
    runner = CliRunner()
    listing = runner.invoke(app, ["runs"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0 and result.run_id in listing.output
    shown = runner.invoke(app, ["show", result.run_id[:12]], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    for shot_id in ("one", "two", "three"):
        assert shot_id in shown.output
    assert "generated" in shown.output and str(result.cut) in shown.output.replace("\n", "")


def test_a_failing_shot_fails_the_run_but_keeps_the_others(tmp_path: Path) -> None:
    from typing import ClassVar

    import reelforge
    from reelforge._exceptions import GeneratorError
    from reelforge.generators.base import GeneratedClip, ShotRequest
    from reelforge.generators.registry import _FACTORIES, _INSTANCES, register_generator

    class Broken:
        name: ClassVar[str] = "broken"
        version: ClassVar[str] = "1"
        burns_dialogue: ClassVar[bool] = False
        native_audio: ClassVar[bool] = False

        def render(self, request: ShotRequest, out: Path) -> GeneratedClip:
            raise GeneratorError("the model refused", shot_id=request.shot_id, generator="broken")

    register_generator("broken", Broken)
    try:
        path = write_production(tmp_path)
        path.write_text(
            path.read_text().replace("    seed: 2\n", "    seed: 2\n    model: broken\n")
        )
        with pytest.raises(GeneratorError, match="shot 'two' \\(broken\\): the model refused"):
            reelforge.render(path, tmp_path / "out", workers=1)
        run = Store().runs(1)[0]
        assert run.status == "failed" and "the model refused" in (run.error or "")
        _, shots = Store().run(run.id)
        assert [s.status for s in shots] == ["done", "failed", "done"]
        assert Store().generation_count() == 2  # the two good shots are kept for next time
    finally:
        _FACTORIES.pop("broken", None)
        _INSTANCES.pop("broken", None)
