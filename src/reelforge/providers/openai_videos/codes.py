"""OpenAI error bodies (``{"error": {message, type, param, code}}``, research §2.3) mapped onto
the exception tree: first by ``code``, then by ``type``, then by HTTP status, as tables so a test
can check every row and a new code is one line."""

from __future__ import annotations

from typing import Any

import httpx

from ..errors import (
    AuthError,
    ConcurrencyLimited,
    InvalidRequest,
    ModerationRejected,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    TransientProviderError,
    build_error,
)

CODE_TABLE: dict[str, type[ProviderError]] = {
    "moderation_blocked": ModerationRejected,
    "content_policy_violation": ModerationRejected,
    "content_filter": ModerationRejected,
    "rate_limit_exceeded": RateLimited,
    "insufficient_quota": QuotaExceeded,
    "billing_hard_limit_reached": QuotaExceeded,
    "concurrency_limit_exceeded": ConcurrencyLimited,
    "too_many_concurrent_requests": ConcurrencyLimited,
    "invalid_api_key": AuthError,
    "model_not_found": InvalidRequest,
    "invalid_type": InvalidRequest,
    "invalid_value": InvalidRequest,
    "server_error": TransientProviderError,
}
TYPE_TABLE: dict[str, type[ProviderError]] = {
    "invalid_request_error": InvalidRequest,
    "authentication_error": AuthError,
    "permission_error": AuthError,
    "insufficient_quota": QuotaExceeded,
    "rate_limit_error": RateLimited,
    "requests": RateLimited,  # the type OpenAI sends with rate_limit_exceeded
    "tokens": RateLimited,
    "server_error": TransientProviderError,
    "api_error": TransientProviderError,
}
# Words in a code or message that mean a content-policy rejection whatever the code says.
MODERATION_HINTS = ("moderation", "content policy", "content_policy", "safety", "guardrail")


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


def is_moderation(code: str, message: str) -> bool:
    text = f"{code} {message}".lower()
    return any(h in text for h in MODERATION_HINTS)


def retry_after(headers: httpx.Headers) -> float | None:
    """``retry-after-ms`` (OpenAI's own) wins over ``retry-after`` (seconds)."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return float(value) / scale
            except ValueError:
                continue
    return None


def error_parts(payload: Any) -> tuple[str, str, str, str]:
    """(message, type, code, param) from an OpenAI error body, tolerating gateways' variants."""
    err = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(err, str):  # some relays send {"error": "text"}
        return err, "", "", ""
    if not isinstance(err, dict):
        err = payload if isinstance(payload, dict) else {}
    message, etype, code, param = (
        str(err.get(k) or "") for k in ("message", "type", "code", "param")
    )
    return message, etype, code, param


def error_for(
    status: int,
    payload: Any,
    *,
    retry_after: float | None = None,
    stage: str = "input",
    **ctx: Any,
) -> ProviderError:
    message, etype, code, param = error_parts(payload)
    # The status outranks the type: OpenAI answers a missing key with 401 invalid_request_error.
    by_status = AuthError if status in (401, 403) else None
    cls = CODE_TABLE.get(code) or by_status or TYPE_TABLE.get(etype) or class_for_status(status)
    if cls is InvalidRequest and is_moderation(code, message):
        cls = ModerationRejected
    if cls is RateLimited and etype == "insufficient_quota":
        cls = QuotaExceeded
    detail = ", ".join(p for p in (etype, code and f"code {code}", f"HTTP {status}") if p)
    where = f" [param {param}]" if param else ""
    text = f"{message or 'HTTP ' + str(status)}{where} ({detail})"
    kw: dict[str, Any] = {"code": code or etype or None, "status": status, "payload": payload}
    return build_error(cls, text, retry_after=retry_after, stage=stage, **kw, **ctx)
