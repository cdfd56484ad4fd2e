"""fal.ai's queue (sandbox ``fal``). Statuses and error types as in
tests/test_providers_fal_failures.py (research §8)."""

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
from reelforge.sandbox.fal import FalFault

from ..harness import NO_REFS_WITHOUT_T2V, ErrorRow, Outcome, Profile, never, wire_paths


def _timeout(sbx: Any, handle: TaskHandle) -> None:
    sbx.jobs[handle.task_id].error = ("generation_timeout", "Generation took too long")


POLICY = [{"loc": ["body", "prompt"], "msg": "flagged", "type": "content_policy_violation"}]
ERRORS = (
    ErrorRow("400", FalFault(400, "Bad request"), InvalidRequest),
    ErrorRow("401", FalFault(401, "No user found for Key ID and Secret"), AuthError),
    ErrorRow("403 locked", FalFault(403, "User is locked. Reason: Exhausted balance."),
             QuotaExceeded),
    ErrorRow("403 exhausted_balance", FalFault(403, "Forbidden", "exhausted_balance"),
             QuotaExceeded),
    ErrorRow("404", FalFault(404, "Application 'x' not found"), InvalidRequest),
    ErrorRow("422 content policy", FalFault(422, POLICY), ModerationRejected, stage="input"),
    ErrorRow("422 image_too_large", FalFault(422, "too large", "image_too_large"),
             InvalidRequest),
    ErrorRow.rate_limited("429", FalFault(429, "Too many requests", retry_after=7)),
    ErrorRow("408", FalFault(408, "Request timeout"), AmbiguousSubmit),
    ErrorRow.after_create("500", FalFault(500, "Internal")),
    ErrorRow("504", FalFault(504, "Gateway timeout"), AmbiguousSubmit),
    ErrorRow.submit_timeout(FalFault(200)),
    ErrorRow("poll 503", FalFault(503, "unavailable", kind="status"), TransientProviderError,
             at="poll"),
    ErrorRow("poll 401", FalFault(401, "bad key", kind="status"), AuthError, at="poll"),
    ErrorRow("poll 404", FalFault(404, "Request not found", kind="status"), InvalidRequest,
             at="poll"),
    ErrorRow.rate_limited("poll 429", FalFault(429, "slow", kind="status", retry_after=2),
                          at="poll"),
)  # fmt: skip

OUTCOMES = (
    Outcome.late_moderation("late content policy"),
    Outcome("generation_timeout", TaskFailed, mutate=_timeout),
)

REFS = "reference images are not sent on fal routes yet (the adapter warns)"
PROFILE = Profile(
    name="fal",
    sandboxes={("fal", "fal-queue"): "fal"},
    evidence=wire_paths(
        first_frame=("image_url", "start_image_url", "first_frame_url"),
        last_frame=("end_image_url", "last_frame_url"),
        audio="generate_audio",
        seed="seed",
    ),
    errors=ERRORS,
    outcomes=OUTCOMES,
    gaps={"seedance-2.0@fal:reference_images": NO_REFS_WITHOUT_T2V, "*:reference_images": REFS},
    no_drop_reason=(
        "a fal queue request completes (with or without error) or is cancelled; there is no "
        "expired status (a generation timeout is COMPLETED with error_type generation_timeout)"
    ),
    reports_charge=never,
    charge_note="the fal queue reports no charge per request: the catalogue quote is the figure",
)
