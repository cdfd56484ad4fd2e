"""Kling's model-path API (sandbox ``kling-model-path``): the v1 business codes on a new
contract (research §3.5, §3.7; vendor pages in aself101/kling-api docs/api)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    ConcurrencyLimited,
    InvalidRequest,
    QuotaExceeded,
    TaskFailed,
    TaskHandle,
    WireRequest,
)
from reelforge.sandbox.kling import Fault

from ..harness import ErrorRow, Outcome, Profile, find
from . import kling


def evidence(wire: WireRequest, what: str) -> Any:
    body = wire.body
    if what in ("first_frame", "last_frame"):
        return bool(find(body, f"contents[type={what}]"))
    if what == "reference_images":
        return len(find(body, "contents[type=element]"))  # element ids; images are not uploaded
    if what == "audio":
        audio = find(body, "settings.audio")
        return None if not audio else audio[0] == "native"
    return None  # no seed on Kling


def _fail(sbx: Any, handle: TaskHandle) -> None:
    """The task fails as Kling's internal errors do (not charged)."""
    task = sbx.tasks[handle.task_id]
    task.status, task.message, task.units = "failed", "Internal error, please try again", Decimal(0)


ERRORS = (
    ErrorRow("1002 AK/SK refused", Fault(401, 1002, "The current API does not support AK/SK"),
             AuthError),
    ErrorRow("1303 parallel tasks", Fault(429, 1303, "parallel task over resource pack limit"),
             ConcurrencyLimited),
    ErrorRow("1201 invalid parameter", Fault(400, 1201, "contents cannot be empty"),
             InvalidRequest),
    ErrorRow("1203 model not found", Fault(404, 1203, "model not found"), InvalidRequest),
    ErrorRow("5002 internal timeout", Fault(504, 5002, "backlog"), AmbiguousSubmit),
    ErrorRow("poll 1001", Fault(401, 1001, "Authorization is empty", kind="query"), AuthError,
             at="poll"),
    ErrorRow("poll 1101 arrears", Fault(429, 1101, "account in arrears", kind="query"),
             QuotaExceeded, at="poll"),
    ErrorRow("poll 1201 too many ids", Fault(400, 1201, "at most 20 ids", kind="query"),
             InvalidRequest, at="poll"),
    *kling.SHARED_ERRORS,
)  # fmt: skip

OUTCOMES = (
    Outcome.late_moderation("late risk control"),
    Outcome("internal failure", TaskFailed, mutate=_fail),
)

PROFILE = Profile(
    name="kling-model-path",
    sandboxes={("kling", "kling-api-model-path"): "kling-model-path"},
    evidence=evidence,
    errors=ERRORS,
    outcomes=OUTCOMES,
    gaps={
        "kling-3.0@model-path:reference_images": (
            "the model-path API takes references as Kling element ids (contents type element, "
            "made with the Element API); image references are not uploaded (the adapter warns)"
        ),
    },
    no_drop_reason=kling.NO_EXPIRY,
)
