"""Veo on Vertex AI (research §1.1): ``POST /v1/projects/{p}/locations/{l}/publishers/google/
models/{model}:predictLongRunning`` creates a long-running operation, ``POST …/models/{model}:
fetchPredictOperation`` with ``{"operationName"}`` polls it until ``done``. Videos come back inline
(``bytesBase64Encoded``) or, with ``storage_uri``, as ``gcsUri`` objects in Cloud Storage.

The body, the Google error envelope, the error table and the "done with no samples" content
filter are the Gemini API's, so this adapter extends :class:`VeoAdapter`. What differs: an OAuth
bearer token (``VERTEX_ACCESS_TOKEN``, e.g. ``gcloud auth print-access-token``) with a project and
location, or an express-mode API key (``GOOGLE_API_KEY``, no project); the regional host; the
poll call; the result shape. Like the Gemini API, Vertex takes no idempotency key and cannot list
prediction operations: an ambiguous submit raises, never resubmits.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from ...generators.base import ShotRequest
from .._http import download_file, safe_name, same_origin
from ..base import Adapter
from ..config import resolve_base_url, resolve_keys
from ..errors import (
    AuthError,
    InvalidRequest,
    MissingKey,
    ProviderError,
    TransientProviderError,
    Unsupported,
)
from ..state import Expired, Failed, OutputRef, Succeeded, TaskHandle, TaskState, WireRequest
from .adapter import VeoAdapter
from .vertex_request import VertexVeoOptions, build_vertex_body

API_VERSION = "v1"
KEY_NAME = "vertex"  # `reel keys set vertex`, REELFORGE_VERTEX_BASE_URL
KEY_ENV_OPTIONS = (("VERTEX_ACCESS_TOKEN",), ("GOOGLE_API_KEY",))
PROJECT_ENV = "GOOGLE_CLOUD_PROJECT"
LOCATION_ENV = "GOOGLE_CLOUD_LOCATION"
DEFAULT_LOCATION = "us-central1"  # the region Google's Veo REST reference is written against
GCS_BASE_URL = "https://storage.googleapis.com"  # REELFORGE_GCS_BASE_URL overrides it
NO_RECONCILE = (
    "Vertex takes no idempotency key and cannot list prediction operations, so this submit "
    "cannot be reconciled by lookup; check the project's Vertex AI usage before resubmitting"
)
EXPIRED_TOKEN_HINT = (
    " — access tokens last about an hour: refresh VERTEX_ACCESS_TOKEN "
    "(gcloud auth print-access-token)"
)


def default_host(location: str, *, express: bool = False) -> str:
    """Regional host for a location; ``global`` and express mode use the global host."""
    if express or location == "global":
        return "https://aiplatform.googleapis.com"
    return f"https://{location}-aiplatform.googleapis.com"


class MissingProject(MissingKey):
    """A bearer token without a project: the message names the variables that fix it."""

    def __init__(self) -> None:
        super().__init__(KEY_NAME, ((PROJECT_ENV,),))
        self.args = (
            f"no Google Cloud project for Vertex AI: set {PROJECT_ENV} (and {LOCATION_ENV}, "
            f"default {DEFAULT_LOCATION}) in the environment or run "
            f"`reel keys set vertex --name {PROJECT_ENV}`; an express-mode GOOGLE_API_KEY needs "
            "no project",
        )


@dataclass(frozen=True)
class VertexCredentials:
    """An OAuth access token with its project and location, or an express-mode API key."""

    access_token: str = ""
    api_key: str = ""
    project: str = ""
    location: str = DEFAULT_LOCATION

    def __post_init__(self) -> None:
        if bool(self.access_token) == bool(self.api_key):
            raise ValueError("VertexCredentials needs an access_token or an api_key (not both)")
        if self.access_token and not self.project:
            raise MissingProject()

    @property
    def express(self) -> bool:
        """An API key without a project: express mode's project-less paths."""
        return bool(self.api_key) and not self.project

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> VertexCredentials:
        from ..keys import stored_keys

        env = os.environ if env is None else env
        found = resolve_keys(KEY_NAME, KEY_ENV_OPTIONS, env)
        # `reel keys set vertex --name GOOGLE_CLOUD_PROJECT` works too; the environment wins.
        stored = stored_keys() if not (env.get(PROJECT_ENV) and env.get(LOCATION_ENV)) else {}
        project = (env.get(PROJECT_ENV) or stored.get(PROJECT_ENV, "")).strip()
        location = (env.get(LOCATION_ENV) or stored.get(LOCATION_ENV, "")).strip()
        return cls(
            access_token=found.get("VERTEX_ACCESS_TOKEN", ""),
            api_key=found.get("GOOGLE_API_KEY", ""),
            project=project,
            location=location or DEFAULT_LOCATION,
        )

    def headers(self) -> dict[str, str]:
        if self.access_token:
            return {"Authorization": f"Bearer {self.access_token}"}
        return {"x-goog-api-key": self.api_key}

    def model_resource(self, model: str) -> str:
        if self.express:
            return f"publishers/google/models/{model}"
        return f"projects/{self.project}/locations/{self.location}/publishers/google/models/{model}"

    def __repr__(self) -> str:  # never print secrets in logs or tracebacks
        kind = "access_token" if self.access_token else "api_key"
        return (
            f"VertexCredentials({kind}=***, project={self.project!r}, location={self.location!r})"
        )


