"""Veo on the Gemini API (sandbox ``google``). Google statuses as in
tests/test_providers_veo_failures.py (research §1.5)."""

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
    Unsupported,
)
from reelforge.sandbox.veo import VeoFault

from ..harness import ErrorRow, Outcome, Profile, never, wire_paths

# The instance's frames and references; audio always on (no field), seed on Vertex only.
FRAMES = {
    "first_frame": "instances.0.image.bytesBase64Encoded",
    "last_frame": "instances.0.lastFrame.bytesBase64Encoded",
    "reference_images": "instances.0.referenceImages.*",
}


def _fail(sbx: Any, handle: TaskHandle) -> None:
    op = sbx.book.operations[handle.task_id]
    op.done, op.error = True, {"code": 13, "message": "Video generation failed."}


def _drop(sbx: Any, handle: TaskHandle) -> None:
    with sbx.lock:
        del sbx.book.operations[handle.task_id]  # operations are kept for a while, then gone


AI = "The prompt violates Google's Responsible AI practices."
ERRORS = (
    ErrorRow("INVALID_ARGUMENT", VeoFault(400, "INVALID_ARGUMENT", "durationSeconds out of range"),
             InvalidRequest),
    ErrorRow("billing precondition",
             VeoFault(400, "FAILED_PRECONDITION", "Free tier is not available; enable billing."),
             QuotaExceeded),
    ErrorRow("bad key (400)", VeoFault(400, "INVALID_ARGUMENT", "API key not valid."), AuthError),
    ErrorRow("responsible AI", VeoFault(400, "INVALID_ARGUMENT", AI), ModerationRejected,
             stage="input"),
    ErrorRow("PERMISSION_DENIED", VeoFault(403, "PERMISSION_DENIED", "no access"), AuthError),
    ErrorRow.rate_limited("RESOURCE_EXHAUSTED",
                          VeoFault(429, "RESOURCE_EXHAUSTED", "quota", retry_delay=7)),
    ErrorRow.after_create("INTERNAL", VeoFault(500, "INTERNAL", "internal")),
    ErrorRow("UNAVAILABLE", VeoFault(503, "UNAVAILABLE", "overloaded"), AmbiguousSubmit),
    ErrorRow.submit_timeout(VeoFault(200, "OK")),
    ErrorRow("poll UNAVAILABLE", VeoFault(503, "UNAVAILABLE", "blip", kind="operation"),
             TransientProviderError, at="poll"),
    ErrorRow.rate_limited("poll RESOURCE_EXHAUSTED",
                          VeoFault(429, "RESOURCE_EXHAUSTED", "slow", kind="operation",
                                   retry_delay=3), at="poll"),
    ErrorRow("poll PERMISSION_DENIED", VeoFault(403, "PERMISSION_DENIED", "no", kind="operation"),
             AuthError, at="poll"),
    ErrorRow("poll UNIMPLEMENTED", VeoFault(501, "UNIMPLEMENTED", "no", kind="operation"),
             Unsupported, at="poll"),
)  # fmt: skip

OUTCOMES = (
    Outcome.late_moderation("RAI media filtered"),
    Outcome("operation error", TaskFailed, mutate=_fail),
)

PROFILE = Profile(
    name="veo",
    sandboxes={("google", "gemini-api"): "google"},
    evidence=wire_paths(**FRAMES),
    errors=ERRORS,
    outcomes=OUTCOMES,
    drop_task=_drop,
    reports_charge=never,
    charge_note="Google reports no charge per operation: the catalogue quote is the only figure",
)
