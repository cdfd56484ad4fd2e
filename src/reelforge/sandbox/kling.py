"""A loopback Kling: the v1 task API's paths, auth, envelopes, state spellings, error codes,
moderation, concurrency limit, expiring output URLs and unit usage (research §3), for
text2video, image2video, omni-video and lip-sync.

    with KlingSandbox(KlingSandboxConfig(processing_seconds=0.2)) as kling:
        adapter = KlingAdapter(base_url=kling.base_url, credentials=kling.credentials())

Faults are scripted with :meth:`KlingSandbox.inject` (the next matching request answers with a
given status/code, optionally *after* creating the task, or slowly) so every client path can be
exercised deterministically.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from ..providers.kling.auth import KlingCredentials
from ._base import BookConfig, ProviderSandbox, book_config, fault_headers, mentions
from .kling_omni import check_request, moderated_text
from .kling_rules import check_auth
from .kling_tasks import TaskBook
from .server import LoopbackServer, SandboxRequest, SandboxResponse

ROUTES = ("text2video", "image2video", "omni-video", "lip-sync")


@dataclass
class KlingSandboxConfig:
    access_key: str = "sandbox-access-key"
    secret_key: str = "sandbox-secret-key"
    api_key: str | None = "sandbox-api-key"
    queue_seconds: float = 0.0
    processing_seconds: float = 0.0
    failure_rate: float = 0.0
    seed: int = 0
    blocked_words: tuple[str, ...] = ("forbidden",)  # rejected at submit (code 1301)
    late_blocked_words: tuple[str, ...] = ("contraband",)  # fail late, as a failed task
    concurrency_limit: int = 5
    url_ttl: float | None = 30 * 24 * 3600.0  # Kling keeps outputs 30 days
    latency: float = 0.0
    render_fps: int = 8


@dataclass
class Fault:
    """One scripted answer for the next request of ``kind``."""

    status: int
    code: int
    message: str = "scripted fault"
    kind: Literal["submit", "query", "any"] = "submit"
    retry_after: float | None = None
    after_create: bool = False  # create the task, then answer with the fault (ambiguous submit)
    delay: float = 0.0  # sleep before answering (client timeouts)


def envelope(
    status: int, code: int, message: str, data: Any = None, headers: dict[str, str] | None = None
) -> SandboxResponse:
    """Kling's answer: the business code and message, a request id, and the data."""
    body = {"code": code, "message": message, "request_id": uuid.uuid4().hex, "data": data}
    return SandboxResponse.json(status, body, headers)


def fault_envelope(fault: Fault) -> SandboxResponse:
    return envelope(fault.status, fault.code, fault.message, None, fault_headers(fault))


class KlingSandbox(ProviderSandbox[KlingSandboxConfig]):
    def __init__(
        self, config: KlingSandboxConfig | None = None, *, cdn: LoopbackServer | None = None
    ) -> None:
        super().__init__("kling-sandbox", config or KlingSandboxConfig(), cdn=cdn)
        self.submits: Counter[str] = Counter()  # POSTs received per external_task_id
        self.book = TaskBook(book_config(BookConfig, self.config), self._publish, self.workdir)
        for route in ROUTES:
            self.add_route("POST", f"/v1/videos/{route}", self._submit)
            self.add_route("GET", f"/v1/videos/{route}", self._list)
        self.add_route("GET", "/v1/videos/{route}/{ident}", self._query)

    # -- test helpers ----------------------------------------------------------------------------

    def credentials(self, *, api_key: bool = False) -> KlingCredentials:
        if api_key:
            return KlingCredentials(api_key=self.config.api_key)
        return KlingCredentials(
            access_key=self.config.access_key, secret_key=self.config.secret_key
        )

    @property
    def units_charged(self) -> Decimal:
        with self.lock:
            return sum((t.units or Decimal(0) for t in self.book.tasks.values()), Decimal(0))

    # -- wire ------------------------------------------------------------------------------------

    def _fault_response(self, fault: Fault) -> SandboxResponse:
        return fault_envelope(fault)

    def _auth(self, req: SandboxRequest) -> SandboxResponse | None:
        c = self.config
        problem = check_auth(
            req.headers.get("authorization"),
            access_key=c.access_key,
            secret_key=c.secret_key,
            api_key=c.api_key,
        )
        return None if problem is None else envelope(*problem)

    def _submit(self, req: SandboxRequest) -> SandboxResponse:
        if denied := self._auth(req):
            return denied
        route = req.path.rsplit("/", 1)[-1]
        try:
            body = req.json()
        except ValueError:
            return envelope(400, 1200, "request body is not JSON")
        ext = body.get("external_task_id") if isinstance(body, dict) else None
        if ext:
            with self.lock:
                self.submits[str(ext)] += 1
        fault = self._take_fault("submit")
        if fault is not None and not fault.after_create:
            return self._fault_response(fault)
        if problem := check_request(route, body):
            return envelope(*problem)
        if mentions(moderated_text(body), self.config.blocked_words):
            return envelope(400, 1301, "Content security policy triggered")
        source_seconds = None
        if route == "lip-sync" and "video_id" in body["input"]:
            # Kling lip-syncs only videos it made (≤ 30 days old): an unknown id is a 1201.
            source_seconds = self.book.video_seconds(str(body["input"]["video_id"]))
            if source_seconds is None:
                return envelope(400, 1201, "video_id not found")
        with self.lock:  # check-and-create atomically, or two racing submits both get a slot
            if ext and ext in self.book.external_ids():
                return envelope(400, 1201, f"external_task_id {ext!r} already exists")
            if self.book.active() >= self.config.concurrency_limit:
                return envelope(429, 1303, "parallel task over resource pack limit")
            task = self.book.create(route, body)
            task.source_seconds = source_seconds
        if fault is not None:
            return self._fault_response(fault)
        data = {k: v for k, v in task.as_data().items() if k != "task_status_msg"}
        return envelope(200, 0, "SUCCEED", data)

    def _query(self, req: SandboxRequest) -> SandboxResponse:
        if refused := self._gate(req, "query"):
            return refused
        route, ident = req.params["route"], req.params["ident"]
        if route not in ROUTES:
            return envelope(404, 1202, f"unknown route {route!r}")
        task = self.book.find(route, ident)
        if task is None:
            return envelope(404, 1203, f"task {ident!r} not found")
        return envelope(200, 0, "SUCCEED", self.book.refresh(task).as_data())

    def _list(self, req: SandboxRequest) -> SandboxResponse:
        if denied := self._auth(req):
            return denied
        route = req.path.rsplit("/", 1)[-1]
        try:
            page = max(1, int(req.query.get("pageNum", 1)))
            size = min(500, max(1, int(req.query.get("pageSize", 30))))
        except ValueError:
            return envelope(400, 1201, "pageNum/pageSize must be integers")
        with self.lock:
            tasks = [t for t in self.book.tasks.values() if t.route == route]
        tasks.sort(key=lambda t: t.created_at, reverse=True)
        chosen = tasks[(page - 1) * size : page * size]
        return envelope(200, 0, "SUCCEED", [self.book.refresh(t).as_data() for t in chosen])
