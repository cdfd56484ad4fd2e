"""fal errors onto the exception tree (research §8): HTTP status first, then ``error_type``
(body ``error_type``, a validation item's ``type``, or the ``x-fal-error-type`` header)."""

from __future__ import annotations

from typing import Any

from ..errors import (
    AuthError,
    InvalidRequest,
    ModerationRejected,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    TaskFailed,
    TransientProviderError,
    build_error,
)

STATUS_TABLE: dict[int, type[ProviderError]] = {
    400: InvalidRequest,
    401: AuthError,
    403: AuthError,  # "User is locked" (exhausted balance) is refined below
    404: InvalidRequest,  # unknown endpoint id or request id
    408: TransientProviderError,
    409: TransientProviderError,
    413: InvalidRequest,
    422: InvalidRequest,  # validation; content_policy_violation is refined below
    429: RateLimited,
    500: TransientProviderError,
    502: TransientProviderError,
    503: TransientProviderError,
    504: TransientProviderError,
}

ERROR_TYPES: dict[str, type[ProviderError]] = {
    "content_policy_violation": ModerationRejected,
    "exhausted_balance": QuotaExceeded,
    "insufficient_balance": QuotaExceeded,
    "image_too_large": InvalidRequest,
    "image_load_error": InvalidRequest,
    "file_download_error": InvalidRequest,
    "unsupported_image_format": InvalidRequest,
    "generation_timeout": TaskFailed,
    "internal_server_error": TaskFailed,
    "downstream_service_error": TaskFailed,
}


def detail_text(detail: Any) -> tuple[str, str | None]:
    """fal's ``detail`` is a string or a list of ``{loc, msg, type}``: message and first type."""
    if isinstance(detail, list):
        msgs, kind = [], None
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc") or [])
                msgs.append(f"{loc}: {item.get('msg', '')}" if loc else str(item.get("msg", "")))
                kind = kind or (str(item["type"]) if item.get("type") else None)
        return "; ".join(msgs), kind
    return ("" if detail is None else str(detail)), None


def error_for(
    status: int,
    error_type: str | None,
    message: str,
    *,
    retry_after: float | None = None,
    stage: str = "input",
    **ctx: Any,
) -> ProviderError:
    cls = STATUS_TABLE.get(status) or (
        TransientProviderError if status >= 500 else InvalidRequest if status >= 400 else TaskFailed
    )
    if error_type in ERROR_TYPES:
        cls = ERROR_TYPES[error_type]
        if status >= 400 and cls is TaskFailed:  # an HTTP answer, not a finished task
            cls = TransientProviderError if status >= 500 else InvalidRequest
    if status == 403 and "balance" in message.lower():
        cls = QuotaExceeded
    text = f"{message or error_type or 'HTTP ' + str(status)} (HTTP {status}" + (
        f", {error_type})" if error_type else ")"
    )
    kw: dict[str, Any] = {"code": error_type, "status": status, **ctx}
    return build_error(cls, text, retry_after=retry_after, stage=stage, **kw)
