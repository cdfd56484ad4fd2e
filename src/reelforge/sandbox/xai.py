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

from collections import Counter, deque
from dataclasses import dataclass
from typing import Any, Literal, Self

from ._base import ProviderSandbox, answer, book_config, fault_headers, mentions, minute_wait
from .server import LoopbackServer, SandboxRequest, SandboxResponse
from .xai_jobs import Job, JobBook, JobBookConfig
from .xai_rules import (
    EXHAUSTED,
    INVALID,
    NOT_FOUND,
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


class XaiSandbox(ProviderSandbox[XaiSandboxConfig]):
    API_PREFIX = "/v1"  # what xAI's OpenAI-style clients include in ``base_url``
    cdn: LoopbackServer  # outputs always live on another origin (vidgen.x.ai's stand-in)

    def __init__(
        self, config: XaiSandboxConfig | None = None, *, cdn: LoopbackServer | None = None
    ) -> None:
        vidgen = cdn or LoopbackServer("xai-vidgen")
        super().__init__("xai-sandbox", config or XaiSandboxConfig(), cdn=vidgen)
        self._owns_cdn = cdn is None
        self.submits: Counter[str] = Counter()  # submits received, per prompt
        self._submit_times: deque[float] = deque()
        self.book = JobBook(
            book_config(JobBookConfig, self.config),
            lambda path, ttl: self.cdn.publish(path, ttl=ttl),
            self.workdir,
        )
        self.add_route("POST", "/v1/videos/generations", self._generations)
        self.add_route("POST", "/v1/videos/edits", self._edits)
        self.add_route("POST", "/v1/videos/extensions", self._extensions)
        self.add_route("GET", "/v1/videos/{rid}", self._poll)

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

    def expire_outputs(self) -> None:
        """Every output URL goes stale at once (vidgen URLs are temporary)."""
        self.cdn.expire_files()

    # -- helpers ---------------------------------------------------------------------------------

    def _auth(self, req: SandboxRequest) -> SandboxResponse | None:
        denied = check_auth(req.headers.get("authorization"), self.config.api_key)
        return None if denied is None else answer(denied)

    def _fault_response(self, fault: Fault) -> SandboxResponse:
        headers = fault_headers(fault, "retry-after")
        return answer(error(fault.status, fault.message, fault.code), headers)

    def _rate_limited(self) -> SandboxResponse | None:
        limit = self.config.submits_per_minute
        wait = None if limit is None else minute_wait(self._submit_times, limit, self.lock)
        if wait is None:
            return None
        msg = f"Too many requests: rate limit of {limit} video requests per minute reached."
        return answer(error(429, msg, EXHAUSTED), {"retry-after": f"{wait:.3f}"})

    def _blocked(self, prompt: str) -> SandboxResponse | None:
        if mentions(prompt, self.config.blocked_words):
            msg = "Your request was rejected: the prompt violates xAI's content policy."
            return answer(error(400, msg))
        return None

    def _submit(self, req: SandboxRequest, operation: str) -> SandboxResponse:
        if denied := self._auth(req):
            return denied
        body = read_json(req.headers.get("content-type", ""), req.body)
        if isinstance(body, tuple):
            return answer(body)
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
            return answer(problem)
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
        if refused := self._gate(req, "poll"):
            return refused
        job = self.book.get(req.params["rid"])
        if job is None:
            msg = f"No video request with id {req.params['rid']!r}"
            return answer(error(404, msg, NOT_FOUND))
        if job.status == "pending" and self.config.pending_as_202:
            return SandboxResponse(202, b"", {})
        return SandboxResponse.json(200, job.as_object())
