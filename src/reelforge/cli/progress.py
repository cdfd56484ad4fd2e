"""A live per-shot progress table for `reel render`."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from reelforge.jobs.events import ShotEvent, StageEvent

_STYLE = {
    "queued": "dim",
    "waiting": "dim",
    "rendering": "yellow",
    "submitting": "yellow",
    "submitted": "cyan",
    "running": "cyan",
    "downloading": "cyan",
    "cached": "green",
    "done": "green",
    "failed": "bold red",
}


class ProgressDisplay:
    def __init__(self, console: Console, shot_ids: list[str]) -> None:
        self.console = console
        self.states = dict.fromkeys(shot_ids, "queued")
        self.notes = dict.fromkeys(shot_ids, "")
        self.started: dict[str, float] = {}
        self.stage = "planning"
        self.live = Live(self._table(), console=console, refresh_per_second=8, transient=False)

    def __enter__(self) -> ProgressDisplay:
        self.live.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.live.update(self._table())
        self.live.__exit__(kind, exc, tb)

    def __call__(self, event: ShotEvent | StageEvent) -> None:
        if isinstance(event, StageEvent):
            self.stage = f"{event.stage}: {event.state}" + (
                f" ({event.message})" if event.message else ""
            )
        else:
            self.states[event.shot_id] = event.state
            if event.state == "rendering":
                self.started[event.shot_id] = time.perf_counter()
            if event.state == "done":
                self.notes[event.shot_id] = f"{event.seconds:.2f}s"
            elif event.state == "cached":
                self.notes[event.shot_id] = "cache hit"
            elif event.state == "failed":
                self.notes[event.shot_id] = event.message[:120]
            elif event.message:  # provider task id, progress %, a retry: the latest word
                self.notes[event.shot_id] = event.message[:80]
        self.live.update(self._table())

    def _table(self) -> Group:
        table = Table(title=None, show_edge=False, box=None, padding=(0, 2))
        table.add_column("shot")
        table.add_column("state")
        table.add_column("")
        for shot_id, state in self.states.items():
            note = self.notes[shot_id]
            if state == "rendering" and shot_id in self.started:
                note = f"{time.perf_counter() - self.started[shot_id]:.1f}s"
            table.add_row(shot_id, f"[{_STYLE.get(state, '')}]{state}[/]", note)
        return Group(table, Text(self.stage, style="dim"))
