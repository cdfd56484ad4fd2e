"""A loopback fal.ai queue (research §8): ``POST /{endpoint id}`` → request_id + status,
response and cancel URLs on ``/{owner}/{alias}/requests/{id}``; IN_QUEUE → IN_PROGRESS →
COMPLETED; COMPLETED-with-error (late moderation) whose result GET answers 422; ``Key`` auth;
``{detail}`` error bodies; ``PUT …/cancel``; scripted faults (rate limits, 5xx, delays);
outputs on an optional foreign CDN with a TTL; a submit counter.

Its base URL means what fal-client's queue URL means (``https://queue.fal.run``).
"""

from __future__ import annotations

import hmac
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from ..providers.fal import FalCredentials
from ._base import ProviderSandbox, fault_headers, mentions
from .render import render_clip
from .server import LoopbackServer, SandboxRequest, SandboxResponse

ENDPOINTS = (
    "fal-ai/veo3.1",
    "fal-ai/veo3.1/image-to-video",
    "fal-ai/veo3.1/first-last-frame-to-video",
    "fal-ai/veo3.1/fast",
    "fal-ai/veo3.1/fast/image-to-video",
    "fal-ai/veo3.1/fast/first-last-frame-to-video",
    "fal-ai/kling-video/v3/standard/text-to-video",
    "fal-ai/kling-video/v3/standard/image-to-video",
    "fal-ai/kling-video/v3/pro/text-to-video",
    "fal-ai/kling-video/v3/pro/image-to-video",
    "kling/v4/text-to-video",
    "kling/v4/image-to-video",
    "bytedance/seedance-2.0/image-to-video",
    "bytedance/seedance-2.5/text-to-video",
    "bytedance/seedance-2.5/image-to-video",
)
IMAGE_FIELDS = (
    "image_url",
    "first_frame_url",
    "last_frame_url",
    "start_image_url",
    "end_image_url",
)


@dataclass
class FalSandboxConfig:
    api_key: str = "sandbox-fal-key"
    queue_seconds: float = 0.0
    processing_seconds: float = 0.0
    blocked_words: tuple[str, ...] = ("forbidden",)  # 422 content_policy_violation at submit
    late_blocked_words: tuple[str, ...] = ("contraband",)  # COMPLETED with error
    file_ttl: float | None = None
    render_fps: int = 8
    url_host: str | None = None  # rewrite returned status/response URLs onto this base


@dataclass
class FalFault:
    status: int
    detail: Any = "scripted fault"
    error_type: str | None = None
    kind: Literal["submit", "status", "result", "cancel", "any"] = "submit"
    retry_after: float | None = None
    after_create: bool = False
    delay: float = 0.0


@dataclass
class FalJob:
    request_id: str
    endpoint: str
    app: str
    body: dict[str, Any]
    started_at: float
    due_at: float
    canceled: bool = False
    result: dict[str, Any] | None = None
    error: tuple[str, str] | None = None
    logs: list[dict[str, Any]] = field(default_factory=list)


