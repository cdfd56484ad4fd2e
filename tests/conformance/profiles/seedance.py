"""Seedance on BytePlus ModelArk (sandbox ``seedance``) and Volcengine Ark, the same contract
on its own host (``volcengine``). Codes as in tests/test_providers_seedance_failures.py
(research §4.4)."""

from __future__ import annotations

from decimal import Decimal
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
from reelforge.sandbox.seedance import Fault

from ..harness import NO_REFS_WITHOUT_T2V, ErrorRow, Outcome, Profile, wire_paths


def _fail(sbx: Any, handle: TaskHandle) -> None:
    task = sbx.book.tasks[handle.task_id]
    task.status, task.tokens = "failed", 0
    task.error = {"code": "InternalServiceError", "message": "unexpected internal error"}


def _drop(sbx: Any, handle: TaskHandle) -> None:
    task = sbx.book.tasks[handle.task_id]
    task.expires_at = task.due_at - 1  # unfinished past execution_expires_after: expired


def _fast_reconcile(adapter: Any) -> None:
    adapter.reconcile_delay = 0.01  # listings after an ambiguous submit, not 2 s apart


RPM = "RateLimitExceeded.EndpointRPMExceeded"
ERRORS = (
    ErrorRow("AuthenticationError", Fault(401, "AuthenticationError"), AuthError),
    ErrorRow("AccountOverdueError", Fault(403, "AccountOverdueError"), QuotaExceeded),
    ErrorRow("ModelNotOpen", Fault(404, "ModelNotOpen"), AuthError),
    ErrorRow("InvalidParameter", Fault(400, "InvalidParameter"), InvalidRequest),
    ErrorRow("InputTextSensitiveContentDetected",
             Fault(400, "InputTextSensitiveContentDetected"), ModerationRejected, stage="input"),
    ErrorRow.rate_limited(RPM, Fault(429, RPM, retry_after=7)),
    ErrorRow("QuotaExceeded", Fault(429, "QuotaExceeded"), QuotaExceeded),
    ErrorRow("SetLimitExceeded", Fault(429, "SetLimitExceeded"), QuotaExceeded),
    ErrorRow("5xx, nothing created", Fault(502, "BadGateway"), AmbiguousSubmit),
    # No idempotency key, but the listing finds the task this submit made: reconciled.
    ErrorRow.after_create("5xx", Fault(500, "InternalServiceError"), expect=None),
    ErrorRow.submit_timeout(Fault(200, ""), expect=None),
    ErrorRow("poll InternalServiceError", Fault(500, "InternalServiceError", kind="query"),
             TransientProviderError, at="poll"),
    ErrorRow.rate_limited("poll ServerOverloaded",
                          Fault(429, "ServerOverloaded", kind="query", retry_after=3), at="poll"),
    ErrorRow("poll AccessDenied", Fault(403, "AccessDenied", kind="query"), AuthError, at="poll"),
    ErrorRow("poll OutputVideoSensitiveContentDetected",
             Fault(400, "OutputVideoSensitiveContentDetected", kind="query"),
             ModerationRejected, at="poll", stage="output"),
)  # fmt: skip

OUTCOMES = (
    Outcome.late_moderation("late output moderation"),
    Outcome("internal failure", TaskFailed, mutate=_fail),
)

PROFILE = Profile(
    name="seedance",
    # Volcengine Ark is the same contract on its own host: a second Seedance sandbox.
    sandboxes={
        ("bytedance", "byteplus-modelark"): "seedance",
        ("bytedance", "volcengine-ark"): "volcengine",
    },
    evidence=wire_paths(
        first_frame="content[role=first_frame]",
        last_frame="content[role=last_frame]",
        reference_images="content[role=reference_image]",
        audio="generate_audio",
        seed="seed",
    ),
    errors=ERRORS,
    outcomes=OUTCOMES,
    gaps={
        "seedance-1.0-lite-i2v:reference_images": NO_REFS_WITHOUT_T2V,
    },
    cancel_phase="queued",
    cancel_note="ModelArk cancels queued tasks only; a running one raises Unsupported",
    drop_task=_drop,
    # completion_tokens are integers (the service floors); the catalogue estimate is exact.
    charge_tolerance=Decimal("0.0001"),
    tune=_fast_reconcile,
)
