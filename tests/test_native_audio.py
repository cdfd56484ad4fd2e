"""The audio a video model generates plays in the cut for its shot's span, in place of our TTS
and ambience; every other shot keeps ours; `--dry-run` and the report say which is which.

The sandboxes give a clip that was asked for audio a sine tone whose pitch encodes the model, so
the cut's spectrum shows whose sound plays where.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from reelforge import load
from reelforge.assembly.native_audio import (
    clip_audio,
    matching_gain_db,
    shot_sound,
    with_model_dialogue,
)
from reelforge.assembly.soundtrack import SAMPLE_RATE, build_soundtrack
from reelforge.audio.loudness import measure_loudness
from reelforge.audio.mix import Clip, mix_timeline
from reelforge.audio.wavio import read_wav, write_wav
from reelforge.cli.app import app
from reelforge.jobs.runner import ShotOutcome
from reelforge.media.probe import probe
from reelforge.pipeline import shot_sounds
from reelforge.plan.plan import Speech, build_plan
from reelforge.production.model import LoadedProduction
from reelforge.sandbox import render as sandbox_render
from reelforge.sandbox.render import render_clip, tone_hz
from reelforge.sandbox.session import sandboxes

FAST, LITE = "veo-3.1-fast@gemini", "veo-3.1-lite@gemini"
FAST_MODEL, LITE_MODEL = "veo-3.1-fast-generate-preview", "veo-3.1-lite-generate-preview"
SEEDANCE, SEEDANCE_MODEL = "seedance-2.0", "dreamina-seedance-2-0-260128"  # audio: a toggle
LOUDNESS = -16.0
MakeClip = Callable[..., Path]

PRODUCTION = f"""\
title: Native audio
delivery: {{resolution: 320x180, fps: 24, loudness: {LOUDNESS}}}
elements:
  Mara: {{description: a street-food cook}}
  Ode: {{description: a courier}}
shots:
  - id: opening
    prompt: a quiet street at night
    duration: 3
    sound: rain
    dialogue: [{{speaker: Mara, line: "Last bowl of the night."}}]
  - id: harbour
    prompt: a drone over the harbour
    duration: 4
    model: {FAST}
    sound: waves, gulls
    dialogue: [{{speaker: Ode, line: "Look at the boats."}}]
    transition: {{kind: crossfade, duration: 0.5}}
  - id: pier
    prompt: an empty pier in the fog
    duration: 4
    model: {LITE}
    sound: wind
    dialogue: [{{speaker: Mara, line: "Cold tonight."}}]
  - id: waves
    prompt: waves breaking on rocks
    duration: 4
    model: {SEEDANCE}
    sound: surf
"""
# On the cut (24 fps): opening 0-3 s, harbour 2.5-6.5 s (crossfading in), pier 6.5-10.5 s,
# waves 10.5-14.5 s.
SPANS = {"opening": (0.2, 2.4), "harbour": (2.7, 6.4), "pier": (6.6, 10.4), "waves": (10.6, 14.4)}
SOUNDS = {"opening": "ours", "harbour": "native", "pier": "ours", "waves": "native"}


def band_share(samples: np.ndarray, hz: float, width: float = 10.0) -> float:
    """The share of a span's energy within ``width`` Hz of ``hz``."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono)))) ** 2
    freqs = np.fft.rfftfreq(len(mono), 1 / SAMPLE_RATE)
    return float(spectrum[np.abs(freqs - hz) <= width].sum() / spectrum.sum())


def span(audio: np.ndarray, name: str) -> np.ndarray:
    a, b = SPANS[name]
    return audio[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)]


def rms_db(samples: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(samples, dtype=np.float64)) + 1e-20))


# -- a render through the sandboxes, once for the module ----------------------------------------


@dataclass(frozen=True)
class Rendered:
    out: Path
    output: str
    again: str  # the CLI output of a second, fully cached render
    again_out: Path
    prompts: dict[str, str]  # Veo model → the prompt its sandbox received
    audio: np.ndarray


