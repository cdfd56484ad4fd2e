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
    RateLimited,
    TaskFailed,
    TaskHandle,
    TransientProviderError,
    WireRequest,
)
from reelforge.sandbox.luma import INPUT_REJECTION, Fault

from ..harness import Bench, ErrorRow, Outcome, Profile, find, override


def evidence(wire: WireRequest, what: str) -> Any:
    if what == "first_frame":
        return bool(find(wire.body, "keyframes.frame0.url"))
    if what == "last_frame":
        return bool(find(wire.body, "keyframes.frame1.url"))
    if what == "reference_images":
        return 0
    return None  # no audio in the generation call, no seed


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
    ErrorRow("429", Fault(429, "slow down", retry_after=4), RateLimited, retry_after=4.0),
    ErrorRow("500 after create", Fault(500, "boom", after_create=True), AmbiguousSubmit),
    ErrorRow("503", Fault(503, "unavailable"), AmbiguousSubmit),
    ErrorRow("submit timeout", Fault(201, "slow", after_create=True, delay=0.8),
             AmbiguousSubmit, timeout=0.3, once=True),
    ErrorRow("poll 500", Fault(500, "boom", kind="get"), TransientProviderError, at="poll"),
    ErrorRow("poll 429", Fault(429, "slow", kind="get", retry_after=2), RateLimited, at="poll",
             retry_after=2.0),
    ErrorRow("poll 401", Fault(401, "Invalid API key", kind="get"), AuthError, at="poll"),
    ErrorRow("poll 404", Fault(404, "Generation not found", kind="get"), InvalidRequest,
             at="poll"),
)  # fmt: skip

OUTCOMES = (
    Outcome("output moderation", ModerationRejected, "output", prompt="a contraband crate"),
    Outcome("internal failure", TaskFailed,
            mutate=_failed("Internal server error while generating the video")),
)  # fmt: skip

PROFILE = Profile(
    name="luma",
    sandboxes={("luma", "dream-machine-api"): "luma"},
    evidence=evidence,
    errors=ERRORS,
    outcomes=OUTCOMES,
    frame_options=frame_options,
    # Each read signs fresh URLs, and download() re-reads the generation once on expiry.
    stale_fresh_urls=lambda sbx: override(sbx.config, url_ttl=0.0),
    drop_task=_failed("Generation timed out"),  # [?] wording: "timed out" → TaskExpired
    reports_charge=lambda route: False,
    charge_note="Luma reports no charge per generation (and the catalogue has no price)",
)
