"""The OpenAI videos contract: OpenAI itself (Sora, retired) and the APIYI relay, one sandbox
``openai``. Errors as in tests/test_providers_openai_videos_failures.py (research §2)."""

from __future__ import annotations

from typing import Any

from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    ConcurrencyLimited,
    InvalidRequest,
    ModerationRejected,
    QuotaExceeded,
    RateLimited,
    TaskFailed,
    TaskHandle,
    TransientProviderError,
    WireRequest,
)
from reelforge.sandbox.openai_videos import Fault

from ..harness import ErrorRow, Outcome, Profile, find


def evidence(wire: WireRequest, what: str) -> Any:
    if what == "first_frame":
        return bool(find(wire.body, "input_reference.base64"))
    if what == "reference_images":
        return 0
    if what == "last_frame":
        return False
    return None  # audio: always generated (no switch); no seed


def _fail(sbx: Any, handle: TaskHandle) -> None:
    video = sbx.book.videos[handle.task_id]
    video.status = "failed"
    video.error = {"code": "internal_error", "message": "Video generation failed."}


def _drop(sbx: Any, handle: TaskHandle) -> None:
    sbx.book.videos[handle.task_id].status = "expired"


def _expire(sbx: Any) -> None:
    sbx.expire_assets()
    if sbx.cdn is not None:
        sbx.cdn.expire_files()


ERRORS = (
    ErrorRow("400", Fault(400, None, "bad"), InvalidRequest),
    ErrorRow("400 invalid_value", Fault(400, "invalid_value", "bad seconds"), InvalidRequest),
    ErrorRow("400 moderation_blocked", Fault(400, "moderation_blocked", "blocked"),
             ModerationRejected, stage="input"),
    ErrorRow("401 invalid_api_key", Fault(401, "invalid_api_key", "bad key"), AuthError),
    ErrorRow("403", Fault(403, None, "no access", type="permission_error"), AuthError),
    ErrorRow("404 model_not_found", Fault(404, "model_not_found", "no model"), InvalidRequest),
    ErrorRow("429 rate_limit_exceeded",
             Fault(429, "rate_limit_exceeded", "slow", type="requests", retry_after=3),
             RateLimited, retry_after=3.0),
    ErrorRow("429 insufficient_quota",
             Fault(429, "insufficient_quota", "quota", type="insufficient_quota"),
             QuotaExceeded),
    ErrorRow("429 too_many_concurrent_requests",
             Fault(429, "too_many_concurrent_requests", "busy", type="requests"),
             ConcurrencyLimited),
    ErrorRow("500 after create", Fault(500, "server_error", "boom", type="server_error",
                                       after_create=True), AmbiguousSubmit),
    ErrorRow("502", Fault(502, None, "bad gateway", type="api_error"), AmbiguousSubmit),
    ErrorRow("submit timeout", Fault(200, after_create=True, delay=0.8), AmbiguousSubmit,
             timeout=0.3, once=True),
    ErrorRow("poll 500", Fault(500, None, "boom", type="server_error", kind="query"),
             TransientProviderError, at="poll"),
    ErrorRow("poll 429", Fault(429, "rate_limit_exceeded", "slow", type="requests",
                               kind="query", retry_after=2), RateLimited, at="poll",
             retry_after=2.0),
    ErrorRow("poll 401", Fault(401, "invalid_api_key", "bad key", kind="query"), AuthError,
             at="poll"),
    ErrorRow("poll 404", Fault(404, None, "gone", kind="query"), InvalidRequest, at="poll"),
)  # fmt: skip

OUTCOMES = (
    Outcome("late moderation", ModerationRejected, "output", prompt="a contraband crate"),
    Outcome("failed video", TaskFailed, mutate=_fail),
)

PROFILE = Profile(
    name="openai_videos",
    sandboxes={("openai", "openai-api"): "openai", ("apiyi", "openai-compatible-videos"): "openai"},
    evidence=evidence,
    errors=ERRORS,
    outcomes=OUTCOMES,
    gaps={
        "*:audio_off": "the videos contract always generates audio; sound=False is warned only",
    },
    expire_outputs=_expire,
    drop_task=_drop,
    reports_charge=lambda route: False,
    charge_note="the videos API reports no charge: the catalogue quote is the only figure",
)