def _report_sounds(report: Path) -> dict[str, str]:
    html = report.read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td>\d+</td><td>([\w-]+)</td>\s*<td data-sound=\"(\w+)\">", html)
    return dict(rows)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    root = tmp_path_factory.mktemp("native-audio")
    prod = root / "p.yaml"
    prod.write_text(PRODUCTION, encoding="utf-8")
    real_tone = sandbox_render.add_tone

    def tone_except_lite(path: Path, seconds: float, hz: float) -> None:
        # The Lite model's clip comes back without its audio track: that shot must fall back.
        if hz != tone_hz(LITE_MODEL):
            real_tone(path, seconds, hz)

    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REELFORGE_HOME", str(root / "home"))
        mp.delenv("REELFORGE_DATABASE_URL", raising=False)
        mp.setattr(sandbox_render, "add_tone", tone_except_lite)
        with sandboxes(render_fps=24) as boxes:
            first = runner.invoke(app, ["render", str(prod), "-o", str(root / "out")])
            again = runner.invoke(app, ["render", str(prod), "-o", str(root / "again")])
            prompts = {
                r.json()["instances"][0]["prompt"]: r.path
                for r in boxes["google"].log
                if r.method == "POST" and r.path.endswith(":predictLongRunning")
            }
    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    by_model = {
        model: prompt for prompt, path in prompts.items() for model in (FAST_MODEL, LITE_MODEL)
        if model in path
    }  # fmt: skip
    audio = clip_audio(root / "out" / "native-audio.mp4", SAMPLE_RATE)
    assert audio is not None
    yield Rendered(root / "out", first.output, again.output, root / "again", by_model, audio)


def test_the_provider_shot_plays_its_clips_audio_and_not_our_tts(rendered: Rendered) -> None:
    harbour = span(rendered.audio, "harbour")
    # Nearly all of the span's energy is the fast model's tone: no TTS line, no ambience bed.
    assert band_share(harbour, tone_hz(FAST_MODEL)) > 0.9
    assert rms_db(harbour) > -40
    # A toggle model asked for sound (the shot has a sound cue) plays its own too.
    assert band_share(span(rendered.audio, "waves"), tone_hz(SEEDANCE_MODEL)) > 0.9


def test_the_previz_shot_and_a_clip_without_audio_keep_ours(rendered: Rendered) -> None:
    for name in ("opening", "pier"):
        ours = span(rendered.audio, name)
        assert rms_db(ours) > -50, f"{name} is silent"
        assert band_share(ours, tone_hz(FAST_MODEL)) < 0.1, name
        assert band_share(ours, tone_hz(LITE_MODEL)) < 0.1, name
    # Our sound is broadband (speech over ambience), unlike a tone.
    spectrum = np.abs(np.fft.rfft(span(rendered.audio, "opening").mean(axis=1))) ** 2
    assert spectrum.max() / spectrum.sum() < 0.2


def test_the_cut_is_still_normalised_to_the_delivery_loudness(rendered: Rendered) -> None:
    measured = measure_loudness(rendered.out / "native-audio.mp4")
    assert abs(measured.integrated - LOUDNESS) <= 1.0
    assert measured.true_peak <= -0.5


def test_the_report_and_the_cli_say_whose_sound_each_shot_plays(rendered: Rendered) -> None:
    report = rendered.out / "native-audio.report.html"
    assert _report_sounds(report) == SOUNDS
    html = unescape(report.read_text(encoding="utf-8"))
    assert "from the model: its own dialogue and ambience" in html
    # The missing track is a warning, on the terminal and in the report.
    warning = "shot 'pier': the model's clip came back without an audible audio track"
    assert warning in html
    assert warning in " ".join(rendered.output.split())


def test_a_cached_rerun_labels_the_same_shots_native(rendered: Rendered) -> None:
    assert "0 shot(s) generated, 4 from cache" in rendered.again
    report = rendered.again_out / "native-audio.report.html"
    assert _report_sounds(report) == SOUNDS


