"""What the provider sandboxes do the same way, as small pieces: the sandbox base (config,
latency, foreign CDN, work directory, API prefix, the auth-then-fault gates), the task books'
shared knobs, scripted-fault headers, and a few wire helpers.

Each provider's wire contract — paths, envelopes, state spellings, error bodies — stays in its
own module: the base knows nothing of it beyond ``_auth`` and ``_fault_response``, which every
sandbox writes in its provider's terms.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from .server import LoopbackServer, SandboxRequest, SandboxResponse

Rejection = tuple[int, dict[str, Any]]  # an HTTP status and the JSON body saying why
# Covariant, so that a sandbox of a concrete config counts as one of a protocol it satisfies
# (``_publish`` asks for ExpiringOutputs).
ConfigT = TypeVar("ConfigT", covariant=True)
BookConfigT = TypeVar("BookConfigT")


@dataclass
class BookConfig:
    """What every task book reads: its clock (queued, then processing), its fates (internal
    failures at ``failure_rate``, drawn from ``seed``; late moderation by prompt word) and the
    frame rate of the previz clips it renders."""

    queue_seconds: float = 0.0
    processing_seconds: float = 0.0
    failure_rate: float = 0.0
    seed: int = 0
    late_blocked_words: tuple[str, ...] = ("contraband",)
    render_fps: int = 8


def book_config(cls: type[BookConfigT], config: Any) -> BookConfigT:
    """A book's config (a dataclass) filled from its sandbox's: every field both have, by name."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    return cls(**{name: getattr(config, name) for name in names if hasattr(config, name)})


class ExpiringOutputs(Protocol):
    """A sandbox config whose output URLs live ``url_ttl`` seconds (None: forever)."""

    @property
    def url_ttl(self) -> float | None: ...


class CountsSubmits(Protocol):
    """A sandbox counting its submits as one number (not per prompt or external id)."""

    submits: int
    lock: threading.RLock

    def _auth(self, req: SandboxRequest) -> SandboxResponse | None: ...
    def _take_fault(self, kind: str) -> Any | None: ...
    def _fault_response(self, fault: Any) -> SandboxResponse: ...


class ProviderSandbox(LoopbackServer, Generic[ConfigT]):
    """A provider's loopback stand-in: the config it was made with (and the latency that asks
    for), the foreign CDN its outputs are served from when one is set (else itself), and a work
    directory for rendered clips that is removed with the server."""

    API_PREFIX = ""  # the path prefix every API call shares, when the SDK's base URL includes it

    def __init__(self, name: str, config: ConfigT, *, cdn: LoopbackServer | None = None) -> None:
        super().__init__(name)
        self.config = config
        self.latency = float(getattr(config, "latency", 0.0))  # fal's, Replicate's have none
        self.cdn = cdn  # outputs are served from here when set (a "foreign" host), else ourselves
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{name}-"))

    @property
    def api_base(self) -> str:
        """What the provider's own SDK calls its base URL: the origin plus ``API_PREFIX``."""
        return self.base_url + self.API_PREFIX

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.workdir, ignore_errors=True)  # rendered clips die with the server

    def _publish(self: ProviderSandbox[ExpiringOutputs], path: Path) -> str:
        """Serve a finished clip for the config's ``url_ttl``, from the CDN when one is set."""
        return (self.cdn or self).publish(path, ttl=self.config.url_ttl)

    # -- in each provider's own terms ------------------------------------------------------------

    def _auth(self, req: SandboxRequest) -> SandboxResponse | None:
        """The provider's answer to missing or wrong credentials (None: they pass)."""
        raise NotImplementedError

    def _fault_response(self, fault: Any) -> SandboxResponse:
        """A scripted fault in the provider's error envelope."""
        raise NotImplementedError

    # -- gates -----------------------------------------------------------------------------------

    def _gate(self, req: SandboxRequest, kind: str) -> SandboxResponse | None:
        """Credentials, then the next scripted fault of ``kind``: the refusal, or None."""
        if denied := self._auth(req):
            return denied
        if fault := self._take_fault(kind):
            return self._fault_response(fault)
        return None

    def _admit(self: CountsSubmits, req: SandboxRequest) -> tuple[SandboxResponse | None, Any]:
        """A submit's gate: credentials, the count (refused later or not), then a scripted
        submit fault. Returns (the refusal, None), or (None, a fault to answer with once the
        task exists: the ambiguous submit) — the fault None when there is none."""
        if denied := self._auth(req):
            return denied, None
        with self.lock:
            self.submits += 1
        fault = self._take_fault("submit")
        if fault is not None and not fault.after_create:
            return self._fault_response(fault), None
        return None, fault


# -- small wire helpers ----------------------------------------------------------------------------


def fault_headers(
    fault: Any, header: str = "Retry-After", spell: Callable[[float], str] = str
) -> dict[str, str]:
    """Wait out a scripted fault's ``delay`` (client timeouts), then the retry header it asks
    for (``retry_after`` seconds, spelt by ``spell``), if any."""
    if fault.delay:
        time.sleep(fault.delay)
    return {} if fault.retry_after is None else {header: spell(fault.retry_after)}


def answer(rejection: Rejection, headers: dict[str, str] | None = None) -> SandboxResponse:
    """A rule's rejection (status, body) as the JSON answer."""
    return SandboxResponse.json(rejection[0], rejection[1], headers)


def mentions(text: str, words: tuple[str, ...]) -> bool:
    """Whether ``text`` contains any of ``words``, ignoring case (the moderation triggers)."""
    lowered = text.lower()
    return any(w in lowered for w in words)


def minute_wait(times: deque[float], limit: int, lock: threading.RLock) -> float | None:
    """A sliding 60-second window of ``limit`` requests: None when this one fits (it is
    counted), else the seconds until the oldest counted one leaves the window."""
    now = time.time()
    with lock:
        while times and now - times[0] >= 60:
            times.popleft()
        if len(times) < limit:
            times.append(now)
            return None
        return max(60 - (now - times[0]), 0.0)


def iso(ts: float) -> str:
    """A UTC timestamp with milliseconds and a ``Z``, as Luma and Runway write them."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1000):03d}Z"


def save_frame(raw: bytes, path: Path) -> Path:
    """Decode an uploaded image and save it as RGB at ``path``, for previz to draw."""
    from PIL import Image

    Image.open(io.BytesIO(raw)).convert("RGB").save(path)
    return path
