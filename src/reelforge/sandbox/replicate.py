"""A loopback Replicate (research §9): predictions created on ``/v1/models/{owner}/{name}/
predictions`` or ``/v1/predictions`` (with ``version``), polled on ``/v1/predictions/{id}``,
listed, cancelled; starting → processing → succeeded | failed | canceled; ``Prefer: wait``;
RFC 7807 error bodies; E005 moderation failures; Bearer auth; outputs deleted after a
configurable TTL (one hour on the real service), then ``data_removed`` and 404 on the file;
scripted faults (rate limits, 5xx, delays) and a submit counter.

Its base URL means what replicate-python's ``base_url`` means (host only, paths carry /v1).
"""

from __future__ import annotations

import hmac
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from ..providers.replicate import ReplicateCredentials
from ._base import ProviderSandbox, fault_headers, mentions
from .render import render_clip
from .server import LoopbackServer, SandboxRequest, SandboxResponse

MODELS: dict[str, dict[str, tuple[int, ...]]] = {
    "google/veo-3.1": {"duration": (4, 6, 8)},
    "kwaivgi/kling-v3.0-pro": {"duration": tuple(range(3, 16))},
    "minimax/hailuo-2.3": {"duration": (6, 10)},
    "openai/sora-2-pro": {"seconds": (4, 8, 12)},
}
E005 = (
    "The input or output was flagged as sensitive. Please try again with different inputs. (E005)"
)


@dataclass
class ReplicateSandboxConfig:
    api_token: str = "sandbox-replicate-token"
    queue_seconds: float = 0.0
    processing_seconds: float = 0.0
    blocked_words: tuple[str, ...] = ("contraband",)  # fails with E005
    fail_words: tuple[str, ...] = ("meltdown",)  # fails with a model error
    output_ttl: float = 3600.0  # Replicate deletes API outputs after one hour
    max_wait: float = 60.0  # Prefer: wait=N is capped at 60 s
    render_fps: int = 8


@dataclass
class ReplicateFault:
    status: int
    detail: str = "scripted fault"
    title: str = "Scripted"
    kind: Literal["submit", "get", "cancel", "list", "any"] = "submit"
    retry_after: float | None = None
    after_create: bool = False
    delay: float = 0.0


@dataclass
class Prediction:
    id: str
    model: str
    version: str | None
    input: dict[str, Any]
    created_at: float
    started_at: float
    due_at: float
    status: str = "starting"
    output: str | None = None
    error: str | None = None
    completed_at: float | None = None
    logs: list[str] = field(default_factory=list)


def iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


