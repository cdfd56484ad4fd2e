"""A loopback Veo on the Gemini Developer API: ``predictLongRunning``, operations polled until
``done``, Google error envelopes, moderation at submit and late (done with no samples and
``raiMediaFilteredCount``), 429 RESOURCE_EXHAUSTED, and output files that need the key and
expire (research §1).

    with VeoSandbox(VeoSandboxConfig(processing_seconds=0.2)) as veo:
        adapter = VeoAdapter(base_url=veo.base_url, credentials=veo.credentials())

Its base URL is what google-genai calls a base URL (host only; paths carry ``/v1beta``), so the
official SDK can be pointed at it through ``HttpOptions(base_url=...)``. Faults are scripted with
:meth:`VeoSandbox.inject`.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..providers.veo import GeminiCredentials
from ._base import BookConfig, ProviderSandbox, book_config, mentions
from .server import LoopbackServer, SandboxRequest, SandboxResponse
from .veo_operations import OperationBook
from .veo_rules import check_body, check_key

API = "/v1beta"
JSON_UTF8 = "application/json; charset=UTF-8"  # the Content-Type of Google's error answers
SUBMIT_BLOCKED = (
    "The prompt contains sensitive words that violate Google's Responsible AI practices. "
    "Try rephrasing the prompt. If you think this was an error, send feedback."
)


@dataclass
class VeoSandboxConfig:
    api_key: str = "sandbox-gemini-key"
    queue_seconds: float = 0.0
    processing_seconds: float = 0.0
    failure_rate: float = 0.0
    seed: int = 0
    blocked_words: tuple[str, ...] = ("forbidden",)  # 400 INVALID_ARGUMENT at submit
    late_blocked_words: tuple[str, ...] = ("contraband",)  # done, no samples, RAI count
    concurrency_limit: int = 10  # research §1.4: 10 concurrent per project [?]
    file_ttl: float | None = 2 * 24 * 3600.0  # generated files kept ~2 days [?]
    latency: float = 0.0
    render_fps: int = 8


@dataclass
class VeoFault:
    """One scripted answer for the next request of ``kind``."""

    status: int
    google_status: str
    message: str = "scripted fault"
    kind: Literal["submit", "operation", "download", "any"] = "submit"
    retry_delay: float | None = None  # sent as google.rpc.RetryInfo in error.details
    after_create: bool = False  # create the operation, then answer with the fault (ambiguous)
    delay: float = 0.0  # sleep before answering (client timeouts)


@dataclass
class _StoredFile:
    path: Path
    expires_at: float | None


def error_body(status: int, google_status: str, message: str, details: Any = None) -> bytes:
    err: dict[str, Any] = {"code": status, "message": message, "status": google_status}
    if details:
        err["details"] = details
    return json.dumps({"error": err}).encode()


def google_error(
    status: int, google_status: str, message: str, details: Any = None
) -> SandboxResponse:
    body = error_body(status, google_status, message, details)
    return SandboxResponse(status, body, {"Content-Type": JSON_UTF8})


def fault_body(fault: VeoFault) -> bytes:
    """A scripted fault's error body, after its delay; a retry delay rides in ``details`` as
    google.rpc.RetryInfo."""
    if fault.delay:
        time.sleep(fault.delay)
    details = None
    if fault.retry_delay is not None:
        retry = f"{fault.retry_delay:g}s"
        details = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry}]
    return error_body(fault.status, fault.google_status, fault.message, details)


class VeoSandbox(ProviderSandbox[VeoSandboxConfig]):
    def __init__(
        self, config: VeoSandboxConfig | None = None, *, cdn: LoopbackServer | None = None
    ) -> None:
        # Outputs are served from the CDN when set (a "foreign" host, no key), else here.
        super().__init__("veo-sandbox", config or VeoSandboxConfig(), cdn=cdn)
        self.submits = 0  # POSTs received, whatever their outcome
        self.stored: dict[str, _StoredFile] = {}
        self.book = OperationBook(book_config(BookConfig, self.config), self._publish, self.workdir)
        self.add_route("POST", f"{API}/models/{{model}}:predictLongRunning", self._submit)
        self.add_route("GET", f"{API}/models/{{model}}/operations/{{op}}", self._operation)
        self.add_route("GET", f"{API}/files/{{file}}:download", self._download)

    # -- test helpers ----------------------------------------------------------------------------

    def credentials(self) -> GeminiCredentials:
        return GeminiCredentials(self.config.api_key)

    def expire_files(self) -> None:
        super().expire_files()
        with self.lock:
            for f in self.stored.values():
                f.expires_at = 0.0

    def _publish(self, path: Path) -> str:
        if self.cdn is not None:
            return self.cdn.publish(path, ttl=self.config.file_ttl)
        file_id = uuid.uuid4().hex[:16]
        ttl = self.config.file_ttl
        with self.lock:
            self.stored[file_id] = _StoredFile(path, None if ttl is None else time.time() + ttl)
        return f"{self.base_url}{API}/files/{file_id}:download?alt=media"

    # -- wire ------------------------------------------------------------------------------------

    def _fault_response(self, fault: VeoFault) -> SandboxResponse:
        return SandboxResponse(fault.status, fault_body(fault), {"Content-Type": JSON_UTF8})

    def _auth(self, req: SandboxRequest) -> SandboxResponse | None:
        problem = check_key(
            req.headers.get("x-goog-api-key"), req.query.get("key"), self.config.api_key
        )
        if problem is None:
            return None
        details = None
        if problem[0] == 400:
            details = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                }
            ]
        return google_error(*problem, details)

    def _submit(self, req: SandboxRequest) -> SandboxResponse:
        refused, fault = self._admit(req)
        if refused:
            return refused
        try:
            body = req.json()
        except ValueError:
            return google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        model = req.params["model"]
        if problem := check_body(model, body):
            return google_error(*problem)
        if mentions(str(body["instances"][0].get("prompt", "")), self.config.blocked_words):
            return google_error(400, "INVALID_ARGUMENT", SUBMIT_BLOCKED)
        with self.lock:  # check-and-create atomically
            if self.book.active() >= self.config.concurrency_limit:
                return google_error(
                    429,
                    "RESOURCE_EXHAUSTED",
                    "Resource has been exhausted (e.g. check quota).",
                )
            op = self.book.create(model, body)
        if fault is not None:
            return self._fault_response(fault)
        return SandboxResponse.json(200, op.as_json())

    def _operation(self, req: SandboxRequest) -> SandboxResponse:
        if refused := self._gate(req, "operation"):
            return refused
        name = f"models/{req.params['model']}/operations/{req.params['op']}"
        op = self.book.get(name)
        if op is None:
            return google_error(404, "NOT_FOUND", f"Operation {name} not found.")
        return SandboxResponse.json(200, self.book.refresh(op).as_json())

    def _download(self, req: SandboxRequest) -> SandboxResponse:
        if refused := self._gate(req, "download"):
            return refused
        with self.lock:
            f = self.stored.get(req.params["file"])
        if f is None or (f.expires_at is not None and time.time() >= f.expires_at):
            return google_error(
                403,
                "PERMISSION_DENIED",
                f"You do not have permission to access the File {req.params['file']} "
                "or it may not exist.",
            )
        return SandboxResponse(200, f.path.read_bytes(), {"Content-Type": "video/mp4"})
