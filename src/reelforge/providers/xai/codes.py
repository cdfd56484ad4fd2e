"""xAI error bodies mapped onto the exception tree, as tables so a test can check every row.

The REST API answers errors as ``{"code": "<gRPC status description>", "error": "<message>"}``,
e.g. ``{"code": "Client specified an invalid argument", "error": "Incorrect API key provided:
xa***. ..."}`` — note a *wrong key is HTTP 400*, not 401 [3P: continuedev/continue#10778,
i-am-bee/beeai-framework#447]. Relays report 401, 403 (permission or no credits), 429 and 400
for content policy (providers-2 §1.5). The slug spellings (``invalid-argument``) appear in a ZDR
error report [3P] [?]; both spellings are mapped. Failed jobs carry ``error: {code, message}``
with snake_case codes such as ``internal_error`` (§1.5).
"""

from __future__ import annotations

from typing import Any

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

# The gRPC status behind an HTTP error (description and slug spellings).
CODE_TABLE: dict[str, type[ProviderError]] = {
    "client specified an invalid argument": InvalidRequest,
    "invalid-argument": InvalidRequest,
    "the request does not have valid authentication credentials for the operation": AuthError,
    "unauthenticated": AuthError,
    "the caller does not have permission to execute the specified operation": AuthError,
    "permission-denied": AuthError,
    "some resource has been exhausted": RateLimited,
    "resource-exhausted": RateLimited,
    "some requested entity (e.g., file or directory) was not found": InvalidRequest,
    "not-found": InvalidRequest,
    "operation was rejected because the system is not in a state required for the "
    "operation's execution": InvalidRequest,
    "failed-precondition": InvalidRequest,
    "internal error": TransientProviderError,
    "internal": TransientProviderError,
    "the service is currently unavailable": TransientProviderError,
    "unavailable": TransientProviderError,
    "deadline expired before operation could complete": TransientProviderError,
    "deadline-exceeded": TransientProviderError,
}
# Message words that decide the class whatever the code says (checked in this order).
MESSAGE_HINTS: tuple[tuple[tuple[str, ...], type[ProviderError]], ...] = (
    (("api key", "unauthenticated", "authentication"), AuthError),
    (("credits", "spending limit", "balance", "billing", "payment"), QuotaExceeded),
    (("moderation", "content policy", "content_policy", "safety", "guideline"), ModerationRejected),
    (("concurrent", "concurrency"), ConcurrencyLimited),
    (("rate limit", "too many requests"), RateLimited),
)
# error.code of a failed job (poll); anything else is a plain TaskFailed.
JOB_CODE_TABLE: dict[str, type[ProviderError]] = {
    "internal_error": TaskFailed,
    "content_moderation": ModerationRejected,
    "moderation_blocked": ModerationRejected,
    "invalid_argument": TaskFailed,
    "timeout": TaskFailed,
}


def class_for_status(status: int) -> type[ProviderError]:
    if status in (401, 403):
        return AuthError
    if status == 402:
        return QuotaExceeded
    if status == 429:
        return RateLimited
    if status in (400, 404, 409, 413, 415, 422):
        return InvalidRequest
    if status >= 500:
        return TransientProviderError
    return ProviderError


def error_parts(payload: Any) -> tuple[str, str]:
    """(code, message) from ``{code, error}``, tolerating ``{error: {code, message}}`` relays."""
    if not isinstance(payload, dict):
        return "", ""
    err = payload.get("error")
    if isinstance(err, dict):
        return str(err.get("code") or payload.get("code") or ""), str(err.get("message") or "")
    return str(payload.get("code") or ""), str(err or payload.get("message") or "")


def by_message(message: str) -> type[ProviderError] | None:
    text = message.lower()
    for words, cls in MESSAGE_HINTS:
        if any(w in text for w in words):
            return cls
    return None


def error_for(
    status: int, payload: Any, *, retry_after: float | None = None, **ctx: Any
) -> ProviderError:
    code, message = error_parts(payload)
    hinted = by_message(message)
    cls = hinted or CODE_TABLE.get(code.lower()) or class_for_status(status)
    if status >= 500 and hinted is not AuthError:
        cls = TransientProviderError
    if cls is RateLimited and status == 403:  # "resource exhausted" on 403 means no credits
        cls = QuotaExceeded
    text = f"{message or 'HTTP ' + str(status)} ({code + ', ' if code else ''}HTTP {status})"
    kw: dict[str, Any] = {"code": code or None, "status": status, "payload": payload}
    return build_error(cls, text, retry_after=retry_after, **kw, **ctx)


def job_error(error: Any, **ctx: Any) -> ProviderError:
    """The exception for a ``failed`` job's ``error: {code, message}``."""
    err = error if isinstance(error, dict) else {}
    code, message = str(err.get("code") or ""), str(err.get("message") or "video failed")
    cls = JOB_CODE_TABLE.get(code) or TaskFailed
    if by_message(f"{code} {message}") is ModerationRejected:
        cls = ModerationRejected
    text = f"{message} (code {code})" if code else message
    if cls is ModerationRejected:
        return ModerationRejected(text, stage="output", code=code or None, **ctx)
    return cls(text, code=code or None, **ctx)
