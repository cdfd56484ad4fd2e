"""Luma errors mapped onto the exception tree, as tables so a test can check every row.

Two sources: HTTP errors at submit/poll (body ``{"detail": "<message>"}`` [?: the research gives
no error shape; this is the FastAPI-style envelope Luma is commonly seen to answer with]) and
generation failures (HTTP 200, ``state: "failed"`` with a free-text ``failure_reason``, §7).
Luma sends no failure codes, so reasons are classified by words in the text [?: wording
unverified]; moderation is never retried.
"""

from __future__ import annotations

from typing import Any

from ..errors import (
    AuthError,
    InvalidRequest,
    ModerationRejected,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    TaskExpired,
    TaskFailed,
    TransientProviderError,
    build_error,
)

STATUS_TABLE: dict[int, type[ProviderError]] = {
    400: InvalidRequest,
    401: AuthError,
    402: QuotaExceeded,  # insufficient credits
    403: AuthError,
    404: InvalidRequest,  # unknown (or deleted) generation
    409: InvalidRequest,
    413: InvalidRequest,
    422: InvalidRequest,  # body validation
    429: RateLimited,
    500: TransientProviderError,
    502: TransientProviderError,
    503: TransientProviderError,
    504: TransientProviderError,
}
QUOTA_WORDS = ("insufficient credits", "enough credits", "out of credits")
MODERATION_WORDS = ("moderation", "not allowed", "content policy")

# Words in a failure_reason (checked in order) → (exception class, moderation stage or None).
FAILURE_TABLE: tuple[tuple[str, type[ProviderError], str | None], ...] = (
    ("output video failed moderation", ModerationRejected, "output"),
    ("output moderation", ModerationRejected, "output"),
    ("moderation", ModerationRejected, "input"),
    ("not allowed", ModerationRejected, "input"),
    ("could not download", InvalidRequest, None),  # a keyframe URL Luma could not fetch
    ("invalid", InvalidRequest, None),
    ("timed out", TaskExpired, None),
    ("timeout", TaskExpired, None),
)


def class_for_status(status: int) -> type[ProviderError]:
    if status in STATUS_TABLE:
        return STATUS_TABLE[status]
    if status >= 500:
        return TransientProviderError
    if status >= 400:
        return InvalidRequest
    return ProviderError


def http_error(
    status: int, message: str, *, retry_after: float | None = None, **ctx: Any
) -> ProviderError:
    cls = class_for_status(status)
    lowered = message.lower()
    if status in (400, 402, 403) and any(w in lowered for w in QUOTA_WORDS):
        cls = QuotaExceeded
    if status in (400, 422) and any(w in lowered for w in MODERATION_WORDS):
        cls = ModerationRejected
    text = f"{message or 'HTTP ' + str(status)} (Luma HTTP {status})"
    return build_error(cls, text, retry_after=retry_after, status=status, **ctx)


def failure_entry(reason: str | None) -> tuple[type[ProviderError], str | None]:
    lowered = (reason or "").lower()
    for words, cls, stage in FAILURE_TABLE:
        if words in lowered:
            return cls, stage
    return TaskFailed, None


def failure_error(reason: str | None, **ctx: Any) -> ProviderError:
    cls, stage = failure_entry(reason)
    text = f"{reason or 'generation failed'} (Luma failure_reason)"
    return build_error(cls, text, stage=stage or "input", **ctx)


def error_detail(payload: Any) -> str:
    """The message of an error body: ``detail`` (a string, or a pydantic-style validation list
    whose first item is used), else ``error`` or ``message``. Both Luma APIs answer this way."""
    if not isinstance(payload, dict):
        return ""
    detail = payload.get("detail") or payload.get("error") or payload.get("message") or ""
    if isinstance(detail, list):
        first = detail[0] if detail and isinstance(detail[0], dict) else {}
        where = ".".join(str(p) for p in first.get("loc", []))
        detail = f"{where}: {first.get('msg', '')}".strip(": ")
    return str(detail)