class VertexVeoAdapter(VeoAdapter):
    provider: ClassVar[str] = "google"
    default_base_url: ClassVar[str] = default_host(DEFAULT_LOCATION)
    poll_interval: ClassVar[float] = 10.0
    no_reconcile: ClassVar[str] = NO_RECONCILE  # submit and lookup are Veo's, with this text

    def __init__(
        self,
        *,
        credentials: VertexCredentials | None = None,
        base_url: str | None = None,
        gcs_base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 120.0,  # inline results carry the whole video in the poll answer
    ) -> None:
        # Resolve the credentials first: a missing token should fail before any client opens.
        self.vertex = credentials or VertexCredentials.from_env()
        host = default_host(self.vertex.location, express=self.vertex.express)
        # Host only, as google-genai's base_url; paths carry /v1.
        base = base_url or resolve_base_url(KEY_NAME, host)
        self.gcs_base_url = (gcs_base_url or resolve_base_url("gcs", GCS_BASE_URL)).rstrip("/")
        Adapter.__init__(self, base_url=base, client=client, transport=transport, timeout=timeout)

    def auth_headers(self) -> dict[str, str]:
        return self.vertex.headers()

    def build_request(
        self,
        request: ShotRequest,
        options: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> WireRequest:
        """``idempotency_key`` is accepted for the common contract but cannot be sent."""
        opts = VertexVeoOptions.model_validate(dict(options or {}))
        model, body, warnings = build_vertex_body(request, opts)
        if opts.storage_uri and not self.vertex.access_token:
            raise InvalidRequest(
                "storage_uri needs an OAuth access token: Cloud Storage takes no API key",
                provider=self.provider,
                model=model,
            )
        if idempotency_key:
            warnings.append("Vertex has no idempotency key; a re-run submits a new operation")
        return self.wire_post(
            model=model,
            route="predictLongRunning",
            path=f"/{API_VERSION}/{self.vertex.model_resource(model)}:predictLongRunning",
            body=body,
            idempotency_key=None,
            warnings=warnings,
        )

    def error_from_response(
        self, response: httpx.Response, *, model: str = "", task_id: str | None = None
    ) -> ProviderError:
        exc = super().error_from_response(response, model=model, task_id=task_id)
        if (
            isinstance(exc, AuthError)
            and exc.code == "UNAUTHENTICATED"
            and self.vertex.access_token
        ):
            return AuthError(
                exc.message + EXPIRED_TOKEN_HINT,
                provider=exc.provider,
                model=exc.model,
                task_id=exc.task_id,
                payload=exc.payload,
                code=exc.code,
                status=exc.status,
            )
        return exc

    # -- submit, cancel ---------------------------------------------------------------------------

    def parse_submit(self, wire: WireRequest, payload: Any) -> TaskHandle:
        name = payload.get("name") if isinstance(payload, dict) else None
        if not isinstance(name, str) or "/operations/" not in name:
            raise self.ambiguous(
                wire, f"submit answered without an operation name. {NO_RECONCILE}", payload=payload
            )
        return self.handle_for(wire, name)

    async def cancel(self, handle: TaskHandle) -> None:
        raise Unsupported(
            "Veo on Vertex AI has no cancel for prediction operations; it runs (and bills) to "
            "the end",
            provider=self.provider,
            model=handle.model,
            task_id=handle.task_id,
        )

    # -- polling ----------------------------------------------------------------------------------

    async def poll(self, handle: TaskHandle) -> TaskState:
        # The model resource is the operation name up to /operations/ (as google-genai does).
        resource = handle.task_id.rpartition("/operations/")[0]
        try:
            resp = await self.request(
                "POST",
                f"/{API_VERSION}/{resource}:fetchPredictOperation",
                json={"operationName": handle.task_id},
                model=handle.model,
                task_id=handle.task_id,
            )
        except ProviderError as exc:
            if exc.status == 404:
                return Expired(handle, raw=exc.payload if isinstance(exc.payload, dict) else {})
            raise
        return self.to_state(handle, self._operation(resp, handle, "Vertex"))

    def to_state(self, handle: TaskHandle, data: dict[str, Any]) -> TaskState:
        """Not done and done-with-error read as on the Gemini API; the result differs:
        ``response.videos[]`` with ``gcsUri`` or ``bytesBase64Encoded``."""
        if not data.get("done") or isinstance(data.get("error"), dict):
            return super().to_state(handle, data)
        response = data.get("response") or {}
        # Some API versions wrap the result in generateVideoResponse; accept either.
        response = response.get("generateVideoResponse") or response
        outputs = tuple(
            ref
            for video in response.get("videos") or []
            if isinstance(video, dict) and (ref := _output(video)) is not None
        )
        if outputs:
            return Succeeded(handle, raw=data, outputs=outputs)
        ctx: dict[str, Any] = {
            "provider": self.provider,
            "model": handle.model,
            "task_id": handle.task_id,
            "payload": data,
        }
        return Failed(handle, raw=data, error=self._filtered(response, ctx))

    # -- download ---------------------------------------------------------------------------------

    def gcs_media_url(self, gcs_uri: str) -> str:
        """``gs://bucket/object`` → the Cloud Storage JSON API media URL."""
        bucket, _, name = gcs_uri.removeprefix("gs://").partition("/")
        if not bucket or not name:
            raise InvalidRequest(f"not a Cloud Storage object URI: {gcs_uri!r}", provider="google")
        return f"{self.gcs_base_url}/storage/v1/b/{bucket}/o/{quote(name, safe='')}?alt=media"

    async def download(self, state: Succeeded, dest_dir: Path) -> list[Path]:
        """Inline videos are decoded; ``gs://`` objects are fetched from Cloud Storage with the
        bearer token (Google's own storage host, which needs it); any other URL gets credentials
        only if it is the API's own origin."""
        handle = state.handle
        op_id = handle.task_id.rpartition("/")[2]
        paths = []
        for i, out in enumerate(state.outputs):
            dest = Path(dest_dir) / (safe_name(f"vertex-{op_id}-{i}") + ".mp4")
            if out.url.startswith("data:"):
                paths.append(_write_inline(out.url, dest, handle))
                continue
            url, headers = out.url, {}
            if url.startswith("gs://"):
                url = self.gcs_media_url(url)
                if self.vertex.access_token:
                    headers = self.vertex.headers()
            elif same_origin(url, self.base_url):
                headers = self.auth_headers()
            paths.append(
                await download_file(
                    self.client,
                    url,
                    dest,
                    headers=headers,
                    provider=self.provider,
                    model=handle.model,
                    task_id=handle.task_id,
                )
            )
        return paths


def _output(video: dict[str, Any]) -> OutputRef | None:
    mime = str(video.get("mimeType") or "video/mp4")
    if video.get("gcsUri"):
        return OutputRef(url=str(video["gcsUri"]))
    if video.get("bytesBase64Encoded"):
        # Kept as a data: URL so a persisted state still holds the clip (nothing to re-fetch).
        return OutputRef(url=f"data:{mime};base64,{video['bytesBase64Encoded']}")
    return None


def _write_inline(url: str, dest: Path, handle: TaskHandle) -> Path:
    try:
        data = base64.b64decode(url.partition(",")[2], validate=True)
    except (ValueError, binascii.Error) as exc:
        raise TransientProviderError(
            "inline video is not valid base64",
            provider=handle.provider,
            model=handle.model,
            task_id=handle.task_id,
        ) from exc
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, dest)  # never a half-written clip that looks finished
    return dest
