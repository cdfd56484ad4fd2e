"""A loopback Runway: the ``/v1`` task API of version ``2024-11-06`` — Bearer auth plus the
required ``X-Runway-Version`` header, ``{"error": ...}`` envelopes, PENDING/THROTTLED/RUNNING/
SUCCEEDED/FAILED/CANCELLED, ``failureCode`` moderation at submit (``SAFETY.INPUT.*``) and late
(``SAFETY.OUTPUT.*``), a concurrency cap (THROTTLED), expiring output URLs signed afresh on each
read, credits reported as ``estimatedCost`` / ``cost`` (research §5). An aleph2 edit of an inline
(data URI) video is as long as that video, and is billed for its length.

    with RunwaySandbox(RunwaySandboxConfig(processing_seconds=0.2)) as rw:
        adapter = RunwayAdapter(base_url=rw.base_url, credentials=rw.credentials())
        # or the official SDK: runwayml.RunwayML(api_key=rw.config.api_key, base_url=rw.base_url)

Faults are scripted with :meth:`RunwaySandbox.inject` (the next matching request answers with
a given status, optionally *after* creating the task, or slowly). ``submits`` counts POSTs to
the create endpoints, accepted or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..providers.runway.auth import RunwayCredentials
from ..providers.runway.models import MODELS
from ._base import ProviderSandbox, book_config, fault_headers, mentions
from .runway_rules import VALIDATION, check_auth, check_body, data_uri_bytes
from .runway_tasks import LIVE, RunwayTask, Staged, TaskBook, TaskBookConfig
from .server import LoopbackServer, SandboxRequest, SandboxResponse

ROUTES = ("text_to_video", "image_to_video", "video_to_video")
TASKS = "/v1/tasks"


@dataclass
class RunwaySandboxConfig:
    api_key: str = "sandbox-runway-secret"
    queue_seconds: float = 0.0
    processing_seconds: float = 0.0
    max_concurrent: int | None = None  # tasks beyond it wait THROTTLED
    failure_rate: float = 0.0  # INTERNAL.BAD_OUTPUT failures
    seed: int = 0
    blocked_words: tuple[str, ...] = ("forbidden",)  # SAFETY.INPUT.TEXT at submit
    late_blocked_words: tuple[str, ...] = ("contraband",)  # SAFETY.OUTPUT.VIDEO when done
    url_ttl: float | None = 24 * 3600.0  # output URLs expire within 24-48 h
    latency: float = 0.0
    render_fps: int = 8  # previz renders few frames for speed


@dataclass
class Fault:
    """One scripted answer for the next request of ``kind``."""

    status: int
    message: str = "scripted fault"
    kind: Literal["submit", "task", "cancel", "any"] = "submit"
    retry_after: float | None = None
    after_create: bool = False  # create the task, then answer with the fault (ambiguous)
    delay: float = 0.0  # sleep before answering (client timeouts)


def error_response(
    status: int,
    message: str,
    issues: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> SandboxResponse:
    body: dict[str, Any] = {"error": message}
    if issues:
        body["issues"] = issues
    return SandboxResponse.json(status, body, headers)


class RunwaySandbox(ProviderSandbox[RunwaySandboxConfig]):
    def __init__(
        self, config: RunwaySandboxConfig | None = None, *, cdn: LoopbackServer | None = None
    ) -> None:
        super().__init__("runway-sandbox", config or RunwaySandboxConfig(), cdn=cdn)
        self.submits = 0
        self.book = TaskBook(book_config(TaskBookConfig, self.config), self._publish, self.workdir)
        for route in ROUTES:
            self.add_route("POST", f"/v1/{route}", self._submit_to(route))
        self.add_route("GET", TASKS + "/{task_id}", self._query)
        self.add_route("DELETE", TASKS + "/{task_id}", self._delete)

    # -- test helpers ----------------------------------------------------------------------------

    def credentials(self) -> RunwayCredentials:
        return RunwayCredentials(self.config.api_key)

    def task(self, task_id: str) -> RunwayTask | None:
        return self.book.get(task_id)

    @property
    def credits_charged(self) -> int:
        with self.lock:
            return sum(t.credits for t in self.book.tasks.values() if t.status == "SUCCEEDED")

    # -- wire ------------------------------------------------------------------------------------

    def _fault_response(self, fault: Fault) -> SandboxResponse:
        return error_response(fault.status, fault.message, headers=fault_headers(fault))

    def _auth(self, req: SandboxRequest) -> SandboxResponse | None:
        problem = check_auth(
            req.headers.get("authorization"),
            req.headers.get("x-runway-version"),
            api_key=self.config.api_key,
        )
        return None if problem is None else error_response(*problem)

    def _submit_to(self, route: str) -> Any:
        def handler(req: SandboxRequest) -> SandboxResponse:
            return self._submit(route, req)

        return handler

    def _submit(self, route: str, req: SandboxRequest) -> SandboxResponse:
        refused, fault = self._admit(req)
        if refused:
            return refused
        try:
            body = req.json()
        except ValueError:
            return error_response(400, "Request body is not valid JSON")
        if problem := check_body(route, body):
            return error_response(*problem)
        source = None
        if route == "video_to_video":
            staged = self._stage(body)
            if isinstance(staged, SandboxResponse):
                return staged
            source = staged
        rejected = mentions(str(body.get("promptText") or ""), self.config.blocked_words)
        task = self.book.create(route, body, rejected=rejected, source=source)
        if fault is not None:
            return self._fault_response(fault)
        return SandboxResponse.json(200, {"id": task.id})

    def _stage(self, body: dict[str, Any]) -> Staged | SandboxResponse | None:
        """Decode an inline input video and check its length against the model's input range
        (aleph2: 2-30 s, third-party docs [?]); a URL input is not fetched (None)."""
        spec = MODELS[str(body["model"])]
        data = data_uri_bytes(str(body[spec.video_field]), "video")
        if data is None:
            return None
        issue = [{"path": [spec.video_field], "message": ""}]
        try:
            staged = self.book.stage_video(data)
        except ValueError as exc:
            issue[0]["message"] = str(exc)
            return error_response(400, VALIDATION, issue)
        low, high = spec.input_seconds or (0.0, float("inf"))
        if not low - 0.05 <= staged.seconds <= high + 0.05:  # container rounding
            issue[0]["message"] = f"The video must be {low:g}-{high:g} seconds long"
            return error_response(400, VALIDATION, issue)
        return staged

    def _query(self, req: SandboxRequest) -> SandboxResponse:
        if refused := self._gate(req, "task"):
            return refused
        task = self.book.get(req.params["task_id"])
        if task is None:
            return error_response(404, "Task not found")
        with self.lock:
            task.reads += 1
            return SandboxResponse.json(200, self.book.as_data(task))

    def _delete(self, req: SandboxRequest) -> SandboxResponse:
        """Live: cancelled (and refunded). Terminal: the task is deleted (then 404)."""
        if refused := self._gate(req, "cancel"):
            return refused
        task = self.book.get(req.params["task_id"])
        if task is None:
            return error_response(404, "Task not found")
        with self.lock:
            if task.status in LIVE:
                task.status = "CANCELLED"
            else:
                self.book.remove(task.id)
        return SandboxResponse(204)
