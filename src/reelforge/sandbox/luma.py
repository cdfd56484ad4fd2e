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

from dataclasses import dataclass
from typing import Any, Literal

from ..providers.luma.auth import LumaCredentials
from ._base import BookConfig, ProviderSandbox, book_config, fault_headers, mentions
from .luma_generations import GenerationBook, LumaGeneration
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


class LumaSandbox(ProviderSandbox[LumaSandboxConfig]):
    API_PREFIX = PREFIX  # what the ``lumaai`` SDK's base_url includes

    def __init__(
        self, config: LumaSandboxConfig | None = None, *, cdn: LoopbackServer | None = None
    ) -> None:
        super().__init__("luma-sandbox", config or LumaSandboxConfig(), cdn=cdn)
        self.submits = 0
        self.book = GenerationBook(
            book_config(BookConfig, self.config), self._publish, self.workdir
        )
        self.add_route("POST", GENERATIONS + "/video", self._submit)
        self.add_route("GET", GENERATIONS, self._list)
        self.add_route("GET", GENERATIONS + "/{gen_id}", self._get)
        self.add_route("DELETE", GENERATIONS + "/{gen_id}", self._delete)

    # -- test helpers ----------------------------------------------------------------------------

    def credentials(self) -> LumaCredentials:
        return LumaCredentials(self.config.api_key)

    def generation(self, gen_id: str) -> LumaGeneration | None:
        return self.book.get(gen_id)

    # -- wire ------------------------------------------------------------------------------------

    def _fault_response(self, fault: Fault) -> SandboxResponse:
        return error_response(fault.status, fault.message, fault_headers(fault))

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
            return error_response(400, "Request body is not valid JSON")
        if problem := check_body(body, self.book.completed_ids()):
            return error_response(*problem)
        if mentions(str(body.get("prompt") or ""), self.config.blocked_words):
            return error_response(400, INPUT_REJECTION)
        gen = self.book.create(body)
        if fault is not None:
            return self._fault_response(fault)
        return SandboxResponse.json(201, self.book.as_data(gen))

    def _get(self, req: SandboxRequest) -> SandboxResponse:
        if refused := self._gate(req, "get"):
            return refused
        gen = self.book.get(req.params["gen_id"])
        if gen is None:
            return error_response(404, "Generation not found")
        with self.lock:
            gen.reads += 1
            return SandboxResponse.json(200, self.book.as_data(gen))

    def _list(self, req: SandboxRequest) -> SandboxResponse:
        if refused := self._gate(req, "list"):
            return refused
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
        if refused := self._gate(req, "delete"):
            return refused
        if not self.book.remove(req.params["gen_id"]):
            return error_response(404, "Generation not found")
        return SandboxResponse(204)
