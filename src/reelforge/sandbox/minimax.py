"""A loopback MiniMax serving both APIs (research §6): v1 Hailuo (``/v1/video_generation``,
``/v1/query/video_generation?task_id=``, ``/v1/files/retrieve?file_id=``, errors in ``base_resp``
on HTTP 200, states ``Preparing/Queueing/Processing/Success/Fail``) and v2 MiniMax-H3
(``/v2/video_generation``, ``/v2/query/video_generation/{task_id}``, HTTP error statuses with the
``{type: "error", error: {type, message "... (code)", http_code}}`` envelope, ``usage`` seconds).

    with MiniMaxSandbox(MiniMaxSandboxConfig(processing_seconds=0.2)) as mm:
        adapter = MiniMaxAdapter(base_url=mm.base_url, credentials=mm.credentials())

Moderation: ``blocked_words`` refuse at submit (1026), ``late_blocked_words`` fail the task
(1027). Faults are scripted with :meth:`MiniMaxSandbox.inject`; ``max_concurrent`` answers 1002
when too many tasks are live. ``submits`` counts task-creating POSTs on both versions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from ..providers.minimax.auth import MiniMaxCredentials
from ..providers.minimax.codes import CODE_TABLE
from ._base import ProviderSandbox, book_config, fault_headers, mentions
from .minimax_rules import check_auth, check_v1, check_v2
from .minimax_tasks import TaskBook, TaskBookConfig
from .server import LoopbackServer, SandboxRequest, SandboxResponse

ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 402: "payment_error"}
CONCURRENCY = (1002, "rate limit exceeded: too many concurrent tasks, please retry later")


@dataclass
class MiniMaxSandboxConfig:
    api_key: str = "sandbox-minimax-key"
    queue_seconds: float = 0.0
    processing_seconds: float = 0.0
    failure_rate: float = 0.0
    seed: int = 0
    blocked_words: tuple[str, ...] = ("forbidden",)  # 1026 at submit
    late_blocked_words: tuple[str, ...] = ("contraband",)  # 1027 when done
    url_ttl: float | None = 9 * 3600.0  # download URLs last ~9 h [?]
    max_concurrent: int | None = None  # live tasks allowed; more answer 1002
    max_task_seconds: float | None = None  # v2: unfinished by then → expired
    latency: float = 0.0
    render_fps: int = 8


@dataclass
class Fault:
    """One scripted answer for the next request of ``kind``. ``http_status`` None: v1 answers
    HTTP 200 with ``base_resp``, v2 the status the code documents."""

    code: int
    message: str = "scripted fault"
    kind: Literal["submit", "query", "retrieve", "any"] = "submit"
    http_status: int | None = None
    retry_after: float | None = None
    after_create: bool = False  # create the task, then answer with the fault (ambiguous)
    delay: float = 0.0  # sleep before answering (client timeouts)


class MiniMaxSandbox(ProviderSandbox[MiniMaxSandboxConfig]):
    def __init__(
        self, config: MiniMaxSandboxConfig | None = None, *, cdn: LoopbackServer | None = None
    ) -> None:
        super().__init__("minimax-sandbox", config or MiniMaxSandboxConfig(), cdn=cdn)
        self.submits = 0
        self.book = TaskBook(book_config(TaskBookConfig, self.config), self._publish, self.workdir)
        self.add_route("POST", "/v1/video_generation", lambda r: self._submit(r, "v1"))
        self.add_route("GET", "/v1/query/video_generation", self._query_v1)
        self.add_route("GET", "/v1/files/retrieve", self._retrieve)
        self.add_route("POST", "/v2/video_generation", lambda r: self._submit(r, "v2"))
        self.add_route("GET", "/v2/query/video_generation/{task_id}", self._query_v2)

    # -- test helpers ----------------------------------------------------------------------------

    def credentials(self) -> MiniMaxCredentials:
        return MiniMaxCredentials(api_key=self.config.api_key)

    @property
    def seconds_charged(self) -> int:
        """v2 usage.total_seconds over every succeeded task (v1 reports no usage)."""
        total = 0
        with self.lock:
            for task in self.book.tasks.values():
                if task.version == "v2" and task.state == "succeeded":
                    total += int(task.as_v2()["task"]["usage"]["total_seconds"])
        return total

    # -- envelopes -------------------------------------------------------------------------------

    @staticmethod
    def v1_error(code: int, message: str, status: int = 200, **extra: Any) -> SandboxResponse:
        return SandboxResponse.json(
            status, {**extra, "base_resp": {"status_code": code, "status_msg": message}}
        )

    @staticmethod
    def v2_error(
        code: int, message: str, status: int | None = None, headers: dict[str, str] | None = None
    ) -> SandboxResponse:
        status = status or CODE_TABLE.get(code, (500,))[0]
        kind = ERROR_TYPES.get(status, "rate_limit_error" if status == 429 else "api_error")
        body = {
            "type": "error",
            "error": {"type": kind, "message": f"{message} ({code})", "http_code": str(status)},
            "request_id": uuid.uuid4().hex,
        }
        return SandboxResponse.json(status, body, headers)

    def _error(self, version: str, code: int, message: str) -> SandboxResponse:
        if version == "v1":
            return self.v1_error(code, message)
        return self.v2_error(code, message)

    def _fault_answer(self, fault: Fault, version: str) -> SandboxResponse:
        """A scripted fault in the version's envelope (the two APIs differ: no shared gates)."""
        headers = fault_headers(fault)
        if version == "v1":
            resp = self.v1_error(fault.code, fault.message, fault.http_status or 200)
            resp.headers.update(headers)
            return resp
        return self.v2_error(fault.code, fault.message, fault.http_status, headers)

    def _denied(self, req: SandboxRequest, version: str) -> SandboxResponse | None:
        problem = check_auth(req.headers.get("authorization"), api_key=self.config.api_key)
        return None if problem is None else self._error(version, *problem)

    # -- wire ------------------------------------------------------------------------------------

    def _submit(self, req: SandboxRequest, version: str) -> SandboxResponse:
        if denied := self._denied(req, version):
            return denied
        with self.lock:
            self.submits += 1
        fault = self._take_fault("submit")
        if fault is not None and not fault.after_create:
            return self._fault_answer(fault, version)
        try:
            body = req.json()
        except ValueError:
            return self._error(version, 2013, "invalid params, body is not valid JSON")
        if problem := (check_v1 if version == "v1" else check_v2)(body):
            return self._error(version, *problem)
        text = str(body.get("prompt", "")) if version == "v1" else ""
        if version == "v2":
            text = " ".join(str(i.get("text", "")) for i in body["content"] if "text" in i)
        if mentions(text, self.config.blocked_words):
            return self._error(version, 1026, "video description contains sensitive content")
        limit = self.config.max_concurrent
        if limit is not None and self.book.live() >= limit:
            return self._error(version, *CONCURRENCY)
        task = self.book.create(version, body)
        if fault is not None:
            return self._fault_answer(fault, version)
        if version == "v1":
            ok = {"status_code": 0, "status_msg": "success"}
            return SandboxResponse.json(200, {"task_id": task.id, "base_resp": ok})
        return SandboxResponse.json(200, {"task_id": task.id})

    def _query_v1(self, req: SandboxRequest) -> SandboxResponse:
        if denied := self._denied(req, "v1"):
            return denied
        if fault := self._take_fault("query"):
            return self._fault_answer(fault, "v1")
        task = self.book.get(req.query.get("task_id", ""), "v1")
        if task is None:
            return self.v1_error(2013, "invalid params, task not found")
        return SandboxResponse.json(200, task.as_v1())

    def _query_v2(self, req: SandboxRequest) -> SandboxResponse:
        if denied := self._denied(req, "v2"):
            return denied
        if fault := self._take_fault("query"):
            return self._fault_answer(fault, "v2")
        task = self.book.get(req.params["task_id"], "v2")
        if task is None:
            return self.v2_error(2013, "invalid params, task not found", 404)
        return SandboxResponse.json(200, task.as_v2())

    def _retrieve(self, req: SandboxRequest) -> SandboxResponse:
        if denied := self._denied(req, "v1"):
            return denied
        if fault := self._take_fault("retrieve"):
            return self._fault_answer(fault, "v1")
        with self.lock:
            record = self.book.files.get(req.query.get("file_id", ""))
        if record is None:
            return self.v1_error(2013, "invalid params, file not found")
        file = {
            "file_id": record.file_id,
            "bytes": record.size,
            "created_at": int(record.created_at),
            "filename": record.filename,
            "purpose": "video_generation",
            "download_url": record.url,
            "backup_download_url": record.url,
        }
        ok = {"status_code": 0, "status_msg": "success"}
        return SandboxResponse.json(200, {"file": file, "base_resp": ok})
