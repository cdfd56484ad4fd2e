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
    RateLimited,
    TaskFailed,
    TaskHandle,
    TransientProviderError,
    Unsupported,
    WireRequest,
)
from reelforge.sandbox.veo import VeoFault

from ..harness import ErrorRow, Outcome, Profile, find


def evidence(wire: WireRequest, what: str) -> Any:
    instance = wire.body["instances"][0]
    if what == "first_frame":
        return bool(find(instance, "image.bytesBase64Encoded"))
    if what == "last_frame":
        return bool(find(instance, "lastFrame.bytesBase64Encoded"))
    if what == "reference_images":
        return len(find(instance, "referenceImages.*"))
    return None  # audio: always on (no field); seed: Vertex only


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
    ErrorRow("RESOURCE_EXHAUSTED", VeoFault(429, "RESOURCE_EXHAUSTED", "quota", retry_delay=7),
             RateLimited, retry_after=7.0),
    ErrorRow("INTERNAL after create",
             VeoFault(500, "INTERNAL", "internal", after_create=True), AmbiguousSubmit),
    ErrorRow("UNAVAILABLE", VeoFault(503, "UNAVAILABLE", "overloaded"), AmbiguousSubmit),
    ErrorRow("submit timeout", VeoFault(200, "OK", after_create=True, delay=0.8),
             AmbiguousSubmit, timeout=0.3, once=True),
    ErrorRow("poll UNAVAILABLE", VeoFault(503, "UNAVAILABLE", "blip", kind="operation"),
             TransientProviderError, at="poll"),
    ErrorRow("poll RESOURCE_EXHAUSTED",
             VeoFault(429, "RESOURCE_EXHAUSTED", "slow", kind="operation", retry_delay=3),
             RateLimited, at="poll", retry_after=3.0),
    ErrorRow("poll PERMISSION_DENIED", VeoFault(403, "PERMISSION_DENIED", "no", kind="operation"),
             AuthError, at="poll"),
    ErrorRow("poll UNIMPLEMENTED", VeoFault(501, "UNIMPLEMENTED", "no", kind="operation"),
             Unsupported, at="poll"),
)  # fmt: skip

OUTCOMES = (
    Outcome("RAI media filtered", ModerationRejected, "output", prompt="a contraband crate"),
    Outcome("operation error", TaskFailed, mutate=_fail),
)

PROFILE = Profile(
    name="veo",
    sandboxes={("google", "gemini-api"): "google"},
    evidence=evidence,
    errors=ERRORS,
    outcomes=OUTCOMES,
    drop_task=_drop,
    reports_charge=lambda route: False,
    charge_note="Google reports no charge per operation: the catalogue quote is the only figure",
)