class ReplicateSandbox(ProviderSandbox[ReplicateSandboxConfig]):
    def __init__(
        self, config: ReplicateSandboxConfig | None = None, *, cdn: LoopbackServer | None = None
    ) -> None:
        super().__init__("replicate-sandbox", config or ReplicateSandboxConfig(), cdn=cdn)
        self.predictions: dict[str, Prediction] = {}
        self.submits = 0
        self.add_route("POST", "/v1/models/{owner}/{name}/predictions", self._create)
        self.add_route("POST", "/v1/predictions", self._create)
        self.add_route("GET", "/v1/predictions", self._list)
        self.add_route("GET", "/v1/predictions/{pid}", self._get)
        self.add_route("POST", "/v1/predictions/{pid}/cancel", self._cancel)

    def credentials(self) -> ReplicateCredentials:
        return ReplicateCredentials(self.config.api_token)

    def age_outputs(self, seconds: float) -> None:
        """Pretend every prediction finished ``seconds`` earlier (expiry tests)."""
        with self.lock:
            for p in self.predictions.values():
                for attr in ("created_at", "started_at", "due_at"):
                    setattr(p, attr, getattr(p, attr) - seconds)
                if p.completed_at is not None:
                    p.completed_at -= seconds
            for f in self.files.values():
                if f.expires_at is not None:
                    f.expires_at -= seconds
        if self.cdn is not None:
            with self.cdn.lock:
                for f in self.cdn.files.values():
                    if f.expires_at is not None:
                        f.expires_at -= seconds

    def _problem(
        self, status: int, title: str, detail: str, headers: dict[str, str] | None = None
    ) -> SandboxResponse:
        body = {"title": title, "detail": detail, "status": status}
        return SandboxResponse(
            status,
            SandboxResponse.json(status, body).body,
            {"Content-Type": "application/problem+json", **(headers or {})},
        )

    def _fault_response(self, f: ReplicateFault) -> SandboxResponse:
        return self._problem(f.status, f.title, f.detail, fault_headers(f, spell="{:g}".format))

    def _auth(self, req: SandboxRequest) -> SandboxResponse | None:
        scheme, _, token = req.headers.get("authorization", "").partition(" ")
        if scheme not in ("Bearer", "Token") or not hmac.compare_digest(
            token.encode(), self.config.api_token.encode()
        ):
            return self._problem(
                401, "Unauthenticated", "You did not pass a valid authentication token"
            )
        return None

    # -- wire -----------------------------------------------------------------------------------

    def as_json(self, p: Prediction) -> dict[str, Any]:
        self._advance(p)
        base = f"{self.base_url}/v1/predictions/{p.id}"
        removed = p.completed_at is not None and time.time() >= p.completed_at + (
            self.config.output_ttl
        )
        return {
            "id": p.id,
            "model": p.model,
            "version": p.version or "hidden",
            "input": {} if removed else p.input,
            "logs": "" if removed else "\n".join(p.logs),
            "output": None if removed else p.output,
            "data_removed": removed,
            "error": p.error,
            "status": p.status,
            "source": "api",
            "created_at": iso(p.created_at),
            "started_at": iso(p.started_at) if p.status != "starting" else None,
            "completed_at": iso(p.completed_at),
            "metrics": {"predict_time": round(p.due_at - p.started_at, 3)}
            if p.completed_at
            else {},
            "urls": {
                "get": base,
                "cancel": base + "/cancel",
                "web": f"https://replicate.invalid/p/{p.id}",
            },
        }

    def _advance(self, p: Prediction) -> None:
        with self.lock:
            now = time.time()
            if p.status in ("succeeded", "failed", "canceled"):
                return
            if now >= p.due_at:
                self._finish(p)
            elif now >= p.started_at:
                p.status = "processing"
                p.logs = ["Generating video..."]

    def _finish(self, p: Prediction) -> None:
        prompt = str(p.input.get("prompt", ""))
        p.completed_at = p.due_at
        if mentions(prompt, self.config.blocked_words):
            p.status, p.error = "failed", E005
            return
        if mentions(prompt, self.config.fail_words):
            p.status, p.error = "failed", "Prediction failed: CUDA error: out of memory"
            return
        seconds = int(p.input.get("duration") or p.input.get("seconds") or 5)
        out = self.workdir / f"{p.id}.mp4"
        render_clip(
            out,
            task_id=p.id,
            model=p.model,
            mode=str(p.input.get("resolution", "")),
            prompt=prompt,
            seconds=seconds,
            fps=self.config.render_fps,
            aspect=str(p.input.get("aspect_ratio", "16:9")),
            audio=bool(p.input.get("generate_audio")),
        )
        ttl = max(0.0, p.completed_at + self.config.output_ttl - time.time())
        p.output = (self.cdn or self).publish(out, ttl=ttl)
        p.status = "succeeded"

    def _create(self, req: SandboxRequest) -> SandboxResponse:
        refused, fault = self._admit(req)
        if refused:
            return refused
        try:
            body = req.json()
        except ValueError:
            return self._problem(400, "Bad request", "Request body is not valid JSON")
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            return self._problem(422, "Input validation failed", "- input: input is required")
        if "owner" in req.params:
            model, version = f"{req.params['owner']}/{req.params['name']}", None
        else:
            version = str(body.get("version", ""))
            model = version.split(":", 1)[0]
        if model not in MODELS:
            return self._problem(404, "Not found", "The requested resource could not be found.")
        if problem := self._check(model, body["input"]):
            return problem
        now = time.time()
        p = Prediction(
            id=uuid.uuid4().hex[:26],
            model=model,
            version=version,
            input=body["input"],
            created_at=now,
            started_at=now + self.config.queue_seconds,
            due_at=now + self.config.queue_seconds + self.config.processing_seconds,
        )
        with self.lock:
            self.predictions[p.id] = p
        if fault is not None:
            return self._fault_response(fault)
        prefer = req.headers.get("prefer", "")
        if prefer.startswith("wait"):
            _, _, n = prefer.partition("=")
            limit = min(float(n) if n else self.config.max_wait, self.config.max_wait)
            deadline = time.time() + limit
            while time.time() < deadline and self.as_json(p)["status"] in (
                "starting",
                "processing",
            ):
                time.sleep(0.02)
        return SandboxResponse.json(201, self.as_json(p))

    def _check(self, model: str, inp: dict[str, Any]) -> SandboxResponse | None:
        if not isinstance(inp.get("prompt"), str) or not inp["prompt"]:
            return self._problem(422, "Input validation failed", "- input: prompt is required")
        for name, allowed in MODELS[model].items():
            if name in inp and inp[name] not in allowed:
                return self._problem(
                    422,
                    "Input validation failed",
                    f"- input.{name}: {name} must be one of the following: {list(allowed)}",
                )
        for key in ("image", "last_frame", "start_image", "end_image", "first_frame_image"):
            if key in inp and not str(inp[key]).startswith(("data:", "https://")):
                return self._problem(
                    422, "Input validation failed", f"- input.{key}: Does not match format 'uri'"
                )
        return None

    def _lookup(self, req: SandboxRequest) -> Prediction | SandboxResponse:
        if denied := self._auth(req):
            return denied
        with self.lock:
            p = self.predictions.get(req.params["pid"])
        if p is None:
            return self._problem(404, "Not found", "The requested resource could not be found.")
        return p

    def _get(self, req: SandboxRequest) -> SandboxResponse:
        p = self._lookup(req)
        if isinstance(p, SandboxResponse):
            return p
        if fault := self._take_fault("get"):
            return self._fault_response(fault)
        return SandboxResponse.json(200, self.as_json(p))

    def _cancel(self, req: SandboxRequest) -> SandboxResponse:
        p = self._lookup(req)
        if isinstance(p, SandboxResponse):
            return p
        if fault := self._take_fault("cancel"):
            return self._fault_response(fault)
        self._advance(p)
        with self.lock:
            if p.status in ("starting", "processing"):
                p.status, p.completed_at = "canceled", time.time()
        return SandboxResponse.json(200, self.as_json(p))

    def _list(self, req: SandboxRequest) -> SandboxResponse:
        if refused := self._gate(req, "list"):
            return refused
        with self.lock:
            items = sorted(self.predictions.values(), key=lambda p: -p.created_at)
        return SandboxResponse.json(
            200, {"previous": None, "next": None, "results": [self.as_json(p) for p in items]}
        )
