"""A loopback Luma Dream Machine API under ``/dream-machine/v1`` (research §7): Bearer auth,
``POST /generations/video``, ``GET /generations/{id}`` (queued → dreaming → completed | failed
with ``failure_reason``), ``GET /generations`` (list, newest first), ``DELETE
/generations/{id}`` (erases it, live or not), ``{"detail": ...}`` error envelopes [?],
moderation at submit (HTTP 400) and late (``failed``), output URLs that expire and are signed
afresh on each read, keyframes by image URL or by an earlier generation's id (extension).

    with LumaSandbox(LumaSandboxConfig(processing_seconds=0.2)) as luma:
        adapter = LumaAdapter(base_url=luma.api_base, credentials=luma.credentials())
        # or the official SDK: lumaai.LumaAI(auth_token=luma.config.api_key, base_url=luma.api_base)

Faults are scripted with :meth:`LumaSandbox.inject`; ``submits`` counts POSTs to the create
endpoint, accepted or not.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..providers.luma.auth import LumaCredentials
from .luma_generations import GenerationBook, GenerationBookConfig, LumaGeneration
from .luma_rules import check_auth, check_body
from .server import LoopbackServer, SandboxRequest, SandboxResponse

PREFIX = "/dream-machine/v1"
GENERATIONS = PREFIX + "/generations"
INPUT_REJECTION = "400: prompt not allowed because advanced moderation failed"


@dataclass
class LumaSandboxConfig:
    api_key: str = "sandbox-luma-key"
    queue_seconds: float = 0.0
    processing_seconds: float = 0.0
    failure_rate: float = 0.0  # generations failing for an internal reason
    seed: int = 0
    blocked_words: tuple[str, ...] = ("forbidden",)  # refused at submit (HTTP 400)
    late_blocked_words: tuple[str, ...] = ("contraband",)  # failed when done
    url_ttl: float | None = 3600.0  # output URL lifetime is undocumented [?]
    latency: float = 0.0
    render_fps: int = 8  # previz renders few frames for speed


@dataclass
class Fault:
    """One scripted answer for the next request of ``kind``."""

    status: int
    message: str = "scripted fault"
    kind: Literal["submit", "get", "list", "delete", "any"] = "submit"
    retry_after: float | None = None
    after_create: bool = False  # create the generation, then answer with the fault (ambiguous)
    delay: float = 0.0  # sleep before answering (client timeouts)


def error_response(
    status: int, detail: str, headers: dict[str, str] | None = None
) -> SandboxResponse:
    return SandboxResponse.json(status, {"detail": detail}, headers)


class LumaSandbox(LoopbackServer):
    def __init__(
        self, config: LumaSandboxConfig | None = None, *, cdn: LoopbackServer | None = None
    ) -> None:
        super().__init__("luma-sandbox")
        self.config = config or LumaSandboxConfig()
        self.latency = self.config.latency
        self.cdn = cdn  # outputs are served from here when set (a "foreign" host), else ourselves
        self.submits = 0
        c = self.config
        self.book = GenerationBook(
            GenerationBookConfig(
                queue_seconds=c.queue_seconds,
                processing_seconds=c.processing_seconds,
                failure_rate=c.failure_rate,
                seed=c.seed,
                late_blocked_words=c.late_blocked_words,
                render_fps=c.render_fps,
            ),
            self._publish,
        )
        self.add_route("POST", GENERATIONS + "/video", self._submit)
        self.add_route("GET", GENERATIONS, self._list)
        self.add_route("GET", GENERATIONS + "/{gen_id}", self._get)
        self.add_route("DELETE", GENERATIONS + "/{gen_id}", self._delete)

    @property
    def api_base(self) -> str:
        """What the ``lumaai`` SDK calls ``base_url``: scheme, host and ``/dream-machine/v1``."""
        return self.base_url + PREFIX

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.book.workdir, ignore_errors=True)  # rendered clips die with the server

    # -- test helpers ----------------------------------------------------------------------------

    def credentials(self) -> LumaCredentials:
        return LumaCredentials(self.config.api_key)

    def generation(self, gen_id: str) -> LumaGeneration | None:
        return self.book.get(gen_id)

    def _publish(self, path: Path) -> str:
        return (self.cdn or self).publish(path, ttl=self.config.url_ttl)

    # -- wire ------------------------------------------------------------------------------------

    def _fault_response(self, fault: Fault) -> SandboxResponse:
        if fault.delay:
            time.sleep(fault.delay)
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        return error_response(fault.status, fault.message, headers)

    def _auth(self, req: SandboxRequest) -> SandboxResponse | None:
        problem = check_auth(req.headers.get("authorization"), api_key=self.config.api_key)
        return None if problem is None else error_response(*problem)

    def _submit(self, req: SandboxRequest) -> SandboxResponse:
        if denied := self._auth(req):
            return denied
        with self.lock:
            self.submits += 1
        fault = self._take_fault("submit")
        if fault is not None and not fault.after_create:
            return self._fault_response(fault)
        try:
            body = req.json()
        except ValueError:
            return error_response(400, "Request body is not valid JSON")
        if problem := check_body(body, self.book.completed_ids()):
            return error_response(*problem)
        text = str(body.get("prompt") or "").lower()
        if any(w in text for w in self.config.blocked_words):
            return error_response(400, INPUT_REJECTION)
        gen = self.book.create(body)
        if fault is not None:
            return self._fault_response(fault)
        return SandboxResponse.json(201, self.book.as_data(gen))

    def _get(self, req: SandboxRequest) -> SandboxResponse:
        if denied := self._auth(req):
            return denied
        if fault := self._take_fault("get"):
            return self._fault_response(fault)
        gen = self.book.get(req.params["gen_id"])
        if gen is None:
            return error_response(404, "Generation not found")
        with self.lock:
            gen.reads += 1
            return SandboxResponse.json(200, self.book.as_data(gen))

    def _list(self, req: SandboxRequest) -> SandboxResponse:
        if denied := self._auth(req):
            return denied
        if fault := self._take_fault("list"):
            return self._fault_response(fault)
        try:
            limit = int(req.query.get("limit", "10"))
            offset = int(req.query.get("offset", "0"))
        except ValueError:
            return error_response(422, "limit/offset: expected integers")
        every = self.book.newest_first()
        page = every[offset : offset + limit]
        with self.lock:
            items: list[dict[str, Any]] = [self.book.as_data(g) for g in page]
        return SandboxResponse.json(
            200,
            {
                "generations": items,
                "count": len(items),
                "has_more": offset + limit < len(every),
                "limit": limit,
                "offset": offset,
            },
        )

    def _delete(self, req: SandboxRequest) -> SandboxResponse:
        if denied := self._auth(req):
            return denied
        if fault := self._take_fault("delete"):
            return self._fault_response(fault)
        if not self.book.remove(req.params["gen_id"]):
            return error_response(404, "Generation not found")
        return SandboxResponse(204)
