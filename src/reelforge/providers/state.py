"""The normalised task vocabulary every adapter speaks, whatever the provider calls things.

queued → running(progress) → succeeded(outputs, charge) | failed(error) | canceled | expired
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from .errors import ProviderError


@dataclass(frozen=True)
class WireRequest:
    """A provider request ready to send. Built (and persisted by the caller) before submit, so the
    idempotency key is known even if the process dies mid-submit."""

    provider: str
    model: str
    route: str  # the provider's endpoint family, e.g. Kling "text2video"
    method: str
    path: str
    body: dict[str, Any]
    idempotency_key: str | None
    warnings: tuple[str, ...] = ()  # what was adjusted or dropped, as vercel/ai reports it


@dataclass(frozen=True)
class TaskHandle:
    """Enough to find a task again after a restart: persist it before the first poll."""

    provider: str
    model: str
    route: str
    task_id: str
    idempotency_key: str | None = None


@dataclass(frozen=True)
class OutputRef:
    url: str
    kind: str = "video"
    duration: float | None = None
    expires_at: float | None = None  # epoch seconds, when the provider says


@dataclass(frozen=True)
class _State:
    terminal: ClassVar[bool] = False
    status: ClassVar[str] = ""
    handle: TaskHandle
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Queued(_State):
    status: ClassVar[str] = "queued"
    position: int | None = None


@dataclass(frozen=True)
class Running(_State):
    status: ClassVar[str] = "running"
    progress: float | None = None  # 0…1 when the provider reports it


@dataclass(frozen=True)
class Succeeded(_State):
    terminal: ClassVar[bool] = True
    status: ClassVar[str] = "succeeded"
    outputs: tuple[OutputRef, ...] = ()
    charge: Decimal | None = None  # in the adapter's billing unit, as reported


@dataclass(frozen=True)
class Failed(_State):
    terminal: ClassVar[bool] = True
    status: ClassVar[str] = "failed"
    error: ProviderError | None = None


@dataclass(frozen=True)
class Canceled(_State):
    terminal: ClassVar[bool] = True
    status: ClassVar[str] = "canceled"


@dataclass(frozen=True)
class Expired(_State):
    terminal: ClassVar[bool] = True
    status: ClassVar[str] = "expired"


TaskState = Queued | Running | Succeeded | Failed | Canceled | Expired
