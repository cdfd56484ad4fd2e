"""The provider exception tree. Every error says which provider, model and task it is about, and
what the task had cost when it failed, so a caller can decide to retry, fix the input or stop.

ReelforgeError
├── MissingKey                  no credentials; the message names the env vars and `reel keys set`
└── ProviderError               (provider, model, task_id, cost, payload)
    ├── AuthError               key rejected, expired token, no permission for the model
    ├── QuotaExceeded           out of credit / resource pack / arrears: a human must pay
    ├── RateLimited             too many requests; `retry_after` seconds when the provider says
    ├── ConcurrencyLimited      too many tasks running at once; retry when one finishes
    ├── InvalidRequest          the request is wrong; retrying the same request fails again
    ├── ModerationRejected      content policy; `stage` is "input" (at submit) or "output" (late)
    ├── TransientProviderError  provider-side 5xx / network trouble; safe to retry *reads*
    │   └── AmbiguousSubmit     a submit may have created a task: reconcile, never resubmit
    ├── Unsupported             the provider cannot do this at all (e.g. cancel on Kling)
    ├── TaskFailed              the task ran and failed for a non-policy reason
    ├── TaskExpired             the provider dropped the task before it finished
    └── OutputExpired           the output URL is gone (the provider keeps files only so long)

``cost`` is in the provider's billing unit (``Adapter.billing_unit``, e.g. Kling "unit"), or
None when the provider has not reported a charge; turning units into money is the catalogue's job.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Literal

from .._exceptions import ReelforgeError

__all__ = [
    "AmbiguousSubmit",
    "AuthError",
    "ConcurrencyLimited",
    "InvalidRequest",
    "MissingKey",
    "ModerationRejected",
    "OutputExpired",
    "ProviderError",
    "QuotaExceeded",
    "RateLimited",
    "TaskExpired",
    "TaskFailed",
    "TransientProviderError",
    "Unsupported",
    "build_error",
]


class MissingKey(ReelforgeError):
    """No credentials for a provider. The message is the fix, as simonw/llm's NeedsKeyException."""

    def __init__(self, provider: str, env_options: Iterable[Iterable[str]]) -> None:
        self.provider = provider
        self.env_options = tuple(tuple(group) for group in env_options)
        choices = " or ".join(" + ".join(group) for group in self.env_options)
        super().__init__(
            f"no {provider} key: run `reel keys set {provider}` or set {choices} in the environment"
        )


class ProviderError(ReelforgeError):
    """A provider refused or failed a request. ``payload`` keeps what the provider said."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        model: str = "",
        task_id: str | None = None,
        cost: Decimal | None = None,
        payload: Any = None,
        code: int | str | None = None,
        status: int | None = None,
    ) -> None:
        self.message = message
        self.provider = provider
        self.model = model
        self.task_id = task_id
        self.cost = cost
        self.payload = payload
        self.code = code
        self.status = status
        where = "/".join(p for p in (provider, model) if p)
        prefix = f"{where}: " if where else ""
        task = f" (task {task_id})" if task_id else ""
        super().__init__(f"{prefix}{message}{task}")


class AuthError(ProviderError):
    pass


class QuotaExceeded(ProviderError):
    pass


class RateLimited(ProviderError):
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)


class ConcurrencyLimited(ProviderError):
    retryable = True


class InvalidRequest(ProviderError):
    pass


class ModerationRejected(ProviderError):
    def __init__(
        self, message: str, *, stage: Literal["input", "output"] = "input", **kw: Any
    ) -> None:
        self.stage = stage
        super().__init__(message, **kw)


class TransientProviderError(ProviderError):
    retryable = True


class AmbiguousSubmit(TransientProviderError):
    """The submit timed out or got a 5xx *after* it may have reached the provider. Resubmitting
    could pay twice; look the task up by ``idempotency_key`` (``Adapter.reconcile``) instead."""

    retryable = False

    def __init__(self, message: str, *, idempotency_key: str | None = None, **kw: Any) -> None:
        self.idempotency_key = idempotency_key
        super().__init__(message, **kw)


class Unsupported(ProviderError):
    pass


class TaskFailed(ProviderError):
    pass


class TaskExpired(ProviderError):
    pass


class OutputExpired(ProviderError):
    pass


def build_error(
    cls: type[ProviderError],
    text: str,
    *,
    retry_after: float | None = None,
    stage: str = "input",
    **kw: Any,
) -> ProviderError:
    """An instance of the mapped class ``cls``: only :class:`RateLimited` takes ``retry_after``
    and only :class:`ModerationRejected` a ``stage`` ("output" or, for anything else, "input")."""
    if cls is RateLimited:
        return RateLimited(text, retry_after=retry_after, **kw)
    if cls is ModerationRejected:
        return ModerationRejected(text, stage="output" if stage == "output" else "input", **kw)
    return cls(text, **kw)
