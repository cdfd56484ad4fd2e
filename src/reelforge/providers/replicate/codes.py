"""Replicate errors onto the exception tree (research §9): RFC 7807 problem details
``{title, detail, status}`` over HTTP, and a failed prediction's ``error`` string."""

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
    build_error,
)

STATUS_TABLE: dict[int, type[ProviderError]] = {
    400: InvalidRequest,
    401: AuthError,
    402: QuotaExceeded,  # "You have insufficient credit to run this model"
    403: AuthError,
    404: InvalidRequest,  # unknown model / version / prediction
    409: InvalidRequest,
    413: InvalidRequest,
    422: InvalidRequest,  # input validation
    429: RateLimited,
    500: TransientProviderError,
    502: TransientProviderError,
    503: TransientProviderError,
    504: TransientProviderError,
}

# How Replicate and its model authors word a content-policy refusal ("E005" is Replicate's).
MODERATION = re.compile(
    r"\bE005\b|flagged as sensitive|content polic|safety (system|filter|check)|nsfw|moderation",
    re.IGNORECASE,
)


def is_moderation(text: str) -> bool:
    return bool(MODERATION.search(text))


def error_for(
    status: int,
    title: str,
    detail: str,
    *,
    retry_after: float | None = None,
    **ctx: Any,
) -> ProviderError:
    cls = STATUS_TABLE.get(status) or (TransientProviderError if status >= 500 else InvalidRequest)
    text = f"{detail or title or 'HTTP ' + str(status)} (HTTP {status}" + (
        f", {title})" if title else ")"
    )
    if cls is InvalidRequest and is_moderation(f"{title} {detail}"):
        cls = ModerationRejected
    kw: dict[str, Any] = {"code": title or None, "status": status, **ctx}
    return build_error(cls, text, retry_after=retry_after, **kw)