def test_the_model_is_asked_to_speak_the_lines_and_subtitles_keep_their_timing(
    rendered: Rendered,
) -> None:
    assert 'Ode says: "Look at the boats."' in rendered.prompts[FAST_MODEL]
    assert 'Mara says: "Cold tonight."' in rendered.prompts[LITE_MODEL]
    srt = (rendered.out / "native-audio.srt").read_text(encoding="utf-8")
    # harbour starts at 2.5 s; its untimed first line at +0.3 s, as planned for our TTS.
    assert "00:00:02,800 -->" in srt and "Ode: Look at the boats." in srt


# -- the parts, without a render ------------------------------------------------------------------


def test_sandbox_clips_carry_the_models_tone_only_when_audio_was_asked(tmp_path: Path) -> None:
    def clip(name: str, audio: bool) -> Path:
        return render_clip(
            tmp_path / name, task_id="t", model="m-one", mode="720p", prompt="a boat",
            seconds=2, fps=24, aspect="16:9", audio=audio,
        )  # fmt: skip

    silent = clip("a.mp4", audio=False)
    assert probe(silent).audio_codec is None and clip_audio(silent, SAMPLE_RATE) is None
    loud = clip("b.mp4", audio=True)
    info = probe(loud)
    assert info.audio_codec == "aac" and abs(info.audio_duration - 2.0) < 0.1
    samples = clip_audio(loud, SAMPLE_RATE)
    assert samples is not None and band_share(samples, tone_hz("m-one")) > 0.95
    assert tone_hz("m-one") != tone_hz("m-two") and 300 <= tone_hz("m-two") < 1500


def _loaded(tmp_path: Path, text: str = PRODUCTION) -> LoadedProduction:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return load(path)


VERSIONS = {"previz": ("p1", True), FAST: ("f", False), LITE: ("l", False), SEEDANCE: ("s", False)}
MAKES = {"previz": False, FAST: True, LITE: True, SEEDANCE: True}


def test_audio_making_models_get_the_lines_and_keys_do_not_follow_our_tts(tmp_path: Path) -> None:
    loaded = _loaded(tmp_path)
    plain = build_plan(loaded, {}, VERSIONS)
    spoken = with_model_dialogue(plain, MAKES)
    opening, harbour = spoken.shots[0], spoken.shots[1]
    assert opening == plain.shots[0]  # previz draws its lines itself: unchanged
    assert [(d.speaker, d.text) for d in harbour.request.dialogue] == [
        ("Ode", "Look at the boats.")
    ]
    assert harbour.cache_key != plain.shots[1].cache_key  # a different request to the model
    # Once speech is timed, the previz key follows it, the model's request does not.
    wav = write_wav(tmp_path / "s.wav", np.zeros(4800, dtype=np.float32), SAMPLE_RATE)
    speech = {(0, 0): Speech(wav, 1.7), (1, 0): Speech(wav, 2.9), (2, 0): Speech(wav, 1.1)}
    timed = with_model_dialogue(build_plan(loaded, speech, VERSIONS), MAKES)
    assert timed.shots[1].cache_key == harbour.cache_key
    assert timed.shots[0].cache_key != opening.cache_key
    # A model without native audio is not asked to speak (its request and key are unchanged).
    silent = with_model_dialogue(plain, {**MAKES, FAST: False})
    assert silent.shots[1] == plain.shots[1]


def test_the_rule_for_one_shot(tmp_path: Path) -> None:
    voice = write_wav(tmp_path / "ode.wav", np.zeros(4800, dtype=np.float32), SAMPLE_RATE)
    text = PRODUCTION.replace(
        "Ode: {description: a courier}", f"Ode: {{description: a courier, voice: {voice.name}}}"
    ).replace('    sound: wind\n    dialogue: [{speaker: Mara, line: "Cold tonight."}]\n', "")
    plan = build_plan(_loaded(tmp_path, text), {}, VERSIONS)
    opening, harbour, pier, _ = plan.shots
    assert not shot_sound(opening, plan.loaded, makes_audio=False).native
    native = shot_sound(harbour, plan.loaded, makes_audio=True)
    assert native.native and native.detail == "from the model: its own dialogue and ambience"
    # Ode's chosen voice cannot apply where the model voices the shot: said, not silently lost.
    assert "Ode's voice 'ode.wav' not used: the model voices this shot" in native.warning
    missing = shot_sound(harbour, plan.loaded, makes_audio=True, clip_has_audio=False)
    assert missing.source == "ours" and "without an audible audio track" in missing.warning
    muted = shot_sound(pier, plan.loaded, makes_audio=True)  # asks for no dialogue or sound
    assert muted.source == "ours" and "the model's audio is muted" in muted.detail


