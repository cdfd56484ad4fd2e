"""A loopback server honouring the xAI Grok Imagine video contract (providers-2 §1.10): Bearer
auth (a wrong key is HTTP 400, as upstream), JSON-only submits to ``/v1/videos/generations``,
``/edits`` and ``/extensions`` answering ``{request_id}``, one poll ``GET /v1/videos/{id}``
answering ``pending`` (rising ``progress``; optionally HTTP 202 with an empty body) then ``done``
with ``video.url`` and ``usage.cost_in_usd_ticks``, ``done`` with ``respect_moderation: false``
and no URL (a late block, billed), ``failed`` with ``error.code``, or ``expired``. Outputs are
served by a separate "vidgen" host (a foreign origin, as ``vidgen.x.ai`` is) until their TTL.

    with XaiSandbox(XaiSandboxConfig(processing_seconds=0.2)) as sbx:
        adapter = XaiAdapter(base_url=sbx.api_base, api_key=sbx.config.api_key)

Faults are scripted with :meth:`XaiSandbox.inject`.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any, Literal, Self

from .server import LoopbackServer, SandboxRequest, SandboxResponse
from .xai_jobs import Job, JobBook, JobBookConfig
from .xai_rules import (
    EXHAUSTED,
    INVALID,
    NOT_FOUND,
    Rejection,
    check_auth,
    check_generation,
    check_source,
    error,
    read_json,
)


@dataclass
class XaiSandboxConfig:
    api_key: str = "xai-sandbox-key"
    queue_seconds: float = 0.0
    processing_seconds: float = 0.0
    failure_rate: float = 0.0
    seed: int = 0
    blocked_words: tuple[str, ...] = ("forbidden",)  # rejected at submit: HTTP 400
    late_blocked_words: tuple[str, ...] = ("contraband",)  # done, no URL, billed
    failing_words: tuple[str, ...] = ("meltdown",)  # failed, error.code internal_error
    expiring_words: tuple[str, ...] = ("stale",)  # expired
    submits_per_minute: int | None = None  # over it: 429 "Some resource has been exhausted"
    output_ttl: float | None = 24 * 3600.0
    pending_as_202: bool = False  # answer pending polls with HTTP 202 and an empty body
    latency: float = 0.0
    render_fps: int = 8


@dataclass
class Fault:
    """One scripted answer for the next request of ``kind``."""

    status: int
    message: str = "scripted fault"
    code: str = INVALID
    kind: Literal["submit", "poll", "any"] = "submit"
    retry_after: float | None = None
    after_create: bool = False  # create the job, then answer with the fault (ambiguous submit)
    delay: float = 0.0  # sleep before answering (client timeouts)


class XaiSandbox(LoopbackServer):
    def __init__(
        self, config: XaiSandboxConfig | None = None, *, cdn: LoopbackServer | None = None
    ) -> None:
        super().__init__("xai-sandbox")
        self.config = config or XaiSandboxConfig()
        self.latency = self.config.latency
        self._owns_cdn = cdn is None
        self.cdn = cdn or LoopbackServer("xai-vidgen")  # outputs live on another origin
        self.submits: Counter[str] = Counter()  # submits received, per prompt
        self._submit_times: deque[float] = deque()
        self.book = JobBook(
            JobBookConfig(
                queue_seconds=self.config.queue_seconds,
                processing_seconds=self.config.processing_seconds,
                failure_rate=self.config.failure_rate,
                seed=self.config.seed,
                late_blocked_words=self.config.late_blocked_words,
                failing_words=self.config.failing_words,
                expiring_words=self.config.expiring_words,
                render_fps=self.config.render_fps,
                output_ttl=self.config.output_ttl,
            ),
            publish=lambda path, ttl: self.cdn.publish(path, ttl=ttl),
        )
        self.add_route("POST", "/v1/videos/generations", self._generations)
        self.add_route("POST", "/v1/videos/edits", self._edits)
        self.add_route("POST", "/v1/videos/extensions", self._extensions)
        self.add_route("GET", "/v1/videos/{rid}", self._poll)

    @property
    def api_base(self) -> str:
        """What xAI's OpenAI-style clients call ``base_url``: scheme, host and ``/v1``."""
        return f"{self.base_url}/v1"

    @property
    def submit_count(self) -> int:
        with self.lock:
            return sum(self.submits.values())

    def billed_ticks(self) -> int:
        """Everything charged so far (late-moderated jobs included)."""
        with self.lock:
            jobs = list(self.book.jobs.values())
        return sum(j.cost_in_usd_ticks or 0 for j in jobs)

    def start(self) -> Self:
        if self._owns_cdn:
            self.cdn.start()
        return super().start()

    def stop(self) -> None:
        super().stop()
        if self._owns_cdn:
            self.cdn.stop()
        shutil.rmtree(self.book.workdir, ignore_errors=True)  # rendered clips die with the server

    def expire_outputs(self) -> None:
        """Every output URL goes stale at once (vidgen URLs are temporary)."""
        self.cdn.expire_files()

    # -- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _answer(rejection: Rejection, headers: dict[str, str] | None = None) -> SandboxResponse:
        return SandboxResponse.json(rejection[0], rejection[1], headers)

    def _fault_response(self, fault: Fault) -> SandboxResponse:
        if fault.delay:
            time.sleep(fault.delay)
        headers = {"retry-after": str(fault.retry_after)} if fault.retry_after is not None else {}
        return self._answer(error(fault.status, fault.message, fault.code), headers)

    def _rate_limited(self) -> SandboxResponse | None:
        limit = self.config.submits_per_minute
        if limit is None:
            return None
        now = time.time()
        with self.lock:
            while self._submit_times and now - self._submit_times[0] >= 60:
                self._submit_times.popleft()
            if len(self._submit_times) < limit:
                self._submit_times.append(now)
                return None
            wait = 60 - (now - self._submit_times[0])
        msg = f"Too many requests: rate limit of {limit} video requests per minute reached."
        return self._answer(error(429, msg, EXHAUSTED), {"retry-after": f"{max(wait, 0.0):.3f}"})

    def _blocked(self, prompt: str) -> SandboxResponse | None:
        if any(w in prompt.lower() for w in self.config.blocked_words):
            msg = "Your request was rejected: the prompt violates xAI's content policy."
            return self._answer(error(400, msg))
        return None

    def _submit(self, req: SandboxRequest, operation: str) -> SandboxResponse:
        if denied := check_auth(req.headers.get("authorization"), self.config.api_key):
            return self._answer(denied)
        body = read_json(req.headers.get("content-type", ""), req.body)
        if isinstance(body, tuple):
            return self._answer(body)
        prompt = str(body.get("prompt") or "")
        with self.lock:
            self.submits[prompt] += 1
        fault = self._take_fault("submit")
        if fault is not None and not fault.after_create:
            return self._fault_response(fault)
        if refused := self._rate_limited() or self._blocked(prompt):
            return refused
        source: Job | None = None
        if operation == "generation":
            problem = check_generation(body)
        else:
            problem = check_source(body, extension=operation == "extension")
            if problem is None:
                source = self._source(body["video"])
                if source is None:
                    problem = error(400, "Could not fetch the input video from video.url")
        if problem is not None:
            return self._answer(problem)
        job = self.book.create(operation, body, source=source)
        if fault is not None:
            return self._fault_response(fault)
        return SandboxResponse.json(200, {"request_id": job.request_id})

    def _source(self, video: dict[str, Any]) -> Job | None:
        """Only videos this sandbox made can be edited or extended (there is no network)."""
        if video.get("file_id"):
            return self.book.get(str(video["file_id"]))
        return self.book.by_url(str(video.get("url")))

    # -- endpoints -------------------------------------------------------------------------------

    def _generations(self, req: SandboxRequest) -> SandboxResponse:
        return self._submit(req, "generation")

    def _edits(self, req: SandboxRequest) -> SandboxResponse:
        return self._submit(req, "edit")

    def _extensions(self, req: SandboxRequest) -> SandboxResponse:
        return self._submit(req, "extension")

    def _poll(self, req: SandboxRequest) -> SandboxResponse:
        if denied := check_auth(req.headers.get("authorization"), self.config.api_key):
            return self._answer(denied)
        if fault := self._take_fault("poll"):
            return self._fault_response(fault)
        job = self.book.get(req.params["rid"])
        if job is None:
            msg = f"No video request with id {req.params['rid']!r}"
            return self._answer(error(404, msg, NOT_FOUND))
        if job.status == "pending" and self.config.pending_as_202:
            return SandboxResponse(202, b"", {})
        return SandboxResponse.json(200, job.as_object())
