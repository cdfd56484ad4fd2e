"""A loopback Veo on Vertex AI: ``predictLongRunning`` and ``fetchPredictOperation`` under
``/v1`` (or ``/v1beta1``) ``/projects/{p}/locations/{l}/publishers/google/models/{model}``, the
project-less express-mode paths for API keys, OAuth bearer auth, Google error envelopes,
moderation at submit and late (done with no videos and ``raiMediaFilteredCount``), 429
RESOURCE_EXHAUSTED, the seed and ``generateAudio`` honoured, videos inline or — with
``storageUri`` — in a Cloud Storage stand-in served under ``/storage/v1`` (research §1).

    with VertexSandbox(VertexSandboxConfig(processing_seconds=0.2)) as vertex:
        adapter = VertexVeoAdapter(base_url=vertex.base_url, gcs_base_url=vertex.base_url,
                                   credentials=vertex.credentials())

Its base URL is what google-genai calls a base URL (host only; paths carry the version), so the
official SDK in Vertex mode can be pointed at it through ``HttpOptions(base_url=...)``. Faults are
scripted with :meth:`inject` and :class:`~reelforge.sandbox.veo.VeoFault`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from ..providers.veo.vertex import VertexCredentials
from ._base import BookConfig, ProviderSandbox, book_config, mentions
from .server import SandboxRequest, SandboxResponse
from .veo import VeoFault, fault_body, google_error
from .vertex_operations import RESPONSE_TYPE, VertexOperationBook
from .vertex_rules import check_auth, check_body, check_scope

VERSIONS = ("v1", "v1beta1")
PROJECT_MODEL = (
    "/{version}/projects/{project}/locations/{location}/publishers/google/models/{model}"
)
EXPRESS_MODEL = "/{version}/publishers/google/models/{model}"
SUBMIT_BLOCKED = (
    "The prompt could not be submitted. This prompt contains sensitive words that violate "
    "Google's Responsible AI practices. Try rephrasing the prompt. If you think this was an "
    "error, send feedback. Support codes: 61493863"
)
GCS_DENIED = (
    "Anonymous caller does not have storage.objects.get access to the Google Cloud Storage "
    "object. Permission 'storage.objects.get' denied on resource (or it may not exist)."
)


@dataclass
class VertexSandboxConfig:
    access_token: str = "sandbox-vertex-token"
    api_key: str = "sandbox-vertex-key"  # express mode
    project: str = "sandbox-project"
    location: str = "us-central1"
    queue_seconds: float = 0.0
    processing_seconds: float = 0.0
    failure_rate: float = 0.0
    seed: int = 0
    blocked_words: tuple[str, ...] = ("forbidden",)  # 400 INVALID_ARGUMENT at submit
    late_blocked_words: tuple[str, ...] = ("contraband",)  # done, no videos, RAI count
    concurrency_limit: int = 10  # research §1.4: 10 concurrent per project [?]
    latency: float = 0.0
    render_fps: int = 8


class VertexSandbox(ProviderSandbox[VertexSandboxConfig]):
    def __init__(self, config: VertexSandboxConfig | None = None) -> None:
        super().__init__("vertex-sandbox", config or VertexSandboxConfig())
        self.submits = 0  # POSTs to predictLongRunning, whatever their outcome
        self.objects: dict[tuple[str, str], Path] = {}  # (bucket, object) → file
        self._objects_lock = threading.Lock()
        self.book = VertexOperationBook(
            book_config(BookConfig, self.config), self._store, self.workdir
        )
        for prefix in (PROJECT_MODEL, EXPRESS_MODEL):
            self.add_route("POST", f"{prefix}:predictLongRunning", self._submit)
            self.add_route("POST", f"{prefix}:fetchPredictOperation", self._fetch)
        self.add_route("GET", "/storage/v1/b/{bucket}/o/{object}", self._object)

    # -- helpers for tests and the session --------------------------------------------------------

    def credentials(self, *, express: bool = False) -> VertexCredentials:
        c = self.config
        if express:
            return VertexCredentials(api_key=c.api_key, location=c.location)
        return VertexCredentials(
            access_token=c.access_token, project=c.project, location=c.location
        )

    def env(self) -> dict[str, str]:
        """The variables that point an unchanged VertexVeoAdapter here (host only)."""
        return {
            "REELFORGE_VERTEX_BASE_URL": self.base_url,
            "REELFORGE_GCS_BASE_URL": self.base_url,
            "VERTEX_ACCESS_TOKEN": self.config.access_token,
            "GOOGLE_CLOUD_PROJECT": self.config.project,
            "GOOGLE_CLOUD_LOCATION": self.config.location,
        }

    def _store(self, storage_uri: str, suffix: str, path: Path) -> str:
        bucket, _, prefix = storage_uri.removeprefix("gs://").partition("/")
        name = f"{prefix.rstrip('/')}/{suffix}" if prefix.strip("/") else suffix
        with self._objects_lock:
            self.objects[(bucket, name)] = path
        return f"gs://{bucket}/{name}"

    # -- wire -------------------------------------------------------------------------------------

    def _fault_response(self, fault: VeoFault) -> SandboxResponse:
        return SandboxResponse(
            fault.status, fault_body(fault), {"Content-Type": "application/json"}
        )

    @staticmethod
    def _resource(req: SandboxRequest) -> str:
        p = req.params
        model = f"publishers/google/models/{p['model']}"
        if "project" not in p:
            return model
        return f"projects/{p['project']}/locations/{p['location']}/{model}"

    def _auth(self, req: SandboxRequest) -> SandboxResponse | None:
        """Version, credentials, then project and location: what every API call passes."""
        p = req.params
        if p["version"] not in VERSIONS:
            return google_error(404, "NOT_FOUND", f"API version {p['version']} not found.")
        express = "project" not in p
        c = self.config
        problem = check_auth(
            req.headers,
            req.query,
            access_token=c.access_token,
            api_key=c.api_key,
            express=express,
        )
        if problem is None and not express:
            problem = check_scope(p["project"], p["location"], p["model"], own_project=c.project)
        return google_error(*problem) if problem else None

    def _submit(self, req: SandboxRequest) -> SandboxResponse:
        refused, fault = self._admit(req)
        if refused:
            return refused
        try:
            body = req.json()
        except ValueError:
            return google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        model, resource = req.params["model"], self._resource(req)
        if problem := check_body(model, body, resource=resource):
            return google_error(*problem)
        if mentions(str(body["instances"][0].get("prompt") or ""), self.config.blocked_words):
            return google_error(400, "INVALID_ARGUMENT", SUBMIT_BLOCKED)
        with self.lock:  # check-and-create atomically
            if self.book.active() >= self.config.concurrency_limit:
                return google_error(
                    429,
                    "RESOURCE_EXHAUSTED",
                    "Quota exceeded for aiplatform.googleapis.com/"
                    f"online_prediction_requests_per_base_model with base model: {model}. "
                    "Please submit a quota increase request.",
                )
            op = self.book.create_for(resource, model, body)
        if fault is not None:
            return self._fault_response(fault)
        return SandboxResponse.json(200, {"name": op.name})

    def _fetch(self, req: SandboxRequest) -> SandboxResponse:
        if refused := self._gate(req, "operation"):
            return refused
        try:
            body = req.json()
        except ValueError:
            return google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        name = body.get("operationName") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name:
            return google_error(400, "INVALID_ARGUMENT", "operationName is required.")
        if not name.startswith(f"{self._resource(req)}/operations/"):
            return google_error(
                400, "INVALID_ARGUMENT", f"Operation {name} does not belong to this model."
            )
        op = self.book.get(name)
        if op is None:
            return google_error(404, "NOT_FOUND", f"Operation {name} not found.")
        return SandboxResponse.json(200, self.book.refresh(op).as_json(RESPONSE_TYPE))

    def _object(self, req: SandboxRequest) -> SandboxResponse:
        """The Cloud Storage JSON API's object GET: media with ``alt=media``, else metadata."""
        auth = req.headers.get("authorization", "")
        if auth != f"Bearer {self.config.access_token}":
            body = {"error": {"code": 401, "message": GCS_DENIED}}
            return SandboxResponse.json(401, body)
        if fault := self._take_fault("download"):
            return self._fault_response(fault)
        bucket, name = req.params["bucket"], unquote(req.params["object"])
        with self._objects_lock:
            path = self.objects.get((bucket, name))
        if path is None:
            body = {"error": {"code": 404, "message": f"No such object: {bucket}/{name}"}}
            return SandboxResponse.json(404, body)
        if req.query.get("alt") == "media":
            return SandboxResponse(200, path.read_bytes(), {"Content-Type": "video/mp4"})
        meta = {
            "kind": "storage#object",
            "bucket": bucket,
            "name": name,
            "contentType": "video/mp4",
            "size": str(path.stat().st_size),
        }
        return SandboxResponse.json(200, meta)