def test_a_clip_without_audio_falls_back_to_exactly_our_soundtrack(
    tmp_path: Path, make_clip: MakeClip
) -> None:
    plan = build_plan(_loaded(tmp_path), {}, VERSIONS)
    mute = make_clip("mute.mp4", 4.0)
    outcomes = [ShotOutcome(i, "done", False, 0.0, path=mute, has_audio=i > 0) for i in range(4)]
    sounds = shot_sounds(plan, outcomes, [1, 2, 3])
    assert [s.source for s in sounds] == ["ours"] * 4
    assert all("without an audible audio track" in s.warning for s in sounds[1:])
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    ours = build_soundtrack(plan, tmp_path / "a")
    fallback = build_soundtrack(plan, tmp_path / "b", native={1: mute, 2: mute, 3: mute})
    assert np.array_equal(read_wav(ours.path)[0], read_wav(fallback.path)[0])


def test_a_native_track_replaces_bed_and_lines_for_its_span_only(
    tmp_path: Path, make_clip: MakeClip
) -> None:
    plan = build_plan(_loaded(tmp_path), {}, VERSIONS)
    toned = make_clip("toned.mp4", 4.0, tone=1000)
    track = build_soundtrack(plan, tmp_path, native={1: toned})
    audio, _ = read_wav(track.path)
    assert band_share(span(audio, "harbour"), 1000) > 0.9
    assert band_share(span(audio, "opening"), 1000) < 0.02
    assert band_share(span(audio, "pier"), 1000) < 0.02
    assert track.loudness.on_target


def test_a_model_track_is_levelled_to_what_ours_would_measure() -> None:
    t = np.arange(SAMPLE_RATE * 2) / SAMPLE_RATE
    quiet = np.stack([0.01 * np.sin(2 * np.pi * 440 * t)] * 2, axis=1).astype(np.float32)
    ours = quiet * np.float32(10 ** (12 / 20))
    assert abs(matching_gain_db(quiet, ours, SAMPLE_RATE) - 12.0) < 0.1
    silent = np.zeros_like(quiet)
    assert matching_gain_db(silent, ours, SAMPLE_RATE) == 0.0  # nothing to level: left alone
    assert matching_gain_db(quiet * 0.05, ours, SAMPLE_RATE) == 20.0  # capped, not a roar


