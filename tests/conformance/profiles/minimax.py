"""MiniMax: v1 Hailuo (errors in ``base_resp`` on HTTP 200) and v2 MiniMax-H3 (HTTP statuses),
one sandbox ``minimax``. Codes as in tests/test_providers_minimax_failures.py (research §6.3)."""

from __future__ import annotations

from typing import Any

from reelforge.catalogue import Route
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
from reelforge.providers.minimax.models import api_version
from reelforge.sandbox.minimax import Fault

from ..harness import ErrorRow, Outcome, Profile, find


def v1(route: Route) -> bool:
    return api_version(route.model) == "v1"


def v2(route: Route) -> bool:
    return api_version(route.model) == "v2"


def evidence(wire: WireRequest, what: str) -> Any:
    body = wire.body
    if wire.route == "v1":
        paths = {
            "first_frame": "first_frame_image",
            "last_frame": "last_frame_image",
            "reference_images": "subject_reference.*",
        }
    else:
        paths = {
            "first_frame": "content[role=first_frame]",
            "last_frame": "content[role=last_frame]",
            "reference_images": "content[role=reference_image]",
        }
    if what == "reference_images":
        return len(find(body, paths[what]))
    if what in paths:
        return bool(find(body, paths[what]))
    return None  # audio: none on v1, always on v2 (no switch); no seed


def _fail(sbx: Any, handle: TaskHandle) -> None:
    task = sbx.book.tasks[handle.task_id]
    task.state, task.error = "failed", (1000, "internal error")


def _drop(sbx: Any, handle: TaskHandle) -> None:
    task = sbx.book.tasks[handle.task_id]
    task.expires_at = task.due_at - 1  # v2: unfinished past its deadline → expired


CONCURRENT = "rate limit exceeded: too many concurrent tasks, please retry later"
ERRORS = (
    # v1: HTTP 200 with base_resp.status_code
    ErrorRow("v1 1004", Fault(1004, "login fail"), AuthError, only=v1),
    ErrorRow("v1 1008", Fault(1008, "insufficient balance"), QuotaExceeded, only=v1),
    ErrorRow.rate_limited("v1 1002", Fault(1002, "rate limit, please retry later"), only=v1),
    ErrorRow("v1 1002 concurrency", Fault(1002, CONCURRENT), ConcurrencyLimited, only=v1),
    ErrorRow("v1 1026", Fault(1026, "sensitive"), ModerationRejected, stage="input", only=v1),
    ErrorRow("v1 2013", Fault(2013, "invalid params"), InvalidRequest, only=v1),
    ErrorRow("v1 1000 at submit", Fault(1000, "internal error"), AmbiguousSubmit, only=v1),
    ErrorRow("v1 poll 1004", Fault(1004, "login fail", kind="query"), AuthError, at="poll",
             only=v1),
    ErrorRow.rate_limited("v1 poll 1002", Fault(1002, "rate limit", kind="query"), at="poll",
                          only=v1),
    ErrorRow("v1 poll 1000", Fault(1000, "internal error", kind="query"),
             TransientProviderError, at="poll", only=v1),
    # v2: HTTP status + error envelope, the code at the end of the message
    ErrorRow("v2 1004/401", Fault(1004, "login fail"), AuthError, only=v2),
    ErrorRow("v2 1008/402", Fault(1008, "insufficient balance"), QuotaExceeded, only=v2),
    ErrorRow.rate_limited("v2 1002/429", Fault(1002, "rate limit", retry_after=5), only=v2),
    ErrorRow("v2 1026/422", Fault(1026, "sensitive"), ModerationRejected, stage="input",
             only=v2),
    ErrorRow("v2 2013/400", Fault(2013, "invalid params"), InvalidRequest, only=v2),
    ErrorRow("v2 1000/500", Fault(1000, "internal error"), AmbiguousSubmit, only=v2),
    ErrorRow("v2 poll 1027", Fault(1027, "output sensitive", kind="query"),
             ModerationRejected, at="poll", stage="output", only=v2),
    ErrorRow("v2 poll 1000", Fault(1000, "internal", kind="query"), TransientProviderError,
             at="poll", only=v2),
    ErrorRow("v2 poll 1004", Fault(1004, "login fail", kind="query"), AuthError, at="poll",
             only=v2),
    # both
    ErrorRow.after_create("502", Fault(1000, "internal", http_status=502)),
    ErrorRow.submit_timeout(Fault(1000)),
)  # fmt: skip

OUTCOMES = (
    Outcome.late_moderation("1027 output moderation"),
    Outcome("1000 internal failure", TaskFailed, mutate=_fail),
)

PROFILE = Profile(
    name="minimax",
    sandboxes={("minimax", "minimax-api"): "minimax"},
    evidence=evidence,
    errors=ERRORS,
    outcomes=OUTCOMES,
    drop_task=_drop,
    drops=v2,
    no_drop_reason="v1 Hailuo tasks end Success or Fail; only the v2 API has `expired`",
    reports_charge=v2,
    charge_note="v1 Hailuo reports no usage; v2 reports usage.total_seconds",
)
