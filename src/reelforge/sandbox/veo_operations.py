"""The Veo sandbox's operations: each ``predictLongRunning`` becomes a long-running operation that
is ``done: false`` until its due time, then ``done: true`` with samples, with an ``error``, or with
no samples and ``raiMediaFilteredCount`` (the late content filter). Lazily finished on the first
read after it is due, like the Kling task book, so no scheduler thread is needed."""

from __future__ import annotations

import base64
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._base import BookConfig, mentions, save_frame
from .render import render_clip

FILTERED_REASON = (
    "Your current safety settings for person generation prevented one or more videos from "
    "being generated. You will not be charged for blocked videos."
)
PREDICT_RESPONSE = (
    "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"
)


@dataclass
class Operation:
    name: str  # models/{model}/operations/{id}, or the Vertex model's resource + /operations/{id}
    model: str
    body: dict[str, Any]
    created_at: float
    due_at: float
    done: bool = False
    error: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    files: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    @property
    def instance(self) -> dict[str, Any]:
        return dict(self.body["instances"][0])

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self.body.get("parameters") or {})

    def as_json(self, response_type: str = PREDICT_RESPONSE) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name}
        if self.done:
            data["done"] = True
            if self.error is not None:
                data["error"] = self.error
            elif self.response is not None:
                data["response"] = {"@type": response_type, **self.response}
        return data


class OperationBook:
    """The Gemini API's operations; :class:`~.vertex_operations.VertexOperationBook` gives them
    Vertex's names and result shape (``_filtered``, ``_samples``)."""

    def __init__(self, config: BookConfig, publish: Callable[[Path], str], workdir: Path) -> None:
        self.config = config
        self.publish = publish  # where a finished clip is served; returns its URI
        self.operations: dict[str, Operation] = {}
        self.rng = random.Random(config.seed)
        self.lock = threading.RLock()
        self.workdir = workdir

    def create(self, model: str, body: dict[str, Any], name: str | None = None) -> Operation:
        """A new operation, named ``name`` (default: the Gemini API's model operation name)."""
        now = time.time()
        op = Operation(
            name=name or f"models/{model}/operations/{uuid.uuid4().hex[:12]}",
            model=model,
            body=body,
            created_at=now,
            due_at=now + self.config.queue_seconds + self.config.processing_seconds,
        )
        with self.lock:
            self.operations[op.name] = op
        return op

    def get(self, name: str) -> Operation | None:
        with self.lock:
            return self.operations.get(name)

    def active(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        with self.lock:
            return sum(1 for op in self.operations.values() if not op.done and now < op.due_at)

    def refresh(self, op: Operation) -> Operation:
        with self.lock:  # one thread finishes an operation; others see the result
            if not op.done and time.time() >= op.due_at:
                self._finish(op)
        return op

    def _finish(self, op: Operation) -> None:
        count = int(op.parameters.get("sampleCount", 1))
        op.done = True
        if mentions(str(op.instance.get("prompt", "")), self.config.late_blocked_words):
            op.response = self._filtered(count)
        elif self.config.failure_rate and self.rng.random() < self.config.failure_rate:
            op.error = {"code": 13, "message": "Video generation failed due to an internal error."}
        else:
            op.response = self._samples(op, count)

    def _filtered(self, count: int) -> dict[str, Any]:
        """The late content filter: no samples, and how many were filtered and why."""
        filtered = {"raiMediaFilteredCount": count, "raiMediaFilteredReasons": [FILTERED_REASON]}
        return {"generateVideoResponse": filtered}

    def _samples(self, op: Operation, count: int) -> dict[str, Any]:
        samples = []
        for i in range(count):  # the Gemini API always adds Veo 3's audio
            out = self._render(op, i, op.id, audio=op.model.startswith("veo-3"))
            samples.append({"video": {"uri": self.publish(out)}})
        return {"generateVideoResponse": {"generatedSamples": samples}}

    def _render(self, op: Operation, index: int, task_id: str, *, audio: bool = False) -> Path:
        """Sample ``index`` of ``op`` as a previz clip (``task_id`` seeds its frames)."""
        params = op.parameters
        out = self.workdir / f"{op.id}-{index}.mp4"
        render_clip(
            out,
            task_id=task_id,
            model=op.model,
            mode=str(params.get("resolution", "720p")),
            prompt=str(op.instance.get("prompt", "")),
            seconds=int(params.get("durationSeconds", 8)),
            fps=self.config.render_fps,
            aspect=str(params.get("aspectRatio", "16:9")),
            first_frame=self._frame(op, "image"),
            last_frame=self._frame(op, "lastFrame"),
            audio=audio,
        )
        return out

    def _frame(self, op: Operation, key: str) -> Path | None:
        value = op.instance.get(key)
        if not isinstance(value, dict) or not value.get("bytesBase64Encoded"):
            return None
        raw = base64.b64decode(value["bytesBase64Encoded"])
        return save_frame(raw, self.workdir / f"{op.id}-{key}.png")
