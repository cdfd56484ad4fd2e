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
    TaskFailed,
    TaskHandle,
    TransientProviderError,
)
from reelforge.sandbox.runway import Fault

from ..harness import ErrorRow, Outcome, Profile, wire_paths, zero_url_ttl


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
    ErrorRow.rate_limited("429", Fault(429, "slow down", retry_after=3)),
    ErrorRow.after_create("502", Fault(502, "bad gateway")),
    ErrorRow("500", Fault(500, "boom"), AmbiguousSubmit),
    ErrorRow.submit_timeout(Fault(200, "slow")),
    ErrorRow("poll 503", Fault(503, "busy", kind="task"), TransientProviderError, at="poll"),
    ErrorRow.rate_limited("poll 429", Fault(429, "slow", kind="task", retry_after=2), at="poll"),
    ErrorRow("poll 401", Fault(401, "bad key", kind="task"), AuthError, at="poll"),
    ErrorRow("poll 404", Fault(404, "Task not found", kind="task"), InvalidRequest, at="poll"),
)  # fmt: skip

OUTCOMES = (
    # Runway creates the task and fails it at once for input moderation (SAFETY.INPUT.*).
    Outcome("SAFETY.INPUT", ModerationRejected, "input", prompt="a forbidden ritual"),
    Outcome.late_moderation("SAFETY.OUTPUT"),
    Outcome("INTERNAL.BAD_OUTPUT", TaskFailed,
            mutate=_failed("INTERNAL.BAD_OUTPUT.CODE01", "The output failed quality checks.")),
)  # fmt: skip

PROFILE = Profile(
    name="runway",
    sandboxes={("runway", "runway-api"): "runway"},
    evidence=wire_paths(
        first_frame="promptImage[position=first]",
        last_frame="promptImage[position=last]",
        reference_images="references.*",
        audio="audio",
        seed="seed",
    ),
    errors=ERRORS,
    outcomes=OUTCOMES,
    # Each read of a finished task signs fresh URLs, and download() re-reads once on expiry.
    stale_fresh_urls=zero_url_ttl,
    # failureCode TIMEOUT [?: recalled from the task-failures page, not in the research].
    drop_task=_failed("TIMEOUT", "The task timed out before it finished."),
)
