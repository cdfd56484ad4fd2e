"""From a validated production to a plan: exact frames, timed dialogue, requests, cache keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reelforge.generators.base import ElementRef, ShotRequest, TimedLine
from reelforge.plan.cache_key import cache_key
from reelforge.plan.timeline import Timeline, TimelineShot, build_timeline
from reelforge.production.model import AudioSource, LoadedProduction, Shot

FIRST_LINE_AT = 0.3  # seconds of breath before an untimed first line
LINE_GAP = 0.25  # seconds between untimed consecutive lines


@dataclass(frozen=True)
class PlacedLine:
    """A dialogue line placed in its shot; `audio` is the synthesised speech file."""

    shot_index: int
    line_index: int
    speaker: str
    text: str
    start: float  # seconds from the start of the shot
    duration: float
    audio: Path | None = None


@dataclass(frozen=True)
class PlannedShot:
    index: int
    shot: Shot
    request: ShotRequest
    generator: str
    generator_version: str
    cache_key: str
    slot: TimelineShot
    lines: tuple[PlacedLine, ...] = ()


@dataclass(frozen=True)
class Plan:
    loaded: LoadedProduction
    timeline: Timeline
    shots: tuple[PlannedShot, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def lines(self) -> list[PlacedLine]:
        return [line for shot in self.shots for line in shot.lines]


@dataclass(frozen=True)
class Speech:
    path: Path
    duration: float


def place_lines(
    shot_index: int, shot: Shot, speech: Mapping[tuple[int, int], Speech]
) -> tuple[list[PlacedLine], list[str]]:
    placed: list[PlacedLine] = []
    warnings: list[str] = []
    cursor = FIRST_LINE_AT
    for line_index, line in enumerate(shot.dialogue):
        said = speech.get((shot_index, line_index))
        duration = said.duration if said else 0.3 * len(line.line.split())  # ~200 wpm
        start = line.at if line.at is not None else cursor
        if start + duration > shot.duration + 1e-6:
            warnings.append(
                f"shot {shot.id!r}: line {line_index + 1} by {line.speaker} ends at "
                f"{start + duration:.2f}s, after the shot ends at {shot.duration:g}s "
                "(it is cut off); lengthen the shot or shorten the line"
            )
        placed.append(
            PlacedLine(
                shot_index,
                line_index,
                line.speaker,
                line.line,
                start,
                duration,
                said.path if said else None,
            )
        )
        cursor = start + duration + LINE_GAP
    return placed, warnings


def build_plan(
    loaded: LoadedProduction,
    speech: Mapping[tuple[int, int], Speech],
    generator_versions: Mapping[str, tuple[str, bool]],
) -> Plan:
    """`generator_versions[name]` is (version, burns_dialogue) for each generator named."""
    production = loaded.production
    width, height = production.delivery.size
    fps = production.delivery.fps
    timeline = build_timeline(
        [s.duration for s in production.shots],
        [(s.transition.kind.value, s.transition.duration) for s in production.shots],
        fps,
    )
    planned: list[PlannedShot] = []
    warnings: list[str] = []
    for index, shot in enumerate(production.shots):
        lines, line_warnings = place_lines(index, shot, speech)
        warnings += line_warnings
        version, burns = generator_versions[shot.model]
        elements = tuple(
            ElementRef(
                name=name,
                description=production.elements[name].description,
                references=tuple(loaded.resolve(r) for r in production.elements[name].references),
            )
            for name in shot.elements
            if name in production.elements
        )
        slot = timeline.shots[index]
        request = ShotRequest(
            shot_id=shot.id,
            prompt=shot.prompt,
            frames=slot.frames,
            fps=fps,
            width=width,
            height=height,
            camera=shot.camera.value,
            size=shot.size.value,
            elements=elements,
            # Only generators that draw dialogue into their frames depend on its timing.
            dialogue=tuple(
                TimedLine(p.speaker, p.text, round(p.start, 3), round(p.start + p.duration, 3))
                for p in lines
            )
            if burns
            else (),
            # With `audio: ours` the generator is not asked for sound (nor billed for it).
            sound=shot.sound if shot.audio == AudioSource.auto else "",
            first_frame=loaded.resolve(shot.first_frame) if shot.first_frame else None,
            last_frame=loaded.resolve(shot.last_frame) if shot.last_frame else None,
            seed=shot.seed,
            model=shot.model,
            source_video=loaded.resolve(shot.source_video) if shot.source_video else None,
        )
        key = cache_key(generator=shot.model, version=version, request=request)
        planned.append(
            PlannedShot(index, shot, request, shot.model, version, key, slot, tuple(lines))
        )
    return Plan(loaded, timeline, tuple(planned), tuple(warnings))
