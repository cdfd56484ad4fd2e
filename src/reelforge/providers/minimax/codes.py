"""MiniMax numeric status codes mapped onto the exception tree (research §6.3), as a table so a
test can check every row and a new code is one line.

v1 answers HTTP 200 with ``base_resp {status_code, status_msg}`` (0 = success). v2 answers an
HTTP error status with ``{type: "error", error: {type, message "... (code)", http_code}}``.
Rows marked [?] are not in the research notes (recalled from MiniMax's error-code page, not
re-checked here); the rest are the documented v2 examples.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from ..errors import (
    AuthError,
    ConcurrencyLimited,
    InvalidRequest,
    ModerationRejected,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    TaskFailed,
    TransientProviderError,
    build_error,
)

# code → (HTTP status v2 answers with, exception class, the service's message)
CODE_TABLE: dict[int, tuple[int, type[ProviderError], str]] = {
    1000: (500, TransientProviderError, "internal error"),
    1001: (500, TransientProviderError, "request timeout"),  # [?]
    1002: (429, RateLimited, "rate limit, please retry later"),
    1004: (401, AuthError, "login fail: please check your api key"),
    1008: (402, QuotaExceeded, "insufficient balance"),
    1013: (500, TransientProviderError, "internal service error"),  # [?]
    1026: (422, ModerationRejected, "video description contains sensitive content"),
    1027: (422, ModerationRejected, "output video contains sensitive content"),  # [?] late
    1039: (429, RateLimited, "token limit exceeded"),  # [?]
    1042: (400, InvalidRequest, "illegal characters in prompt"),  # [?]
    2013: (400, InvalidRequest, "invalid params"),
    2049: (401, AuthError, "invalid api key"),  # [?]
}
OUTPUT_MODERATION = {1027}
TRANSIENT_AT_SUBMIT = {1000, 1001, 1013}  # the task may have been created: ambiguous
CODE_IN_MESSAGE = re.compile(r"\((\d{3,5})\)\s*$")


def code_from_message(message: str) -> int | None:
    m = CODE_IN_MESSAGE.search(message or "")
    return int(m.group(1)) if m else None


def class_for_status(status: int) -> type[ProviderError]:
    """Fallback when the body has no code we know (a proxy's HTML page, a new code)."""
    if status in (401, 403):
        return AuthError
    if status == 402:
        return QuotaExceeded
    if status == 429:
        return RateLimited
    if status in (400, 404, 409, 422):
        return InvalidRequest
    if status >= 500:
        return TransientProviderError
    return ProviderError


def moderation_stage(code: int | None) -> Literal["input", "output"]:
    return "output" if code in OUTPUT_MODERATION else "input"


def error_for(
    status: int,
    code: int | None,
    message: str,
    *,
    retry_after: float | None = None,
    **ctx: Any,
) -> ProviderError:
    """The exception for an HTTP status and (optional) MiniMax code. MiniMax documents no
    separate concurrency code: a 1002 whose message speaks of concurrency is read as one [?]."""
    entry = CODE_TABLE.get(code) if code is not None else None
    cls = entry[1] if entry else class_for_status(status)
    if not entry and status == 200:
        cls = TaskFailed  # a failed task, or a non-zero base_resp code we do not know
    text = f"{message or 'HTTP ' + str(status)} (MiniMax code {code}, HTTP {status})"
    if cls is RateLimited and "concurren" in (message or "").lower():
        return ConcurrencyLimited(text, code=code, status=status, **ctx)
    stage = moderation_stage(code)
    return build_error(
        cls, text, retry_after=retry_after, stage=stage, code=code, status=status, **ctx
    )
