"""Google API errors (research §1.5) mapped onto the exception tree.

Google answers ``{"error": {"code": <HTTP status>, "message", "status": "RESOURCE_EXHAUSTED"}}``
over HTTP, and a finished long-running operation carries ``error`` as a ``google.rpc.Status``
whose ``code`` is the *gRPC* number (3 = INVALID_ARGUMENT). Both meet in :data:`STATUS_TABLE`, a
table so a test can check every row and a new status is one line.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import (
    AuthError,
    InvalidRequest,
    ModerationRejected,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    TransientProviderError,
    Unsupported,
    build_error,
)

STATUS_TABLE: dict[str, type[ProviderError]] = {
    "INVALID_ARGUMENT": InvalidRequest,
    "FAILED_PRECONDITION": InvalidRequest,  # e.g. region unsupported; billing → QuotaExceeded
    "OUT_OF_RANGE": InvalidRequest,
    "NOT_FOUND": InvalidRequest,  # unknown model or method
    "ALREADY_EXISTS": InvalidRequest,
    "UNAUTHENTICATED": AuthError,
    "PERMISSION_DENIED": AuthError,  # bad key, or no access to the (preview) model
    "RESOURCE_EXHAUSTED": RateLimited,  # RPM / per-day quota; `retryDelay` when Google says
    "ABORTED": TransientProviderError,
    "CANCELLED": TransientProviderError,
    "UNKNOWN": TransientProviderError,
    "INTERNAL": TransientProviderError,
    "UNAVAILABLE": TransientProviderError,
    "DEADLINE_EXCEEDED": TransientProviderError,
    "DATA_LOSS": TransientProviderError,
    "UNIMPLEMENTED": Unsupported,
}

# google.rpc.Code numbers, as a finished operation's `error.code` carries them.
GRPC_STATUS: dict[int, str] = {
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    10: "ABORTED",
    11: "OUT_OF_RANGE",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    15: "DATA_LOSS",
    16: "UNAUTHENTICATED",
}

# Words in an INVALID_ARGUMENT message that mean a content-policy refusal of the input.
MODERATION_HINTS = (
    "safety",
    "responsible ai",
    "usage guidelines",
    "sensitive words",
    "prohibited",
    "policy",
    "blocked",
    "rai",
)


def class_for_http(status: int) -> type[ProviderError]:
    """Fallback when the body has no Google ``status`` (a proxy's HTML page)."""
    if status in (401, 403):
        return AuthError
    if status == 429:
        return RateLimited
    if status in (400, 404, 409, 422):
        return InvalidRequest
    if status >= 500:
        return TransientProviderError
    return ProviderError


def is_moderation(message: str) -> bool:
    text = message.lower()
    return any(re.search(rf"\b{re.escape(h)}\b", text) for h in MODERATION_HINTS)


def retry_delay(details: Any) -> float | None:
    """``google.rpc.RetryInfo`` in ``error.details``: ``{"retryDelay": "37s"}``."""
    for item in details if isinstance(details, list) else ():
        delay = item.get("retryDelay") if isinstance(item, dict) else None
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return float(delay[:-1])
            except ValueError:
                return None
    return None


def error_for(
    http_status: int | None,
    status: str | None,
    message: str,
    *,
    retry_after: float | None = None,
    stage: str = "input",
    **ctx: Any,
) -> ProviderError:
    """One Google error (HTTP status and/or status string) as the matching exception."""
    cls = STATUS_TABLE.get(status or "") or class_for_http(http_status or 0)
    low = message.lower()
    if cls is InvalidRequest and "api key" in low:  # Google answers a bad key with HTTP 400
        cls = AuthError
    elif cls is InvalidRequest and is_moderation(message):
        cls = ModerationRejected
    if status == "FAILED_PRECONDITION" and "billing" in low:
        cls = QuotaExceeded
    where = ", ".join(p for p in (status, f"HTTP {http_status}" if http_status else "") if p)
    text = f"{message or status or 'HTTP ' + str(http_status)} ({where})"
    kw: dict[str, Any] = {"code": status, "status": http_status, **ctx}
    return build_error(cls, text, retry_after=retry_after, stage=stage, **kw)
