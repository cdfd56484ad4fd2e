"""Luma Dream Machine (sandbox ``luma``). Statuses and failure reasons as in
tests/test_providers_luma_failures.py (research §7)."""

from __future__ import annotations

from typing import Any

from reelforge.generators.base import ShotRequest
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
from reelforge.sandbox.luma import INPUT_REJECTION, Fault

from ..harness import Bench, ErrorRow, Outcome, Profile, never, wire_paths, zero_url_ttl


def frame_options(bench: Bench, request: ShotRequest) -> dict[str, Any]:
    """Luma fetches keyframes by URL (no upload, no inline data): a shot's local frames are
    refused before spending, naming these options. Serve them from the CDN and pass the URLs."""
    options: dict[str, Any] = {}
    if request.first_frame is not None:
        options["frame0_url"] = bench.cdn.publish(request.first_frame)
    if request.last_frame is not None:
        options["frame1_url"] = bench.cdn.publish(request.last_frame)
    return options


def _failed(reason: str) -> Any:
    def mutate(sbx: Any, handle: TaskHandle) -> None:
        gen = sbx.book.generations[handle.task_id]
        gen.state, gen.failure_reason = "failed", reason

    return mutate


ERRORS = (
    ErrorRow("400", Fault(400, "aspect_ratio: bad value"), InvalidRequest),
    ErrorRow("400 moderation", Fault(400, INPUT_REJECTION), ModerationRejected, stage="input"),
    ErrorRow("400 credits", Fault(400, "Insufficient credits"), QuotaExceeded),
    ErrorRow("401", Fault(401, "Invalid API key"), AuthError),
    ErrorRow("402", Fault(402, "payment required"), QuotaExceeded),
    ErrorRow("422", Fault(422, "duration: unexpected value"), InvalidRequest),
    ErrorRow.rate_limited("429", Fault(429, "slow down", retry_after=4)),
    ErrorRow.after_create("500", Fault(500, "boom")),
    ErrorRow("503", Fault(503, "unavailable"), AmbiguousSubmit),
    ErrorRow.submit_timeout(Fault(201, "slow")),
    ErrorRow("poll 500", Fault(500, "boom", kind="get"), TransientProviderError, at="poll"),
    ErrorRow.rate_limited("poll 429", Fault(429, "slow", kind="get", retry_after=2), at="poll"),
    ErrorRow("poll 401", Fault(401, "Invalid API key", kind="get"), AuthError, at="poll"),
    ErrorRow("poll 404", Fault(404, "Generation not found", kind="get"), InvalidRequest,
             at="poll"),
)  # fmt: skip

OUTCOMES = (
    Outcome.late_moderation("output moderation"),
    Outcome("internal failure", TaskFailed,
            mutate=_failed("Internal server error while generating the video")),
)  # fmt: skip

PROFILE = Profile(
    name="luma",
    sandboxes={("luma", "dream-machine-api"): "luma"},
    # No audio in the generation call, no seed.
    evidence=wire_paths(first_frame="keyframes.frame0.url", last_frame="keyframes.frame1.url"),
    errors=ERRORS,
    outcomes=OUTCOMES,
    frame_options=frame_options,
    # Each read signs fresh URLs, and download() re-reads the generation once on expiry.
    stale_fresh_urls=zero_url_ttl,
    drop_task=_failed("Generation timed out"),  # [?] wording: "timed out" → TaskExpired
    reports_charge=never,
    charge_note="Luma reports no charge per generation (and the catalogue has no price)",
)
