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
    TaskFailed,
    TaskHandle,
    TransientProviderError,
)
from reelforge.sandbox.openai_videos import Fault

from ..harness import ErrorRow, Outcome, Profile, never, wire_paths


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
    ErrorRow.rate_limited("429 rate_limit_exceeded", Fault(429, "rate_limit_exceeded", "slow",
                                                           type="requests", retry_after=3)),
    ErrorRow("429 insufficient_quota",
             Fault(429, "insufficient_quota", "quota", type="insufficient_quota"),
             QuotaExceeded),
    ErrorRow("429 too_many_concurrent_requests",
             Fault(429, "too_many_concurrent_requests", "busy", type="requests"),
             ConcurrencyLimited),
    ErrorRow.after_create("500", Fault(500, "server_error", "boom", type="server_error")),
    ErrorRow("502", Fault(502, None, "bad gateway", type="api_error"), AmbiguousSubmit),
    ErrorRow.submit_timeout(Fault(200)),
    ErrorRow("poll 500", Fault(500, None, "boom", type="server_error", kind="query"),
             TransientProviderError, at="poll"),
    ErrorRow.rate_limited("poll 429", Fault(429, "rate_limit_exceeded", "slow", type="requests",
                                            kind="query", retry_after=2), at="poll"),
    ErrorRow("poll 401", Fault(401, "invalid_api_key", "bad key", kind="query"), AuthError,
             at="poll"),
    ErrorRow("poll 404", Fault(404, None, "gone", kind="query"), InvalidRequest, at="poll"),
)  # fmt: skip

OUTCOMES = (
    Outcome.late_moderation("late moderation"),
    Outcome("failed video", TaskFailed, mutate=_fail),
)

PROFILE = Profile(
    name="openai_videos",
    sandboxes={("openai", "openai-api"): "openai", ("apiyi", "openai-compatible-videos"): "openai"},
    # No last frame; audio always generated (no switch); no seed.
    evidence=wire_paths(first_frame="input_reference.base64"),
    errors=ERRORS,
    outcomes=OUTCOMES,
    gaps={
        "*:audio_off": "the videos contract always generates audio; sound=False is warned only",
    },
    expire_outputs=_expire,
    drop_task=_drop,
    reports_charge=never,
    charge_note="the videos API reports no charge: the catalogue quote is the only figure",
)
