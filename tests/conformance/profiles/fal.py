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
    RateLimited,
    TaskFailed,
    TaskHandle,
    TransientProviderError,
    WireRequest,
)
from reelforge.sandbox.fal import FalFault

from ..harness import NO_REFS_WITHOUT_T2V, ErrorRow, Outcome, Profile, find

FIRST = ("image_url", "start_image_url", "first_frame_url")
LAST = ("end_image_url", "last_frame_url")


def evidence(wire: WireRequest, what: str) -> Any:
    body = wire.body
    if what == "first_frame":
        return any(find(body, k) for k in FIRST)
    if what == "last_frame":
        return any(find(body, k) for k in LAST)
    if what == "reference_images":
        return 0
    if what == "audio":
        return body.get("generate_audio")
    return body.get("seed")


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
    ErrorRow("429", FalFault(429, "Too many requests", retry_after=7), RateLimited,
             retry_after=7.0),
    ErrorRow("408", FalFault(408, "Request timeout"), AmbiguousSubmit),
    ErrorRow("500 after create", FalFault(500, "Internal", after_create=True), AmbiguousSubmit),
    ErrorRow("504", FalFault(504, "Gateway timeout"), AmbiguousSubmit),
    ErrorRow("submit timeout", FalFault(200, after_create=True, delay=0.8), AmbiguousSubmit,
             timeout=0.3, once=True),
    ErrorRow("poll 503", FalFault(503, "unavailable", kind="status"), TransientProviderError,
             at="poll"),
    ErrorRow("poll 401", FalFault(401, "bad key", kind="status"), AuthError, at="poll"),
    ErrorRow("poll 404", FalFault(404, "Request not found", kind="status"), InvalidRequest,
             at="poll"),
    ErrorRow("poll 429", FalFault(429, "slow", kind="status", retry_after=2), RateLimited,
             at="poll", retry_after=2.0),
)  # fmt: skip

OUTCOMES = (
    Outcome("late content policy", ModerationRejected, "output", prompt="a contraband crate"),
    Outcome("generation_timeout", TaskFailed, mutate=_timeout),
)

REFS = "reference images are not sent on fal routes yet (the adapter warns)"
PROFILE = Profile(
    name="fal",
    sandboxes={("fal", "fal-queue"): "fal"},
    evidence=evidence,
    errors=ERRORS,
    outcomes=OUTCOMES,
    gaps={"seedance-2.0@fal:reference_images": NO_REFS_WITHOUT_T2V, "*:reference_images": REFS},
    no_drop_reason=(
        "a fal queue request completes (with or without error) or is cancelled; there is no "
        "expired status (a generation timeout is COMPLETED with error_type generation_timeout)"
    ),
    reports_charge=lambda route: False,
    charge_note="the fal queue reports no charge per request: the catalogue quote is the figure",
)
