"""Kling's v1 task API (sandbox ``kling``). Codes and statuses as in
tests/test_providers_kling_failures.py (research §3.7)."""

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
    WireRequest,
)
from reelforge.sandbox.kling import Fault

from ..harness import ErrorRow, Outcome, Profile, find


def evidence(wire: WireRequest, what: str) -> Any:
    body = wire.body
    if wire.route == "omni-video":  # frames and references are typed items of image_list
        if what == "reference_images":
            return sum(1 for i in find(body, "image_list.*") if "type" not in i)
        if what in ("first_frame", "last_frame"):
            kind = "first_frame" if what == "first_frame" else "end_frame"
            return bool(find(body, f"image_list[type={kind}]"))
    if what == "first_frame":
        return bool(find(body, "image"))
    if what == "last_frame":
        return bool(find(body, "image_tail"))
    if what == "reference_images":
        return 0  # element references are not uploaded (see gaps)
    if what == "audio":
        return None if "sound" not in body else body["sound"] == "on"
    return None  # no seed on Kling


def _fail(sbx: Any, handle: TaskHandle) -> None:
    """The task fails as Kling's internal errors do (not charged)."""
    task = sbx.book.tasks[handle.task_id]
    task.status, task.status_msg = "failed", "Internal error, please try again later"
    task.units = Decimal(0)


# The business codes both Kling APIs answer alike (profiles/kling_model_path.py reuses them).
SHARED_ERRORS = (
    ErrorRow("1102 resource pack depleted", Fault(429, 1102, "pack depleted"), QuotaExceeded),
    ErrorRow.rate_limited("1302 rate limit", Fault(429, 1302, "rate too high", retry_after=7)),
    ErrorRow("1301 content security", Fault(400, 1301, "blocked"), ModerationRejected,
             stage="input"),
    ErrorRow.after_create("5000", Fault(500, 5000, "server error")),
    ErrorRow.submit_timeout(Fault(200, 0)),
    ErrorRow.rate_limited("poll 1302", Fault(429, 1302, "slow", kind="query", retry_after=3),
                          at="poll"),
    ErrorRow("poll 5001", Fault(503, 5001, "unavailable", kind="query"),
             TransientProviderError, at="poll"),
)  # fmt: skip
ERRORS = (
    ErrorRow("1004 token expired", Fault(401, 1004, "token expired"), AuthError),
    ErrorRow("1303 parallel tasks", Fault(429, 1303, "parallel limit"), ConcurrencyLimited),
    ErrorRow("1201 invalid parameter", Fault(400, 1201, "bad value"), InvalidRequest),
    ErrorRow("1304 IP whitelist", Fault(429, 1304, "ip not allowed"), AuthError),
    ErrorRow("5001 unavailable", Fault(503, 5001, "unavailable"), AmbiguousSubmit),
    ErrorRow("poll 1004", Fault(401, 1004, "expired", kind="query"), AuthError, at="poll"),
    ErrorRow("poll 1100 account", Fault(429, 1100, "account abnormal", kind="query"),
             QuotaExceeded, at="poll"),
    ErrorRow("poll 1203 not found", Fault(404, 1203, "not found", kind="query"),
             InvalidRequest, at="poll"),
    *SHARED_ERRORS,
)  # fmt: skip

OUTCOMES = (
    Outcome.late_moderation("late risk control"),
    Outcome("internal failure", TaskFailed, mutate=_fail),
)
NO_EXPIRY = "Kling keeps tasks (and outputs for 30 days); it has no expired status"

REFS = "the task API takes elements by id (element_list); image references are not uploaded"
PROFILE = Profile(
    name="kling",
    sandboxes={("kling", "kling-api"): "kling"},
    evidence=evidence,
    errors=ERRORS,
    outcomes=OUTCOMES,
    gaps={
        **{
            f"{route}:reference_images": REFS + " (the adapter warns)"
            for route in ("kling-v3-std", "kling-v3-pro", "kling-v3-4k", "kling-v1.6-pro")
        },
        "kling-v2.6-pro:charge": (
            "the sandbox approximates pre-3.0 models at 0.7 units/s in pro mode, the catalogue "
            "prices kling-v2.6-pro at 5 units per 5 s clip (sandbox/kling_tasks.py units_for)"
        ),
        **dict.fromkeys(
            ("kling-o1-*:charge", "kling-v3-omni-*:charge"),
            "Omni routes are priced in USD per second (third-party prices) while Kling reports "
            "resource-pack units: the catalogue has no unit → USD rate for them",
        ),
    },
    no_drop_reason=NO_EXPIRY,
)
