"""Progress events per shot, for the CLI now and the server later."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ShotEvent:
    index: int
    shot_id: str
    state: str  # queued, waiting, rendering, cached, done, failed
    seconds: float = 0.0
    message: str = ""


@dataclass(frozen=True)
class StageEvent:
    stage: str  # speech, shots, audio, assembly, report
    state: str  # started, done
    message: str = ""


EventSink = Callable[[ShotEvent | StageEvent], None]


def ignore(_event: ShotEvent | StageEvent) -> None:
    return None


@dataclass(frozen=True)
class JobEvent:
    """A provider job's progress: queued, submitting, submitted, running (progress 0…1),
    downloading, done, failed, canceled, needs_attention."""

    job_id: int
    run_id: str
    position: int
    shot_id: str
    state: str
    progress: float | None = None
    message: str = ""


JobSink = Callable[[JobEvent], None]
