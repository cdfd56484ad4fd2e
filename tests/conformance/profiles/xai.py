"""xAI Grok Imagine (sandbox ``xai``; outputs on its own foreign "vidgen" host). Errors as in
tests/test_providers_xai_failures.py (providers-2 §1.5)."""

from __future__ import annotations

from decimal import Decimal
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
from reelforge.sandbox.xai import Fault
from reelforge.sandbox.xai_rules import EXHAUSTED, INVALID, NOT_FOUND

from ..harness import NO_REFS_WITHOUT_T2V, ErrorRow, Outcome, Profile, wire_paths

PERMISSION = "The caller does not have permission to execute the specified operation"
UNAUTHENTICATED = "The request does not have valid authentication credentials for the operation"


def _drop(sbx: Any, handle: TaskHandle) -> None:
    sbx.book.jobs[handle.task_id].prompt = "a stale request"  # the job expires unfinished


ERRORS = (
    ErrorRow("400 bad key", Fault(400, "Incorrect API key provided: xa***yz.", INVALID),
             AuthError),
    ErrorRow("400 invalid", Fault(400, "duration must be 1-15", INVALID), InvalidRequest),
    ErrorRow("400 content policy", Fault(400, "violates our content policy", INVALID),
             ModerationRejected, stage="input"),
    ErrorRow("401", Fault(401, "no key", UNAUTHENTICATED), AuthError),
    ErrorRow("403 no credits", Fault(403, "Your team has no credits left", PERMISSION),
             QuotaExceeded),
    ErrorRow("403 permission", Fault(403, "no access to the model", PERMISSION), AuthError),
    ErrorRow("404", Fault(404, "model not found", NOT_FOUND), InvalidRequest),
    ErrorRow.rate_limited("429", Fault(429, "slow down", EXHAUSTED, retry_after=2.5)),
    ErrorRow("429 concurrency", Fault(429, "too many concurrent video jobs", EXHAUSTED),
             ConcurrencyLimited),
    ErrorRow.after_create("500", Fault(500, "Internal error", "Internal error")),
    ErrorRow("503", Fault(503, "busy", "The service is currently unavailable"), AmbiguousSubmit),
    ErrorRow.submit_timeout(Fault(200)),
    ErrorRow("poll 503", Fault(503, "busy", "The service is currently unavailable",
                               kind="poll"), TransientProviderError, at="poll"),
    ErrorRow.rate_limited("poll 429", Fault(429, "slow down", EXHAUSTED, kind="poll",
                                            retry_after=2), at="poll"),
    ErrorRow("poll 401", Fault(401, "no key", UNAUTHENTICATED, kind="poll"), AuthError,
             at="poll"),
)  # fmt: skip

OUTCOMES = (
    Outcome.late_moderation("late moderation (billed)"),
    Outcome("internal_error", TaskFailed, prompt="a reactor meltdown"),
)

PROFILE = Profile(
    name="xai",
    sandboxes={("xai", "xai-api"): "xai"},
    evidence=wire_paths(  # no seed
        first_frame="image.url",
        last_frame="last_frame.url",
        reference_images="reference_images.*",
        audio="generate_audio",
    ),
    errors=ERRORS,
    outcomes=OUTCOMES,
    gaps={"grok-imagine-video-1.5-preview:reference_images": NO_REFS_WITHOUT_T2V},
    expire_outputs=lambda sbx: sbx.expire_outputs(),
    drop_task=_drop,
    use_cdn=lambda sbx, cdn: None,  # outputs always live on the vidgen host
    foreign_outputs_only=True,
    charge_tolerance=Decimal("1e-10"),  # usage.cost_in_usd_ticks is exact to a tick
)