def test_a_premixed_track_is_not_ducked_under_neighbouring_dialogue() -> None:
    n = SAMPLE_RATE
    bed = np.full((n, 2), 0.1, dtype=np.float32)
    line = np.full(n // 2, 0.2, dtype=np.float32)
    ducked = mix_timeline(n, [Clip(0, bed)], [Clip(0, line)])
    kept = mix_timeline(n, [], [Clip(0, line)], premixed=[Clip(0, bed)])
    late = slice(n // 4, n // 2 - 100)  # inside the line: the bed is ducked, the premix not
    assert np.allclose(kept[late] - ducked[late], 0.1 - 0.1 * 10 ** (-10 / 20), atol=1e-4)


# -- --dry-run ------------------------------------------------------------------------------------


def test_dry_run_says_per_shot_whether_the_sound_is_native_or_ours(tmp_path: Path) -> None:
    voice = write_wav(tmp_path / "ode.wav", np.zeros(4800, dtype=np.float32), SAMPLE_RATE)
    text = (
        PRODUCTION.replace(
            "Ode: {description: a courier}",
            f"Ode: {{description: a courier, voice: {voice.name}}}",
        )
        + "  - {id: storm, prompt: a storm, duration: 6, model: hailuo-2.3, sound: thunder}\n"
        + f"  - {{id: quiet, prompt: a still lake, duration: 4, model: {FAST}}}\n"
    )
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["render", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    blocks = dict(re.findall(r"\d+\. (\w+) (.*?)(?= \d+\. \w+ | total quoted)", out))
    assert (
        "emulated: sound: ours (reelforge TTS dialogue + synthesized ambience)" in blocks["opening"]
    )
    assert (
        "native: text-to-video, sound: native (from the model: its own dialogue and"
        in (blocks["harbour"])
    )
    assert "Ode's voice 'ode.wav' not used" in blocks["harbour"]
    assert "ours (" not in blocks["harbour"] and "TTS" not in blocks["harbour"]
    assert "sound: ours (synthesized ambience)" in blocks["storm"]  # no native audio
    assert "the model's audio is muted" in blocks["quiet"]  # Veo always makes it; none asked
    assert "not used in the mix" not in out


def test_audio_ours_keeps_the_model_out_of_the_sound_and_the_bill(tmp_path: Path) -> None:
    """`audio: ours` on a shot: the model is not asked for audio (a toggle stays off, so a
    route that bills audio quotes less) nor given the lines; the mix uses our TTS and ambience."""
    from reelforge.pipeline import price_production

    speaking = PRODUCTION.replace(
        f"    model: {SEEDANCE}\n    sound: surf\n",
        f'    model: {SEEDANCE}\n    sound: surf\n    dialogue: [{{speaker: Ode, line: "Hi."}}]\n',
    )
    ours = speaking.replace(f"    model: {SEEDANCE}\n", f"    model: {SEEDANCE}\n    audio: ours\n")
    auto_plan = with_model_dialogue(build_plan(_loaded(tmp_path, speaking), {}, VERSIONS), MAKES)
    ours_plan = with_model_dialogue(build_plan(_loaded(tmp_path, ours), {}, VERSIONS), MAKES)
    waves_auto, waves_ours = auto_plan.shots[3], ours_plan.shots[3]
    assert waves_auto.request.dialogue and waves_auto.request.sound == "surf"
    assert not waves_ours.request.dialogue and waves_ours.request.sound == ""
    assert shot_sound(waves_auto, auto_plan.loaded, makes_audio=True).native
    sound = shot_sound(waves_ours, ours_plan.loaded, makes_audio=True)
    assert sound.source == "ours" and "audio: ours" in sound.detail
    # The other shots are untouched by one shot's choice.
    assert auto_plan.shots[:3] == ours_plan.shots[:3]

    def waves_quote(text: str) -> Decimal:
        quote = price_production(_loaded(tmp_path, text))
        (line,) = [s for s in quote.shots if s.shot_id == "waves"]
        assert line.quote is not None
        return line.quote

    # Kling v3 bills audio as a toggle: asked for with `auto`, not with `ours`.
    kling = [t.replace(f"model: {SEEDANCE}", "model: kling-v3-std") for t in (speaking, ours)]
    assert waves_quote(kling[1]) < waves_quote(kling[0])


def test_kling_sandbox_clips_carry_audio_when_sound_was_asked() -> None:
    """Kling's sandbox, like Kling, returns a clip with sound when `sound` is on (v1 and Omni)
    and for lip sync, and a silent one otherwise."""
    from reelforge.sandbox.kling_tasks import KlingTask, clip_spec

    def spec(route: str, **body: Any) -> Any:
        return clip_spec(KlingTask("t", route, body, 0.0, 0.0, 0.0, source_seconds=5))

    v3 = {"model_name": "kling-v3", "prompt": "a boat", "duration": "5"}
    assert spec("text2video", **v3, sound="on").sound
    assert not spec("text2video", **v3, sound="off").sound
    assert not spec("text2video", **v3).sound
    omni = {"model_name": "kling-video-3o", "prompt": "a boat", "duration": "5"}
    assert spec("omni-video", **omni, sound="on").sound
    assert not spec("omni-video", **omni).sound
    assert spec("lip-sync", input={"video_id": "v1", "mode": "text2video", "text": "hi"}).sound
