"""Luma Agents API, ``ray-3.2`` (sandbox ``luma-agents``). Statuses and failure codes from the
docs' error-handling page (docs.agents.lumalabs.ai/guides/error-handling); the envelope is
``{"detail": ...}``. Frames go inline as base64, so no frame options are needed."""

from __future__ import annotations

from typing import Any

from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    ConcurrencyLimited,
    InvalidRequest,
    ModerationRejected,
    QuotaExceeded,
    TaskFailed,
    TaskHandle,
    TransientProviderError,
)
from reelforge.sandbox.luma_agents import INTERNAL, Fault

from ..harness import ErrorRow, Outcome, Profile, never, wire_paths, zero_url_ttl


def _failed(code: str, reason: str) -> Any:
    def mutate(sbx: Any, handle: TaskHandle) -> None:
        gen = sbx.generations[handle.task_id]
        gen.state, gen.failure_code, gen.failure_reason = "failed", code, reason

    return mutate


ERRORS = (
    ErrorRow("400", Fault(400, "video.resolution: expected one of 540p, 720p, 1080p"),
             InvalidRequest),
    # Moderation is documented as asynchronous only; a 400 that says so is mapped defensively [?].
    ErrorRow("400 content policy", Fault(400, "prompt not allowed by content moderation"),
             ModerationRejected, stage="input"),
    ErrorRow("401", Fault(401, "Invalid API key"), AuthError),
    ErrorRow("402", Fault(402, "Insufficient balance"), QuotaExceeded),
    ErrorRow("403", Fault(403, "Client suspended"), AuthError),
    ErrorRow("413", Fault(413, "Input media exceeds size limit"), InvalidRequest),
    ErrorRow("422", Fault(422, "duration 10s is text-to-video only"), InvalidRequest),
    ErrorRow.rate_limited("429", Fault(429, "Rate limit exceeded", retry_after=3)),
    ErrorRow("429 concurrent", Fault(429, "Too many concurrent jobs"), ConcurrencyLimited),
    ErrorRow.after_create("500", Fault(500, "boom")),
    ErrorRow("502", Fault(502, "Upstream service unavailable"), AmbiguousSubmit),
    ErrorRow("503", Fault(503, "Image ingestion unavailable"), AmbiguousSubmit),
    ErrorRow.submit_timeout(Fault(201, "slow")),
    ErrorRow("poll 502", Fault(502, "Upstream service unavailable", kind="get"),
             TransientProviderError, at="poll"),
    ErrorRow.rate_limited("poll 429", Fault(429, "slow down", kind="get", retry_after=2),
                          at="poll"),
    ErrorRow("poll 401", Fault(401, "Invalid API key", kind="get"), AuthError, at="poll"),
    ErrorRow("poll 404", Fault(404, "Generation not found", kind="get"), InvalidRequest,
             at="poll"),
)  # fmt: skip

OUTCOMES = (
    Outcome("input moderation", ModerationRejected, "input", prompt="a forbidden crate"),
    Outcome.late_moderation("output moderation"),
    Outcome("generation_failed", TaskFailed, mutate=_failed("generation_failed", INTERNAL)),
    Outcome("budget_exhausted", QuotaExceeded,
            mutate=_failed("budget_exhausted", "Ran out of funds mid-generation")),
    Outcome("corrupt_input", InvalidRequest,
            mutate=_failed("corrupt_input", "An input media file could not be decoded")),
)  # fmt: skip

PROFILE = Profile(
    name="luma-agents",
    sandboxes={("luma", "luma-agents-api"): "luma-agents"},
    # image_ref is for image types only; ray-3.2 is silent and takes no seed.
    evidence=wire_paths(first_frame="video.start_frame", last_frame="video.end_frame"),
    errors=ERRORS,
    outcomes=OUTCOMES,
    # Presigned for an hour; download() re-reads the generation once for a fresh URL.
    stale_fresh_urls=zero_url_ttl,
    drop_task=None,
    no_drop_reason=(
        "the Agents API documents no expiry: states are queued, processing, completed and "
        "failed, and no failure_code means 'timed out'; an unknown id answers 404"
    ),
    reports_charge=never,
    charge_note="the Generation object carries no usage or cost (and the catalogue no price)",
)
