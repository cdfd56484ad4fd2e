"""The main job: production → speech → plan → shot renders → soundtrack → assembly → report.

Each stage lives in its own package; this module only sequences them, records the run in the
store and reports progress.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from reelforge._exceptions import BudgetExceeded, GeneratorError, Problem, ProductionError
from reelforge.assembly.assemble import Conform
from reelforge.assembly.subtitles import Cue, write_srt
from reelforge.generators.base import Generator
from reelforge.jobs.crash import crash_point
from reelforge.jobs.events import EventSink, ShotEvent, StageEvent, ignore
from reelforge.jobs.runner import ShotOutcome, ShotRunner, make_pool
from reelforge.plan.cache_key import cache_key
from reelforge.plan.plan import Plan, Speech, build_plan
from reelforge.plan.quote import PlanQuote
from reelforge.production.model import LoadedProduction
from reelforge.store import Store

if TYPE_CHECKING:
    from reelforge.assembly.native_audio import ShotSound


@dataclass
class RenderResult:
    run_id: str
    cut: Path
    report: Path
    srt: Path | None
    plan: Plan
    shots: list[ShotOutcome]
    loudness_target: float
    loudness_measured: float
    true_peak: float
    assembly_mode: str
    wall_seconds: float
    generations: int
    warnings: list[str] = field(default_factory=list)
    sounds: list[ShotSound] = field(default_factory=list)  # per shot: native or ours


def slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:60] or "cut"


def check_generators(loaded: LoadedProduction) -> None:
    """Every shot's `model` must name a known generator: a file problem, found before work."""
    from reelforge.generators.registry import generator_names, get_generator
    from reelforge.production.loader import locate

    problems: list[Problem] = []
    for index, shot in enumerate(loaded.production.shots):
        try:
            get_generator(shot.model)
        except GeneratorError as exc:
            line, column = locate(loaded, f"shots[{index}].model")
            message = str(exc) if shot.model else f"choose one of {generator_names()}"
            problems.append(
                Problem(str(loaded.source), line, column, f"shots[{index}].model", message)
            )
    if problems:
        raise ProductionError(problems)


def synthesize_speech(
    loaded: LoadedProduction, store: Store
) -> tuple[dict[tuple[int, int], Speech], str]:
    from reelforge.audio.tts import SpeechRequest, available_engine, cast_voices, synthesize_lines
    from reelforge.audio.tts.voices import looks_like_path

    production = loaded.production
    cast: dict[str, str | None] = {}
    for shot in production.shots:
        for line in shot.dialogue:
            element = production.elements.get(line.speaker)
            voice = element.voice if element else None
            if voice and looks_like_path(voice):  # a reference clip, relative to the file
                voice = str(loaded.resolve(voice))
            cast[line.speaker] = voice
    voices = cast_voices(cast)  # the whole cast at once, so no two characters sound alike
    keys: list[tuple[int, int]] = []
    requests = []
    for s_index, shot in enumerate(production.shots):
        for l_index, line in enumerate(shot.dialogue):
            keys.append((s_index, l_index))
            requests.append(SpeechRequest(line.line, voices[line.speaker], line.speaker))
    if not requests:
        return {}, "none"
    engine = available_engine()
    speeches = synthesize_lines(requests, store.cache_dir / "speech")
    return {k: Speech(s.path, s.duration) for k, s in zip(keys, speeches, strict=True)}, engine


def check_budget(plan: Plan, store: Store) -> None:
    """Refuse before anything is spent when the quoted shots would cross a budget cap."""
    from reelforge.config import load_config
    from reelforge.plan.quote import quote_plan

    quoted = quote_plan(plan, store, load_config().monthly_budget_usd)
    problems = quoted.over_caps()
    if problems:
        raise BudgetExceeded(
            "refused before any submit: " + "; ".join(problems) + " (see `reel render --dry-run`)"
        )


