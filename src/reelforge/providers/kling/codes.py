"""Kling's business codes (research §3.7) mapped onto the exception tree, as a table so a test can
check every row and a new code is one line."""

from __future__ import annotations

from typing import Any

import httpx

from .._http import error_payload, retry_after
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

CODE_TABLE: dict[int, type[ProviderError]] = {
    1000: AuthError,  # authentication failed
    1001: AuthError,  # Authorization header empty
    1002: AuthError,  # Authorization invalid
    1003: AuthError,  # token not yet valid (nbf)
    1004: AuthError,  # token expired
    1100: QuotaExceeded,  # account exception (suspended/abnormal): a human must act
    1101: QuotaExceeded,  # account in arrears
    1102: QuotaExceeded,  # resource pack depleted or expired
    1103: AuthError,  # no permission for the resource/model
    1200: InvalidRequest,
    1201: InvalidRequest,  # invalid parameter value
    1202: InvalidRequest,  # invalid method
    1203: InvalidRequest,  # resource (e.g. model) not found
    1300: ModerationRejected,  # platform policy
    1301: ModerationRejected,  # content security
    1302: RateLimited,
    1303: ConcurrencyLimited,  # parallel tasks over the resource-pack limit
    1304: AuthError,  # IP whitelist policy: retrying from here never works
    5000: TransientProviderError,
    5001: TransientProviderError,
    5002: TransientProviderError,
}


def class_for_status(status: int) -> type[ProviderError]:
    """Fallback when the body has no code we know (a proxy's HTML page, a new code)."""
    if status in (401, 403):
        return AuthError
    if status == 429:
        return RateLimited
    if status in (400, 404, 409, 422):
        return InvalidRequest
    if status >= 500:
        return TransientProviderError
    return ProviderError


def error_for(
    status: int,
    code: int | None,
    message: str,
    *,
    retry_after: float | None = None,
    **ctx: Any,
) -> ProviderError:
    cls = CODE_TABLE.get(code) if code is not None else None
    cls = cls or class_for_status(status)
    text = f"{message or 'HTTP ' + str(status)} (Kling code {code}, HTTP {status})"
    return build_error(cls, text, retry_after=retry_after, code=code, status=status, **ctx)


def response_error(response: httpx.Response, **ctx: Any) -> ProviderError:
    """An HTTP error answer of either Kling API (``{code, message}``) as its exception."""
    payload = error_payload(response)
    code = payload.get("code") if isinstance(payload, dict) else None
    message = payload.get("message", "") if isinstance(payload, dict) else ""
    return error_for(
        response.status_code,
        code if isinstance(code, int) else None,
        str(message),
        retry_after=retry_after(response.headers),
        payload=payload,
        **ctx,
    )
