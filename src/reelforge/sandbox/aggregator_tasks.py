"""The aggregator sandbox's task book: queued → running → succeeded | failed | moderated, by
the clock (advanced lazily on every read, no scheduler thread), canceled by the cancel endpoint
while queued. Task payloads are written in the aggregator's own shape from its profile: the id,
the status spelling, outputs, error message and cost each at the profile's JSON path."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..providers.aggregator.profiles import AggregatorProfile, State, set_path
from ._base import mentions
from .render import render_clip

LIVE: tuple[State, ...] = ("queued", "running")
LATE_MESSAGE = "Output flagged by the safety checker (nsfw content)"
INPUT_MESSAGE = "Prompt flagged by content moderation (nsfw content)"


@dataclass
class AggregatorTask:
    id: str
    model: str
    body: dict[str, Any]
    created_at: float
    ready_at: float
    state: State = "queued"
    due_at: float | None = None
    urls: list[str] = field(default_factory=list)
    error: str = ""
    reads: int = 0


@dataclass
class TaskBookConfig:
    queue_seconds: float = 0.0
    processing_seconds: float = 0.0
    late_blocked_words: tuple[str, ...] = ("contraband",)
    render_fps: int = 8
    credits_per_second: float = 10.0  # reported at cost_path when the profile has one
    success_spelling: str | None = None  # e.g. Atlas "succeeded" instead of "completed"


@dataclass
class TaskBook:
    profile: AggregatorProfile
    config: TaskBookConfig
    publish: Callable[[Path], str]
    workdir: Path
    tasks: dict[str, AggregatorTask] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def create(self, model: str, body: dict[str, Any]) -> AggregatorTask:
        now = time.time()
        task = AggregatorTask(uuid.uuid4().hex, model, body, now, now + self.config.queue_seconds)
        with self.lock:
            self.tasks[task.id] = task
        return task

    def get(self, task_id: str) -> AggregatorTask | None:
        self.advance()
        with self.lock:
            return self.tasks.get(task_id)

    def advance(self) -> None:
        now = time.time()
        with self.lock:
            for task in self.tasks.values():
                if task.state == "queued" and now >= task.ready_at:
                    task.state, task.due_at = "running", now + self.config.processing_seconds
                if task.state == "running" and task.due_at is not None and now >= task.due_at:
                    self._finish(task)

    def seconds(self, task: AggregatorTask) -> int:
        key = self.profile.fields_for(task.model).duration
        value = task.body.get(key) if key else None
        return int(value) if isinstance(value, int | float | str) and str(value).isdigit() else 5

    def _finish(self, task: AggregatorTask) -> None:
        f = self.profile.fields_for(task.model)
        prompt = str(task.body.get(f.prompt) or "")
        if mentions(prompt, self.config.late_blocked_words):
            task.state, task.error = "moderated", LATE_MESSAGE
            return
        aspect = str(task.body.get(f.aspect) or "16:9") if f.aspect else "16:9"
        out = self.workdir / f"{task.id}.mp4"
        render_clip(
            out,
            task_id=task.id,
            model=task.model,
            mode=self.profile.name,
            prompt=prompt,
            seconds=self.seconds(task),
            fps=self.config.render_fps,
            aspect=aspect,
            audio=bool(f.sound and task.body.get(f.sound)),  # the model's sound, when asked
        )
        task.state, task.urls = "succeeded", [self.publish(out)]

    def spelling(self, state: State) -> str:
        if state == "succeeded" and self.config.success_spelling:
            return self.config.success_spelling
        if state == "moderated" and "moderated" not in self.profile.status_map.values():
            return self.profile.spelling("failed")  # late moderation as a failed task
        return self.profile.spelling(state)

    def payload(self, task: AggregatorTask, base_url: str) -> dict[str, Any]:
        """The task as the aggregator answers a poll (or a submit) for it."""
        p = self.profile
        obj: dict[str, Any] = {}
        set_path(obj, p.id_path, task.id)
        set_path(obj, p.status_path, self.spelling(task.state))
        if p.family == "queue":
            obj["status_url"] = base_url + p.poll_path.replace("{id}", task.id)
            if p.cancel_path:
                obj["cancel_url"] = base_url + p.cancel_path.replace("{id}", task.id)
        if task.state == "succeeded":
            set_path(obj, p.output_path, list(task.urls) if p.output_list else task.urls[0])
            if p.cost_path:
                set_path(obj, p.cost_path, self.seconds(task) * self.config.credits_per_second)
        elif p.output_list:
            set_path(obj, p.output_path, [])
        if task.error and p.task_error_path:
            set_path(obj, p.task_error_path, task.error)
        if p.envelope_code_path:
            obj[p.envelope_code_path] = 200
            obj.setdefault("message", "success")
        return obj