def price_production(loaded: LoadedProduction, store: Store | None = None) -> PlanQuote:
    """`reel render --dry-run`: the plan priced from the catalogue; nothing rendered or sent."""
    from reelforge.config import load_config
    from reelforge.generators.registry import get_generator
    from reelforge.plan.quote import quote_plan

    check_generators(loaded)
    generators = {s.model: get_generator(s.model) for s in loaded.production.shots}
    versions = {n: (g.version, g.burns_dialogue) for n, g in generators.items()}
    plan = spoken_plan(build_plan(loaded, {}, versions), generators)
    return quote_plan(plan, store, load_config().monthly_budget_usd)


def spoken_plan(plan: Plan, generators: Mapping[str, Generator]) -> Plan:
    """The plan whose shots on audio-making models ask the model to speak their lines."""
    from reelforge.assembly.native_audio import with_model_dialogue

    makes = {n: bool(getattr(g, "native_audio", False)) for n, g in generators.items()}
    return with_model_dialogue(plan, makes)


def native_candidates(plan: Plan, generators: Mapping[str, Generator]) -> list[int]:
    """Shots that may play their model's own audio (decided for sure once their clip exists)."""
    from reelforge.assembly.native_audio import wants_audio

    return [
        p.index
        for p in plan.shots
        if getattr(generators[p.generator], "native_audio", False) and wants_audio(p.shot)
    ]


CUT_VERSION = "1"  # bump when the soundtrack or assembly changes what a cut contains


def subtitle_cues(plan: Plan, generators: Mapping[str, Generator]) -> tuple[list[Cue], list[Cue]]:
    """All dialogue cues on the cut's timeline, and those to burn (generator did not draw them)."""
    fps = plan.timeline.fps
    burn_mode = plan.loaded.production.delivery.subtitles.value == "burn"
    cues: list[Cue] = []
    burn: list[Cue] = []
    for planned in plan.shots:
        shot_start, shot_end = planned.slot.start / fps, planned.slot.end / fps
        for line in planned.lines:
            start = shot_start + line.start
            cue = Cue(start, min(start + line.duration, shot_end), f"{line.speaker}: {line.text}")
            cues.append(cue)
            if burn_mode and not generators[planned.generator].burns_dialogue:
                burn.append(cue)
    return cues, burn


def delivery_spec(loaded: LoadedProduction, preset: str | None) -> Conform:
    production = loaded.production
    width, height = production.delivery.size
    # A cut made only of previz is a draft: favour speed; anything else gets a careful encode.
    draft = all(s.model == "previz" for s in production.shots)
    chosen = preset or ("veryfast" if draft else "medium")
    return Conform(width, height, production.delivery.fps, preset=chosen)


def cut_cache_key(
    plan: Plan, spec: Conform, burn: list[Cue], native: list[int] | None = None
) -> str:
    """Everything that changes the finished cut: shots, timeline, speech, sound, delivery."""
    from reelforge import __version__

    # Only productions with shots that may play a model's audio key on the rule, so the cuts of
    # all the others keep their keys.
    extra = {}
    if native:
        from reelforge.assembly.native_audio import RULE_VERSION

        extra = {"native_audio": {"rule": RULE_VERSION, "shots": native}}
    return cache_key(
        generator="assembly",
        version=f"{CUT_VERSION}/{__version__}",
        request={
            "shots": [p.cache_key for p in plan.shots],
            "timeline": plan.timeline,
            "lines": plan.lines,
            "sound": [(p.shot.sound, p.shot.seed) for p in plan.shots],
            "delivery": plan.loaded.production.delivery.model_dump(mode="json"),
            "spec": spec,
            "burn": burn,
            **extra,
        },
    )


