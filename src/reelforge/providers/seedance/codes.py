"""ModelArk error codes (BytePlus "Common error codes" page; research §4.4) mapped onto the
exception tree, as a table so a test can check every row and a new code is one line.

Errors arrive as ``{"error": {"code": "...", "message": "..."}}`` with an HTTP status, or inside
a failed task (HTTP 200). Codes are dotted families (``InvalidParameter.Duration``,
``RateLimitExceeded.EndpointRPMExceeded``): an unknown sub-code falls back to its family.
"""

from __future__ import annotations

from typing import Any, Literal

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

# code → (documented HTTP status, exception class)
CODE_TABLE: dict[str, tuple[int, type[ProviderError]]] = {
    "MissingParameter": (400, InvalidRequest),
    "InvalidParameter": (400, InvalidRequest),
    "InvalidEndpoint.ClosedEndpoint": (400, TransientProviderError),  # disabled for now
    "SensitiveContentDetected": (400, ModerationRejected),
    "SensitiveContentDetected.SevereViolation": (400, ModerationRejected),
    "SensitiveContentDetected.Violence": (400, ModerationRejected),
    "InputTextSensitiveContentDetected": (400, ModerationRejected),
    "InputImageSensitiveContentDetected": (400, ModerationRejected),
    "InputImageSensitiveContentDetected.PrivacyInformation": (400, ModerationRejected),  # faces
    "InputVideoSensitiveContentDetected": (400, ModerationRejected),
    "InputAudioSensitiveContentDetected": (400, ModerationRejected),
    "InputTextRiskDetection": (400, ModerationRejected),
    "InputImageRiskDetection": (400, ModerationRejected),
    "OutputTextSensitiveContentDetected": (400, ModerationRejected),
    "OutputImageSensitiveContentDetected": (400, ModerationRejected),
    "OutputVideoSensitiveContentDetected": (400, ModerationRejected),
    "OutputAudioSensitiveContentDetected": (400, ModerationRejected),  # e.g. copyright audio
    "OutputTextRiskDetection": (400, ModerationRejected),
    "OutputImageRiskDetection": (400, ModerationRejected),
    "AuthenticationError": (401, AuthError),
    "AccessDenied": (403, AuthError),
    "AccountOverdueError": (403, QuotaExceeded),  # arrears: top up
    "OperationDenied.ServiceNotOpen": (403, AuthError),  # model not activated for the account
    "OperationDenied.ServiceOverdue": (403, QuotaExceeded),
    "InvalidEndpoint.NotFound": (404, InvalidRequest),
    "InvalidEndpointOrModel.NotFound": (404, InvalidRequest),
    "ModelNotOpen": (404, AuthError),  # activate the model in the console first
    "RateLimitExceeded": (429, RateLimited),
    "RateLimitExceeded.EndpointRPMExceeded": (429, RateLimited),
    "RateLimitExceeded.EndpointTPMExceeded": (429, RateLimited),
    "ModelAccountRpmRateLimitExceeded": (429, RateLimited),
    "ModelAccountTpmRateLimitExceeded": (429, RateLimited),
    "ModelAccountIpmRateLimitExceeded": (429, RateLimited),
    "ServerOverloaded": (429, RateLimited),  # capacity: back off and retry
    "QuotaExceeded": (429, QuotaExceeded),  # account quota (e.g. flex tokens/day) used up
    "SetLimitExceeded": (429, QuotaExceeded),  # the user's own spend cap ("safe mode")
    "InternalServiceError": (500, TransientProviderError),
    "ServiceUnavailable": (503, TransientProviderError),
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


def class_for_code(code: str | None) -> type[ProviderError] | None:
    """Exact code, else its longest known dotted family, else a moderation-shaped name."""
    if not code:
        return None
    parts = code.split(".")
    for n in range(len(parts), 0, -1):
        entry = CODE_TABLE.get(".".join(parts[:n]))
        if entry is not None:
            return entry[1]
    if "SensitiveContent" in code or "RiskDetection" in code:
        return ModerationRejected
    return None


def moderation_stage(code: str | None, message: str = "") -> Literal["input", "output"]:
    if (code or "").startswith("Output") or "output" in message.lower():
        return "output"
    return "input"


def is_moderation(code: str | None, message: str) -> bool:
    if class_for_code(code) is ModerationRejected:
        return True
    text = message.lower()
    return "sensitive" in text or "copyright" in text or "risk" in text


def error_for(
    status: int,
    code: str | None,
    message: str,
    *,
    retry_after: float | None = None,
    **ctx: Any,
) -> ProviderError:
    cls = class_for_code(code) or class_for_status(status)
    text = f"{message or 'HTTP ' + str(status)} (Seedance code {code}, HTTP {status})"
    stage = moderation_stage(code)
    return build_error(
        cls, text, retry_after=retry_after, stage=stage, code=code, status=status, **ctx
    )
