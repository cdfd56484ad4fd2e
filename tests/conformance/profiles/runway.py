"""Runway's task API (sandbox ``runway``). Statuses and failure codes as in
tests/test_providers_runway_failures.py (research §5.3).

runway-aleph2 only edits a video: the harness gives its shots a source video as long as the
shot, sent inline as ``videoUri``; the sandbox's edit is as long as that video, so the duration
checks measure the source's length coming back. Its price is unknown in the catalogue, so the
charge check only asserts that credits are reported."""

from __future__ import annotations

from typing import Any

from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    InvalidRequest,
    ModerationRejected,
    QuotaExceeded,
    RateLimited,
    TaskFailed,
    TaskHandle,
    TransientProviderError,
    WireRequest,
)
from reelforge.sandbox.runway import Fault

from ..harness import ErrorRow, Outcome, Profile, find, override


def evidence(wire: WireRequest, what: str) -> Any:
    body = wire.body
    if what == "first_frame":
        return bool(find(body, "promptImage[position=first]"))
    if what == "last_frame":
        return bool(find(body, "promptImage[position=last]"))
    if what == "reference_images":
        return len(find(body, "references.*"))
    if what == "audio":
        return body.get("audio")
    return body.get("seed")


def _failed(code: str, message: str) -> Any:
    def mutate(sbx: Any, handle: TaskHandle) -> None:
        task = sbx.book.tasks[handle.task_id]
        task.status, task.failure = "FAILED", (code, message)

    return mutate


ERRORS = (
    ErrorRow("400", Fault(400, "bad ratio"), InvalidRequest),
    ErrorRow("400 out of credits", Fault(400, "You do not have enough credits to run this task."),
             QuotaExceeded),
    ErrorRow("401", Fault(401, "bad key"), AuthError),
    ErrorRow("403", Fault(403, "no access to the model"), AuthError),
    ErrorRow("404", Fault(404, "no such endpoint"), InvalidRequest),
    ErrorRow("429", Fault(429, "slow down", retry_after=3), RateLimited, retry_after=3.0),
    ErrorRow("502 after create", Fault(502, "bad gateway", after_create=True), AmbiguousSubmit),
    ErrorRow("500", Fault(500, "boom"), AmbiguousSubmit),
    ErrorRow("submit timeout", Fault(200, "slow", after_create=True, delay=0.8),
             AmbiguousSubmit, timeout=0.3, once=True),
    ErrorRow("poll 503", Fault(503, "busy", kind="task"), TransientProviderError, at="poll"),
    ErrorRow("poll 429", Fault(429, "slow", kind="task", retry_after=2), RateLimited, at="poll",
             retry_after=2.0),
    ErrorRow("poll 401", Fault(401, "bad key", kind="task"), AuthError, at="poll"),
    ErrorRow("poll 404", Fault(404, "Task not found", kind="task"), InvalidRequest, at="poll"),
)  # fmt: skip

OUTCOMES = (
    # Runway creates the task and fails it at once for input moderation (SAFETY.INPUT.*).
    Outcome("SAFETY.INPUT", ModerationRejected, "input", prompt="a forbidden ritual"),
    Outcome("SAFETY.OUTPUT", ModerationRejected, "output", prompt="a contraband crate"),
    Outcome("INTERNAL.BAD_OUTPUT", TaskFailed,
            mutate=_failed("INTERNAL.BAD_OUTPUT.CODE01", "The output failed quality checks.")),
)  # fmt: skip

PROFILE = Profile(
    name="runway",
    sandboxes={("runway", "runway-api"): "runway"},
    evidence=evidence,
    errors=ERRORS,
    outcomes=OUTCOMES,
    # Each read of a finished task signs fresh URLs, and download() re-reads once on expiry.
    stale_fresh_urls=lambda sbx: override(sbx.config, url_ttl=0.0),
    # failureCode TIMEOUT [?: recalled from the task-failures page, not in the research].
    drop_task=_failed("TIMEOUT", "The task timed out before it finished."),
)