def render_production(
    loaded: LoadedProduction,
    out_dir: Path,
    *,
    store: Store | None = None,
    on_event: EventSink = ignore,
    preset: str | None = None,
    workers: int | None = None,
    run_id: str | None = None,
    local_worker: bool | None = None,
) -> RenderResult:
    """Render ``loaded`` into ``out_dir``. With ``run_id``, carry on that (interrupted) run:
    finished shots come from the cache and provider jobs in flight are re-attached."""
    from reelforge.audio.loudness import measure_loudness
    from reelforge.generators.registry import get_generator
    from reelforge.report.thumbnails import frame_thumbnails

    started = time.perf_counter()
    check_generators(loaded)
    production = loaded.production
    generators = {s.model: get_generator(s.model) for s in production.shots}
    # Workers first (see make_pool: no forking once threads spawn subprocesses), then speech,
    # which heads the critical path: dialogue shots wait for its timing.
    pool = make_pool(workers, generators)
    store = store or Store()
    speech_thread, side_thread = ThreadPoolExecutor(1), ThreadPoolExecutor(1)
    on_event(StageEvent("speech", "started"))
    speech_future = speech_thread.submit(synthesize_speech, loaded, store)
    source_bytes = loaded.source.read_bytes()
    cap = production.delivery.max_budget_usd
    options = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "out_dir": str(out_dir.resolve()),
        "preset": preset,
        "max_budget_micros": None if cap is None else int(Decimal(str(cap)) * 1_000_000),
    }
    if run_id is None:
        run_id = store.start_run(
            title=production.title,
            source=str(loaded.source),
            production_sha256=hashlib.sha256(source_bytes).hexdigest(),
            options=options,
        )
    else:
        store.reopen_run(run_id, options)
    generations_before = store.generation_count()
    work = Path(tempfile.mkdtemp(prefix=f"run-{run_id}-", dir=store.cache_dir))
    try:
        versions = {n: (g.version, g.burns_dialogue) for n, g in generators.items()}
        # Shots whose pixels depend on speech timing wait for it; the others start at once.
        waits = {i for i, s in enumerate(production.shots) if s.dialogue and versions[s.model][1]}
        with ShotRunner(
            store, on_event, pool=pool, run_id=run_id, local_worker=local_worker
        ) as runner:
            early = spoken_plan(build_plan(loaded, {}, versions), generators)
            check_budget(early, store)
            for planned in early.shots:
                if planned.index in waits:
                    on_event(ShotEvent(planned.index, planned.shot.id, "waiting"))
            on_event(StageEvent("shots", "started"))
            runner.submit(p for p in early.shots if p.index not in waits)
            speech, tts_engine = speech_future.result()
            on_event(StageEvent("speech", "done", f"{len(speech)} line(s), {tts_engine}"))
            plan = spoken_plan(build_plan(loaded, speech, versions), generators)
            runner.submit(p for p in plan.shots if p.index in waits)

            cues, burn = subtitle_cues(plan, generators)
            spec = delivery_spec(loaded, preset)
            candidates = native_candidates(plan, generators)
            cut_key = cut_cache_key(plan, spec, burn, candidates)
            cached_cut = store.cached(cut_key)
            soundtrack = None
            # A model's own audio is only known once its clip is in: then the mix waits for it.
            if cached_cut is None and not candidates:
                on_event(StageEvent("audio", "started"))
                # Imported here, not at the top: scipy must not delay the start of speech.
                from reelforge.assembly.soundtrack import build_soundtrack

                soundtrack = build_soundtrack(plan, work)  # overlaps the shot renders
                on_event(StageEvent("audio", "done"))
            outcomes = runner.collect()
        _record_shots(store, run_id, plan, outcomes)
        on_event(StageEvent("shots", "done"))
        sounds = shot_sounds(plan, outcomes, candidates)
        warnings = [*plan.warnings, *(s.warning for s in sounds if s.warning)]
        if cached_cut is None and soundtrack is None:
            from reelforge.assembly.soundtrack import build_soundtrack

            on_event(StageEvent("audio", "started"))
            native = {
                o.index: o.path
                for o, s in zip(outcomes, sounds, strict=True)
                if s.native and o.path is not None
            }
            soundtrack = build_soundtrack(plan, work, native=native)
            on_event(StageEvent("audio", "done", sound_summary(sounds)))

        mode = production.delivery.subtitles.value
        out_dir.mkdir(parents=True, exist_ok=True)
        slug = slugify(production.title)
        srt = write_srt(cues, out_dir / f"{slug}.srt") if cues and mode == "sidecar" else None

        on_event(StageEvent("assembly", "started"))
        # The contact sheet reads only the shot clips: make it while the cut is assembled.
        thumbs_future = side_thread.submit(
            lambda: {o.index: frame_thumbnails(o.path) if o.path else [] for o in outcomes}
        )
        crash_point("assemble")
        if cached_cut is not None:
            cut_sha, assembly_mode = cached_cut.sha256, "cache"
        else:
            assert soundtrack is not None
            cut_sha, assembly_mode = _assemble_cut(
                store, plan, outcomes, spec, soundtrack.path, burn, cut_key, work / f"{slug}.mp4"
            )
        cut = store.assets.copy_out(cut_sha, out_dir / f"{slug}.mp4")
        on_event(StageEvent("assembly", "done", assembly_mode))

        on_event(StageEvent("report", "started"))
        generations = store.generation_count() - generations_before
        measured = measure_loudness(cut)
        thumbs = thumbs_future.result()
        report = _write_report(
            out_dir / f"{slug}.report.html",
            plan=plan,
            outcomes=outcomes,
            run_id=run_id,
            cut=cut,
            srt=srt,
            assembly_mode=assembly_mode,
            loudness=(production.delivery.loudness, measured.integrated, measured.true_peak),
            tts_engine=tts_engine,
            wall=time.perf_counter() - started,
            generations=generations,
            thumbs=thumbs,
            sounds=sounds,
            warnings=warnings,
        )
        on_event(StageEvent("report", "done"))
        wall = time.perf_counter() - started
        store.finish_run(
            run_id,
            status="done",
            out_path=str(cut),
            report_path=str(report),
            cut_sha256=cut_sha,
            summary={
                "shots": len(plan.shots),
                "frames": plan.timeline.frames,
                "generations": generations,
                "loudness": measured.integrated,
                "wall_seconds": round(wall, 3),
            },
        )
        return RenderResult(
            run_id=run_id,
            cut=cut,
            report=report,
            srt=srt,
            plan=plan,
            shots=outcomes,
            loudness_target=production.delivery.loudness,
            loudness_measured=measured.integrated,
            true_peak=measured.true_peak,
            assembly_mode=assembly_mode,
            wall_seconds=wall,
            generations=generations,
            warnings=warnings,
            sounds=sounds,
        )
    except BaseException as exc:
        store.finish_run(run_id, status="failed", error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    finally:
        speech_thread.shutdown(wait=True, cancel_futures=True)
        side_thread.shutdown(wait=True, cancel_futures=True)
        pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(work, ignore_errors=True)


def shot_sounds(plan: Plan, outcomes: list[ShotOutcome], candidates: list[int]) -> list[ShotSound]:
    """Per shot, whose sound it plays in the cut: the rule applied to its rendered clip."""
    from reelforge.assembly.native_audio import clip_audio, shot_sound
    from reelforge.assembly.soundtrack import SAMPLE_RATE

    sounds = []
    for planned, outcome in zip(plan.shots, outcomes, strict=True):
        audible = None
        if planned.index in candidates and outcome.has_audio and outcome.path is not None:
            audible = clip_audio(outcome.path, SAMPLE_RATE) is not None
        sounds.append(
            shot_sound(planned, plan.loaded, makes_audio=outcome.has_audio, clip_has_audio=audible)
        )
    return sounds


def sound_summary(sounds: list[ShotSound]) -> str:
    native = sum(s.native for s in sounds)
    return f"{native} shot(s) with the model's own audio, {len(sounds) - native} with ours"


def _record_shots(store: Store, run_id: str, plan: Plan, outcomes: list[ShotOutcome]) -> None:
    for planned, outcome in zip(plan.shots, outcomes, strict=True):
        store.add_shot_render(
            run_id,
            position=planned.index,
            shot_id=planned.shot.id,
            generator=planned.generator,
            cache_key=planned.cache_key,
            cache_hit=outcome.cache_hit,
            seed=planned.shot.seed,
            frames=planned.slot.frames,
            seconds=outcome.seconds,
            status=outcome.status,
            asset_sha256=outcome.asset_sha256,
            generation_id=outcome.generation_id,
            error=outcome.error,
        )
    failed = [o for o in outcomes if o.status != "done"]
    if failed:
        raise GeneratorError(
            f"{len(failed)} shot(s) failed: "
            + "; ".join(o.error or "unknown error" for o in failed)
        )


def _assemble_cut(
    store: Store,
    plan: Plan,
    outcomes: list[ShotOutcome],
    spec: Conform,
    audio: Path,
    burn: list[Cue],
    cut_key: str,
    out: Path,
) -> tuple[str, str]:
    """Assemble, store and cache the cut; return its asset hash and the assembly mode."""
    from reelforge.assembly.assemble import assemble

    started_at = datetime.now(UTC).replace(tzinfo=None)
    clips = [o.path for o in outcomes if o.path is not None]
    result = assemble(clips, plan.timeline, out, spec, audio=audio, burn=burn, work_dir=out.parent)
    sha = store.assets.put(out, "cut", {"frames": result.frames})
    store.record_generation(
        generator="assembly",
        version=CUT_VERSION,
        cache_key=cut_key,
        request={"mode": result.mode},
        started_at=started_at,
        seconds=result.seconds,
        asset_sha256=sha,
        kind="cut",
    )
    return sha, result.mode


def charge_text(meta: Mapping[str, object]) -> str:
    """What a provider shot cost, for the report: the ledger's charge and where it came from."""
    from reelforge.jobs.ledger import usd

    micros, source = meta.get("ledger_charge"), meta.get("charge_source")
    if micros is None:
        return ""  # local, or from the cache: nothing charged in this run
    reported = meta.get("charge")
    if source == "unpriced":
        if reported is not None:  # usage in a unit the catalogue cannot turn into dollars
            return f"price unknown: the provider reported {reported} {meta.get('billing_unit')}"
        return "price unknown (not in the catalogue, not reported)"
    exact = f"{usd(int(str(micros))):,f}".rstrip("0").rstrip(".")  # to the micro-dollar
    text = f"${exact} ({source})"
    if source == "reported" and reported is not None:
        text += f": {reported} {meta.get('billing_unit') or ''}".rstrip()
    return text


def _write_report(
    path: Path,
    *,
    plan: Plan,
    outcomes: list[ShotOutcome],
    run_id: str,
    cut: Path,
    srt: Path | None,
    assembly_mode: str,
    loudness: tuple[float, float, float],
    tts_engine: str,
    wall: float,
    generations: int,
    thumbs: dict[int, list[str]],
    sounds: list[ShotSound],
    warnings: list[str],
) -> Path:
    from reelforge import __version__
    from reelforge.report.html import ShotRow, render_report

    rows = []
    for planned, outcome, sound in zip(plan.shots, outcomes, sounds, strict=True):
        rows.append(
            ShotRow(
                index=planned.index,
                id=planned.shot.id,
                prompt=planned.shot.prompt,
                camera=planned.shot.camera.value,
                size=planned.shot.size.value,
                generator=planned.generator,
                generator_version=planned.generator_version,
                seed=planned.shot.seed,
                frames=planned.slot.frames,
                fps=plan.timeline.fps,
                start_frame=planned.slot.start,
                transition=planned.slot.transition,
                transition_frames=planned.slot.overlap or planned.slot.fade_in,
                seconds=outcome.seconds,
                cache_hit=outcome.cache_hit,
                cache_key=planned.cache_key,
                asset=outcome.asset_sha256 or "",
                thumbs=thumbs.get(planned.index, []),
                task=str(outcome.meta.get("task_id") or ""),
                charge=charge_text(outcome.meta),
                adjustments=list(outcome.meta.get("adjustments") or []),
                lines=[
                    {"speaker": ln.speaker, "text": ln.text, "start": ln.start}
                    for ln in planned.lines
                ],
                sound=sound.source,
                sound_detail=sound.detail,
            )
        )
    production = plan.loaded.production
    width, height = production.delivery.size
    return render_report(
        path,
        shots=rows,
        total_frames=plan.timeline.frames,
        title=production.title,
        run_id=run_id,
        created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        source=str(plan.loaded.source),
        cut_name=cut.name,
        srt_name=srt.name if srt else None,
        width=width,
        height=height,
        fps=plan.timeline.fps,
        assembly_mode=assembly_mode,
        warnings=warnings,
        loudness_target=loudness[0],
        loudness_measured=loudness[1],
        true_peak=loudness[2],
        line_count=len(plan.lines),
        tts_engine=tts_engine,
        version=__version__,
        wall_seconds=wall,
        generations=generations,
    )
