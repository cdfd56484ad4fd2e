"""Runway errors mapped onto the exception tree, as tables so a test can check every row.

Two sources (research §5.3): HTTP errors at submit/poll (body ``{"error": "<message>"}``, with
``issues`` on validation failures [?: shape from memory of the API, not in the research]) and
task failures (HTTP 200, ``status: FAILED`` with ``failureCode``). ``SAFETY.*`` codes are content
moderation and never retried; the suffix after the family is diagnostic only.
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

# HTTP status → exception class (Runway sends no numeric error codes).
STATUS_TABLE: dict[int, type[ProviderError]] = {
    400: InvalidRequest,
    401: AuthError,
    403: AuthError,  # no access to the model / organisation
    404: InvalidRequest,  # unknown task (deleted) or endpoint
    409: InvalidRequest,
    413: InvalidRequest,
    422: InvalidRequest,
    429: RateLimited,  # per-tier request rate; running-task concurrency shows as THROTTLED
    500: TransientProviderError,
    502: TransientProviderError,
    503: TransientProviderError,
    504: TransientProviderError,
}
# Words in a 400 body that mean "a human must buy credits" [?: wording not verified].
QUOTA_WORDS = ("not have enough credits", "insufficient credits", "out of credits")

# failureCode family → (exception class, moderation stage or None).
FAILURE_TABLE: dict[str, tuple[type[ProviderError], str | None]] = {
    "SAFETY.INPUT": (ModerationRejected, "input"),
    "SAFETY.OUTPUT": (ModerationRejected, "output"),
    "SAFETY": (ModerationRejected, "input"),
    "INTERNAL.BAD_OUTPUT": (TaskFailed, None),  # quality rejection: adjust the input, retry
    "INTERNAL": (TaskFailed, None),
    # Not in the research; documented on the task-failures page as far as we recall [?].
    "INPUT_PREPROCESSING": (InvalidRequest, None),
    "ASSET.INVALID": (InvalidRequest, None),
    "TIMEOUT": (TaskExpired, None),
}


def class_for_status(status: int) -> type[ProviderError]:
    if status in STATUS_TABLE:
        return STATUS_TABLE[status]
    if status >= 500:
        return TransientProviderError
    if status >= 400:
        return InvalidRequest
    return ProviderError


def failure_entry(code: str | None) -> tuple[type[ProviderError], str | None]:
    """Exact code, else its longest known dotted family; unknown codes are plain TaskFailed."""
    parts = (code or "").split(".")
    for n in range(len(parts), 0, -1):
        entry = FAILURE_TABLE.get(".".join(parts[:n]))
        if entry is not None:
            return entry
    return (TaskFailed, None)


def http_error(
    status: int, message: str, *, retry_after: float | None = None, **ctx: Any
) -> ProviderError:
    cls = class_for_status(status)
    if status in (400, 402, 403) and any(w in message.lower() for w in QUOTA_WORDS):
        cls = QuotaExceeded
    text = f"{message or 'HTTP ' + str(status)} (Runway HTTP {status})"
    return build_error(cls, text, retry_after=retry_after, status=status, **ctx)


def failure_error(code: str | None, message: str, **ctx: Any) -> ProviderError:
    cls, stage = failure_entry(code)
    text = f"{message or 'task failed'} (Runway failureCode {code})" if code else message
    return build_error(cls, text or "task failed", stage=stage or "input", code=code, **ctx)