class FalSandbox(ProviderSandbox[FalSandboxConfig]):
    METHODS = (*LoopbackServer.METHODS, "PUT")  # cancel is a PUT

    def __init__(
        self, config: FalSandboxConfig | None = None, *, cdn: LoopbackServer | None = None
    ) -> None:
        super().__init__("fal-sandbox", config or FalSandboxConfig(), cdn=cdn)
        self.jobs: dict[str, FalJob] = {}
        self.submits = 0
        base = "/{owner}/{alias}/requests/{rid}"
        self.add_route("GET", base + "/status", self._status)
        self.add_route("PUT", base + "/cancel", self._cancel)
        self.add_route("GET", base, self._result)
        for depth in range(2, 7):
            self.add_route("POST", "".join(f"/{{p{i}}}" for i in range(depth)), self._submit)

    def credentials(self) -> FalCredentials:
        return FalCredentials(self.config.api_key)

    def _fault_response(self, f: FalFault) -> SandboxResponse:
        headers = {"x-fal-error-type": f.error_type} if f.error_type else {}
        headers.update(fault_headers(f, spell="{:g}".format))
        return SandboxResponse.json(f.status, {"detail": f.detail}, headers)

    @property
    def queue_url(self) -> str:
        return self.base_url

    # -- wire -----------------------------------------------------------------------------------

    def _auth(self, req: SandboxRequest) -> SandboxResponse | None:
        sent = req.headers.get("authorization", "")
        if not sent:
            return SandboxResponse.json(401, {"detail": "Missing authorization header"})
        scheme, _, token = sent.partition(" ")
        if scheme != "Key" or not hmac.compare_digest(token.encode(), self.config.api_key.encode()):
            return SandboxResponse.json(401, {"detail": "No user found for Key ID and Secret"})
        return None

    def _check(self, endpoint: str, body: Any) -> SandboxResponse | None:
        def bad(loc: str, msg: str, kind: str = "value_error") -> SandboxResponse:
            return SandboxResponse.json(
                422, {"detail": [{"loc": ["body", loc], "msg": msg, "type": kind}]}
            )

        if not isinstance(body, dict):
            return bad("body", "expected an object")
        if not isinstance(body.get("prompt"), str) or not body["prompt"]:
            return bad("prompt", "field required", "missing")
        for name in IMAGE_FIELDS:
            value = body.get(name)
            if value is not None and not str(value).startswith(("data:image/", "https://")):
                return bad(name, "expected an image URL or data URI")
        duration = body.get("duration")
        if endpoint.startswith("fal-ai/veo3"):
            if duration is not None and duration not in ("4s", "6s", "8s"):
                return bad("duration", "unexpected value; permitted: '4s', '6s', '8s'")
            if endpoint.endswith("first-last-frame-to-video") and not (
                body.get("first_frame_url") and body.get("last_frame_url")
            ):
                return bad("first_frame_url", "field required", "missing")
            if endpoint.endswith("/image-to-video") and not body.get("image_url"):
                return bad("image_url", "field required", "missing")
        else:
            if duration is not None and not (isinstance(duration, str) and duration.isdigit()):
                return bad("duration", "expected a string of seconds such as '5'")
            if endpoint.endswith("/image-to-video") and not (
                body.get("image_url") or body.get("start_image_url")
            ):
                return bad("image_url", "field required", "missing")
        if mentions(body["prompt"], self.config.blocked_words):
            return bad("prompt", "The content could not be processed", "content_policy_violation")
        return None

    def _urls(self, app: str, rid: str) -> dict[str, str]:
        base = f"{self.config.url_host or self.base_url}/{app}/requests/{rid}"
        return {
            "response_url": base,
            "status_url": base + "/status",
            "cancel_url": base + "/cancel",
        }

    def _submit(self, req: SandboxRequest) -> SandboxResponse:
        refused, fault = self._admit(req)
        if refused:
            return refused
        endpoint = req.path.strip("/")
        if endpoint not in ENDPOINTS:
            return SandboxResponse.json(404, {"detail": f"Application '{endpoint}' not found"})
        try:
            body = req.json()
        except ValueError:
            return SandboxResponse.json(422, {"detail": "Invalid JSON body"})
        if problem := self._check(endpoint, body):
            return problem
        now = time.time()
        rid = str(uuid.uuid4())
        app = "/".join(endpoint.split("/")[:2])
        job = FalJob(
            rid,
            endpoint,
            app,
            body,
            now + self.config.queue_seconds,
            now + self.config.queue_seconds + self.config.processing_seconds,
        )
        with self.lock:
            self.jobs[rid] = job
        if fault is not None:
            return self._fault_response(fault)
        return SandboxResponse.json(
            200, {"request_id": rid, **self._urls(app, rid), "queue_position": 0}
        )

    def _job(self, req: SandboxRequest) -> FalJob | SandboxResponse:
        if denied := self._auth(req):
            return denied
        with self.lock:
            job = self.jobs.get(req.params["rid"])
        if job is None or job.app != f"{req.params['owner']}/{req.params['alias']}":
            return SandboxResponse.json(404, {"detail": "Request not found"})
        return job

    def _status(self, req: SandboxRequest) -> SandboxResponse:
        job = self._job(req)
        if isinstance(job, SandboxResponse):
            return job
        if fault := self._take_fault("status"):
            return self._fault_response(fault)
        now = time.time()
        urls = self._urls(job.app, job.request_id)
        if job.canceled:
            gone: dict[str, Any] = {"status": "COMPLETED", "logs": None, "metrics": {}}
            gone |= {"error": "Request was cancelled", "error_type": "request_cancelled"}
            return SandboxResponse.json(200, {**gone, **urls})
        if now < job.started_at:
            return SandboxResponse.json(202, {"status": "IN_QUEUE", "queue_position": 0, **urls})
        if now < job.due_at:
            return SandboxResponse.json(202, {"status": "IN_PROGRESS", "logs": job.logs, **urls})
        self._finish(job)
        data: dict[str, Any] = {"status": "COMPLETED", "logs": job.logs, "metrics": {}, **urls}
        if job.error:
            data |= {"error": job.error[1], "error_type": job.error[0]}
        data["metrics"] = {"inference_time": round(job.due_at - job.started_at, 3)}
        return SandboxResponse.json(200, data)

    def _finish(self, job: FalJob) -> None:
        with self.lock:
            if job.result is not None or job.error is not None:
                return
            prompt = str(job.body.get("prompt", ""))
            if mentions(prompt, self.config.late_blocked_words):
                job.error = ("content_policy_violation", "Output flagged by content checker")
                return
            seconds = int(str(job.body.get("duration", "5")).rstrip("s") or 5)
            out = self.workdir / f"{job.request_id}.mp4"
            render_clip(
                out,
                task_id=job.request_id,
                model=job.endpoint,
                mode=str(job.body.get("resolution", "")),
                prompt=prompt,
                seconds=seconds,
                fps=self.config.render_fps,
                aspect=str(job.body.get("aspect_ratio", "16:9")),
                audio=bool(job.body.get("generate_audio")),
            )
            shelf = self.cdn or self
            url = shelf.publish(out, ttl=self.config.file_ttl)
            job.result = {"video": {"url": url, "content_type": "video/mp4", "file_name": out.name}}

    def _result(self, req: SandboxRequest) -> SandboxResponse:
        job = self._job(req)
        if isinstance(job, SandboxResponse):
            return job
        if fault := self._take_fault("result"):
            return self._fault_response(fault)
        if job.canceled:
            return SandboxResponse.json(400, {"detail": "Request was cancelled"})
        if time.time() < job.due_at:
            return SandboxResponse.json(400, {"detail": "Request is still in progress"})
        self._finish(job)
        if job.error:
            item = {"loc": ["body", "prompt"], "msg": job.error[1], "type": job.error[0]}
            return SandboxResponse.json(422, {"detail": [item]})
        return SandboxResponse.json(200, job.result)

    def _cancel(self, req: SandboxRequest) -> SandboxResponse:
        job = self._job(req)
        if isinstance(job, SandboxResponse):
            return job
        if fault := self._take_fault("cancel"):
            return self._fault_response(fault)
        with self.lock:
            if time.time() >= job.due_at:
                return SandboxResponse.json(400, {"status": "ALREADY_COMPLETED"})
            job.canceled = True
        return SandboxResponse.json(202, {"status": "CANCELLATION_REQUESTED"})
