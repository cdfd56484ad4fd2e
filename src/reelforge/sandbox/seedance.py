"""A loopback Seedance: ModelArk's content-generation task API under ``/api/v3`` — Bearer auth,
``cgt-`` task ids, state spellings, ``{"error": {"code", "message"}}`` envelopes, moderation at
submit and late, cancel of queued tasks, expiring output URLs and token usage (research §4).

    with SeedanceSandbox(SeedanceSandboxConfig(processing_seconds=0.2)) as ark:
        adapter = SeedanceAdapter(base_url=ark.api_base, credentials=ark.credentials())

Faults are scripted with :meth:`SeedanceSandbox.inject` (the next matching request answers with
a given status/code, optionally *after* creating the task, or slowly), so every client path can
be exercised deterministically. ``submits`` counts task-creating POSTs.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Literal

from ..providers.seedance.auth import SeedanceCredentials
from ._base import ProviderSandbox, book_config, fault_headers, mentions
from .seedance_rules import check_auth, check_body
from .seedance_tasks import LIVE, TaskBook, TaskBookConfig
from .server import LoopbackServer, SandboxRequest, SandboxResponse

PREFIX = "/api/v3"
TASKS = f"{PREFIX}/contents/generations/tasks"
ERROR_TYPES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound"}


@dataclass
class SeedanceSandboxConfig:
    api_key: str = "sandbox-ark-key"
    queue_seconds: float = 0.0
    processing_seconds: float = 0.0
    failure_rate: float = 0.0
    seed: int = 0
    blocked_words: tuple[str, ...] = ("forbidden",)  # InputTextSensitiveContentDetected at submit
    late_blocked_words: tuple[str, ...] = ("contraband",)  # OutputVideoSensitive... when done
    url_ttl: float | None = 24 * 3600.0  # ModelArk keeps video_url 24 h
    max_execution_seconds: float | None = None  # overrides execution_expires_after
    latency: float = 0.0
    render_fps: int = 8  # the real service makes 24 fps; previz renders fewer for speed


@dataclass
class Fault:
    """One scripted answer for the next request of ``kind``."""

    status: int
    code: str
    message: str = "scripted fault"
    kind: Literal["submit", "query", "list", "cancel", "any"] = "submit"
    retry_after: float | None = None
    after_create: bool = False  # create the task, then answer with the fault (ambiguous submit)
    delay: float = 0.0  # sleep before answering (client timeouts)


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> SandboxResponse:
    kind = ERROR_TYPES.get(status, "TooManyRequests" if status == 429 else "InternalServiceError")
    body = {
        "error": {
            "code": code,
            "message": f"{message} Request id: {uuid.uuid4().hex}",
            "param": "",
            "type": kind,
        }
    }
    return SandboxResponse.json(status, body, headers)


class SeedanceSandbox(ProviderSandbox[SeedanceSandboxConfig]):
    API_PREFIX = PREFIX  # what ``REELFORGE_SEEDANCE_BASE_URL`` includes

    def __init__(
        self, config: SeedanceSandboxConfig | None = None, *, cdn: LoopbackServer | None = None
    ) -> None:
        super().__init__("seedance-sandbox", config or SeedanceSandboxConfig(), cdn=cdn)
        self.submits = 0  # POSTs received (accepted or not)
        self.book = TaskBook(book_config(TaskBookConfig, self.config), self._publish, self.workdir)
        self.add_route("POST", TASKS, self._submit)
        self.add_route("GET", TASKS, self._list)
        self.add_route("GET", TASKS + "/{task_id}", self._query)
        self.add_route("DELETE", TASKS + "/{task_id}", self._delete)

    # -- test helpers ----------------------------------------------------------------------------

    def credentials(self) -> SeedanceCredentials:
        return SeedanceCredentials(api_key=self.config.api_key)

    @property
    def tokens_charged(self) -> int:
        with self.lock:
            return sum(t.tokens or 0 for t in self.book.tasks.values())

    # -- wire ------------------------------------------------------------------------------------

    def _fault_response(self, fault: Fault) -> SandboxResponse:
        return error_response(fault.status, fault.code, fault.message, fault_headers(fault))

    def _auth(self, req: SandboxRequest) -> SandboxResponse | None:
        problem = check_auth(req.headers.get("authorization"), api_key=self.config.api_key)
        return None if problem is None else error_response(*problem)

    def _submit(self, req: SandboxRequest) -> SandboxResponse:
        refused, fault = self._admit(req)
        if refused:
            return refused
        try:
            body = req.json()
        except ValueError:
            return error_response(400, "InvalidParameter", "The request body is not valid JSON.")
        if problem := check_body(body):
            return error_response(*problem)
        text = " ".join(str(i.get("text", "")) for i in body["content"] if i.get("type") == "text")
        if mentions(text, self.config.blocked_words):
            return error_response(
                400,
                "InputTextSensitiveContentDetected",
                "The request failed because the input text may contain sensitive information.",
            )
        task = self.book.create(body)
        if fault is not None:
            return self._fault_response(fault)
        return SandboxResponse.json(200, {"id": task.id})

    def _query(self, req: SandboxRequest) -> SandboxResponse:
        if refused := self._gate(req, "query"):
            return refused
        task = self.book.get(req.params["task_id"])
        if task is None:
            return error_response(404, "ResourceNotFound", "The specified task was not found.")
        return SandboxResponse.json(200, task.as_data())

    def _list(self, req: SandboxRequest) -> SandboxResponse:
        if refused := self._gate(req, "list"):
            return refused
        q = req.query
        try:
            page = int(q.get("page_num", 1))
            size = int(q.get("page_size", 10))
        except ValueError:
            return error_response(400, "InvalidParameter", "page_num/page_size must be integers.")
        if not (1 <= page <= 500 and 1 <= size <= 500):
            return error_response(400, "InvalidParameter", "page_num/page_size must be 1-500.")
        with self.lock:
            tasks = [self.book.refresh(t) for t in self.book.tasks.values()]
        for key, attr in (("filter.status", "status"), ("filter.model", "model")):
            if key in q:
                tasks = [t for t in tasks if getattr(t, attr) == q[key]]
        if "filter.task_ids" in q:  # parse_qsl keeps the last of repeated keys; enough here
            tasks = [t for t in tasks if t.id == q["filter.task_ids"]]
        if "filter.service_tier" in q:
            tier = q["filter.service_tier"]
            tasks = [t for t in tasks if t.body.get("service_tier", "default") == tier]
        tasks.sort(key=lambda t: t.created_at, reverse=True)
        chosen = tasks[(page - 1) * size : page * size]
        return SandboxResponse.json(
            200, {"total": len(tasks), "items": [t.as_data() for t in chosen]}
        )

    def _delete(self, req: SandboxRequest) -> SandboxResponse:
        """Queued: cancelled. Running or cancelled: refused. Finished: the record is deleted."""
        if refused := self._gate(req, "cancel"):
            return refused
        task = self.book.get(req.params["task_id"])
        if task is None:
            return error_response(404, "ResourceNotFound", "The specified task was not found.")
        with self.lock:
            if task.status == "queued":
                task.status, task.updated_at = "cancelled", time.time()
            elif task.status in LIVE or task.status == "cancelled":
                return error_response(
                    400,
                    "InvalidParameter",
                    f"A task in status {task.status} cannot be cancelled or deleted.",
                )
            else:
                self.book.remove(task.id)
        return SandboxResponse.json(200, {})
