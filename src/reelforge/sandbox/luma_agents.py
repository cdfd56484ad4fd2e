"""A loopback Luma Agents API under ``/v1`` (docs.agents.lumalabs.ai; luma-agents SDK 0.3.0),
serving ``ray-3.2`` video jobs: Bearer auth; ``POST /generations`` (``type`` ``video``,
``video_edit``, ``video_reframe``) → HTTP 201 and the Generation; ``GET /generations/{id}``
(queued → processing → completed | failed with ``failure_code`` and ``failure_reason``);
``{"detail": ...}`` error envelopes with the documented statuses (400, 401, 402, 403, 404, 413,
422, 429 with ``Retry-After``, 502, 503); ``X-Request-Id`` and ``X-API-Version`` on every
answer, ``X-RateLimit-Limit`` / ``-Remaining`` on accepted submits (a sliding 60 s window).

Moderation is asynchronous, as documented: a blocked prompt is accepted and then fails
``content_moderated`` before it is processed (the input check), a late-blocked one after
processing (the output check; its wording is assumed [?]). Output URLs are presigned for an
hour and signed afresh on each read [?]. Finished clips are previz renders stamped with the
model (inline start/end frames are drawn into them); edits and reframes follow their source's
length. The API reports no per-generation charge, so neither does this.

    with LumaAgentsSandbox(LumaAgentsSandboxConfig(processing_seconds=0.2)) as luma:
        adapter = LumaAgentsAdapter(base_url=luma.api_base, credentials=luma.credentials())

Faults are scripted with :meth:`LumaAgentsSandbox.inject` and the Dream Machine sandbox's
:class:`~reelforge.sandbox.luma.Fault` (``kind`` "submit" or "get"); ``submits`` counts POSTs.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import random
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..providers.luma.agents import (
    API_VERSION,
    ASPECT_RATIOS,
    EDIT_STRENGTHS,
    MODELS,
    PROMPT_LIMIT,
    RESOLUTIONS,
)
from ..providers.luma.auth import LumaCredentials
from ._base import ProviderSandbox, fault_headers, iso, mentions
from .luma import Fault, error_response  # the same {"detail": ...} envelope as Dream Machine
from .render import render_clip
from .server import LoopbackServer, SandboxRequest, SandboxResponse

PREFIX = "/v1"
GENERATIONS = PREFIX + "/generations"
VIDEO_TYPES = ("video", "video_edit", "video_reframe")
KNOWN = {"model", "type", "prompt", "aspect_ratio", "source", "video", "user_id", "image_ref",
         "output_format", "style", "web_search"}  # fmt: skip
VIDEO_KNOWN = {"duration", "resolution", "start_frame", "end_frame", "loop", "hdr",
               "exr_export", "edit", "source_position"}  # fmt: skip
EDIT_KNOWN = {"auto_controls", "strength", "controls", "keyframes", "keyframe_indexes"}
INPUT_REJECTION = "Prompt or input image violated content guidelines"
LATE_REJECTION = "Generated output video failed content moderation"  # [?] wording
INTERNAL = "Internal model error during generation"
Problem = tuple[int, str]


@dataclass
class LumaAgentsSandboxConfig:
    api_key: str = "luma-api-sandbox-key"  # real keys start luma-api-
    queue_seconds: float = 0.0
    processing_seconds: float = 0.0
    failure_rate: float = 0.0  # generations failing generation_failed
    seed: int = 0
    blocked_words: tuple[str, ...] = ("forbidden",)  # content_moderated before processing
    late_blocked_words: tuple[str, ...] = ("contraband",)  # content_moderated when done
    url_ttl: float | None = 3600.0  # "Presigned URL (1hr expiry)"
    max_media_bytes: int = 50 * 1024 * 1024  # 413 above ("Image exceeds 50 MB")
    rpm_limit: int = 600  # requests per 60 s sliding window on POST (plan-dependent upstream)
    max_concurrent: int | None = None  # active generations per client; None: unlimited
    latency: float = 0.0
    render_fps: int = 8  # previz renders few frames for speed


@dataclass
class AgentsGeneration:
    id: str
    body: dict[str, Any]
    created_at: float
    ready_at: float  # when it may leave "queued"
    seconds: int  # the clip length it will have
    state: str = "queued"
    due_at: float | None = None
    video: Path | None = None
    failure_code: str | None = None
    failure_reason: str | None = None
    frames: dict[str, Path] = field(default_factory=dict)  # decoded inline start/end frames
    reads: int = 0

    @property
    def model(self) -> str:
        return str(self.body["model"])

    @property
    def type(self) -> str:
        return str(self.body["type"])

    def prompt(self) -> str:
        return str(self.body.get("prompt") or "")


# -- validation (each returns None or (status, detail)) ----------------------------------------


def check_auth(header: str | None, api_key: str) -> Problem | None:
    if not header or not header.startswith("Bearer "):
        return (401, "Missing API key: send Authorization: Bearer <key>")
    if not hmac.compare_digest(header.removeprefix("Bearer ").strip(), api_key):
        return (401, "Invalid API key")
    return None


def decode_media(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def check_ref(
    where: str, ref: Any, videos: dict[str, int], *, video_source: bool, max_bytes: int
) -> Problem | None:
    """One ImageRef: exactly one of url, data (with media_type) or generation_id."""
    if not isinstance(ref, dict):
        return (422, f"{where}: expected an object")
    given = [k for k in ("url", "data", "generation_id") if ref.get(k)]
    if len(given) != 1:
        return (422, f"{where}: provide exactly one of url, data or generation_id")
    media = str(ref.get("media_type") or "")
    want = "video/" if video_source else "image/"
    if given[0] == "generation_id":
        if ref["generation_id"] not in videos:
            return (422, f"{where}.generation_id: no completed video generation of yours")
        return None
    if given[0] == "data":
        if not media:
            return (422, f"{where}.media_type: required with data")
        raw = decode_media(ref["data"])
        if raw is None:
            return (422, f"{where}.data: not valid base64 media data")
        if len(raw) > max_bytes:
            return (413, f"{where}: input media exceeds the {max_bytes // 2**20} MB limit")
    elif not str(ref["url"]).startswith(("https://", "http://")):
        return (422, f"{where}.url: must be a publicly accessible http(s) URL")
    elif video_source and not media:
        return (422, f"{where}.media_type: required with a video source url")
    if media and not media.startswith(want):
        return (422, f"{where}.media_type: expected {want}*, got {media!r}")
    return None


def _check_video_type(kind: str, video: dict[str, Any]) -> Problem | None:
    duration, hdr = video.get("duration", "5s"), bool(video.get("hdr"))
    if kind == "video":
        frames = video.get("start_frame") or video.get("end_frame")
        if duration == "10s" and (frames or video.get("loop") or hdr):
            return (422, "duration 10s is text-to-video only (no frames, loop or hdr)")
        chained = [video.get(s, {}).get("generation_id") for s in ("start_frame", "end_frame")]
        if hdr and any(chained):
            return (422, "hdr: an extension is standard dynamic range only")
        if "edit" in video:
            return (422, "video.edit: only valid when type is video_edit")
    elif video.get("loop") is not None:
        return (422, "video.loop: only valid for type=video")
    if kind == "video_edit":
        edit = video.get("edit") or {}
        if not isinstance(edit, dict) or set(edit) - EDIT_KNOWN:
            return (422, "video.edit: unknown fields")
        if edit.get("auto_controls") and edit.get("strength"):
            return (422, "video.edit: auto_controls and strength are exclusive")
        if "strength" in edit and edit["strength"] not in EDIT_STRENGTHS:
            return (400, f"video.edit.strength: unexpected value {edit['strength']!r}")
    if kind == "video_reframe" and hdr:
        return (422, "video.hdr: not supported for video_reframe")
    return None


def check_body(body: Any, videos: dict[str, int], max_bytes: int) -> Problem | None:
    """Validate a ``POST /generations`` body for a video job; ``videos`` maps this client's
    completed video generations to their seconds."""
    if not isinstance(body, dict):
        return (422, "body: expected a JSON object")
    if extra := sorted(set(body) - KNOWN):
        return (422, f"{extra[0]}: extra fields not permitted")
    kind = body.get("type")
    if kind in ("image", "image_edit"):
        return (400, "this sandbox serves video generations only (ray-3.2)")
    if kind not in VIDEO_TYPES:
        return (422, f"type: expected one of {list(VIDEO_TYPES)}")
    if body.get("model") not in MODELS:
        return (400, f"model {body.get('model')!r} does not support type {kind}; use ray-3.2")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not 1 <= len(prompt) <= PROMPT_LIMIT:
        return (400, f"prompt: a string of 1 to {PROMPT_LIMIT} characters is required")
    if "image_ref" in body:
        return (400, "image_ref: not supported for video types")
    ratio = body.get("aspect_ratio")
    if ratio is not None and ratio not in ASPECT_RATIOS:
        return (400, f"aspect_ratio: {ratio!r} is not a ray-3.2 ratio {list(ASPECT_RATIOS)}")
    video = body.get("video") or {}
    if not isinstance(video, dict) or (extra := sorted(set(video) - VIDEO_KNOWN)):
        return (422, "video: expected an object of known video options")
    if video.get("resolution", "720p") not in RESOLUTIONS:
        return (400, f"video.resolution: expected one of {list(RESOLUTIONS)}")
    if video.get("duration", "5s") not in ("5s", "10s"):
        return (400, "video.duration: expected '5s' or '10s'")
    if video.get("hdr") and video.get("resolution", "720p") == "540p":
        return (422, "video.hdr: requires 720p or 1080p")
    if video.get("exr_export") and not video.get("hdr"):
        return (422, "video.exr_export: requires hdr=true")
    for slot in ("start_frame", "end_frame"):
        if slot in video:
            where = f"video.{slot}"
            if p := check_ref(where, video[slot], videos, video_source=False, max_bytes=max_bytes):
                return p
    if kind == "video":
        if "source" in body:
            return (422, "source: not used by type video (use video.start_frame to extend)")
    else:
        if "source" not in body:
            return (422, f"source: {kind} needs exactly one source video")
        if p := check_ref("source", body["source"], videos, video_source=True, max_bytes=max_bytes):
            return p
        if kind == "video_reframe" and ratio is None:
            return (400, "aspect_ratio: the reframe target is required")
        if (
            kind == "video_reframe"
            and video.get("resolution") == "1080p"
            and ratio in ("9:16", "3:4")
        ):
            return (422, "video.resolution: 1080p for vertical reframe targets is coming soon")
    return _check_video_type(kind, video)


# -- the server ------------------------------------------------------------------------------------


class LumaAgentsSandbox(ProviderSandbox[LumaAgentsSandboxConfig]):
    API_PREFIX = PREFIX  # what the ``luma-agents`` SDK's base_url includes

    def __init__(
        self, config: LumaAgentsSandboxConfig | None = None, *, cdn: LoopbackServer | None = None
    ) -> None:
        super().__init__("luma-agents-sandbox", config or LumaAgentsSandboxConfig(), cdn=cdn)
        self.submits = 0
        self.generations: dict[str, AgentsGeneration] = {}
        self.rng = random.Random(self.config.seed)
        self.window: deque[float] = deque()  # accepted POST times, for the RPM limit
        self.add_route("POST", GENERATIONS, self._submit)
        self.add_route("GET", GENERATIONS + "/{gen_id}", self._get)

    def credentials(self) -> LumaCredentials:
        return LumaCredentials(self.config.api_key)

    def generation(self, gen_id: str) -> AgentsGeneration | None:
        self.advance()
        with self.lock:
            return self.generations.get(gen_id)

    def dispatch(self, req: SandboxRequest) -> SandboxResponse:
        resp = super().dispatch(req)
        if not req.path.startswith("/files/"):  # the API's headers, on success and error alike
            resp.headers.setdefault(
                "X-Request-Id", req.headers.get("x-request-id") or str(uuid.uuid4())
            )
            resp.headers.setdefault("X-API-Version", API_VERSION)
        return resp

    # -- the generation book (advanced lazily on every read; no scheduler thread) ----------------

    def completed_videos(self) -> dict[str, int]:
        self.advance()
        with self.lock:
            return {g.id: g.seconds for g in self.generations.values() if g.state == "completed"}

    def advance(self) -> None:
        now = time.time()
        with self.lock:
            for gen in sorted(self.generations.values(), key=lambda g: g.created_at):
                if gen.state == "queued" and now >= gen.ready_at:
                    if mentions(gen.prompt(), self.config.blocked_words):
                        gen.state, gen.failure_code = "failed", "content_moderated"
                        gen.failure_reason = INPUT_REJECTION
                        continue
                    gen.state, gen.due_at = "processing", now + self.config.processing_seconds
                if gen.state == "processing" and gen.due_at is not None and now >= gen.due_at:
                    self._finish(gen)

    def _finish(self, gen: AgentsGeneration) -> None:
        prompt = gen.prompt().lower()
        if mentions(prompt, self.config.late_blocked_words):
            gen.state, gen.failure_code = "failed", "content_moderated"
            gen.failure_reason = LATE_REJECTION
            return
        if self.config.failure_rate and self.rng.random() < self.config.failure_rate:
            gen.state, gen.failure_code, gen.failure_reason = (
                "failed",
                "generation_failed",
                INTERNAL,
            )
            return
        out = self.workdir / f"{gen.id}.mp4"
        ratio = str(gen.body.get("aspect_ratio") or "16:9")
        w, h = (int(x) for x in ratio.split(":"))
        video = gen.body.get("video") or {}
        render_clip(
            out,
            task_id=gen.id,
            model=gen.model,
            mode=f"{gen.type} {video.get('resolution') or '720p'} {ratio}",
            prompt=prompt,
            seconds=gen.seconds,
            fps=self.config.render_fps,
            aspect="16:9" if w > h else "9:16" if h > w else "1:1",
            first_frame=gen.frames.get("start_frame"),
            last_frame=gen.frames.get("end_frame"),
        )
        gen.video, gen.state = out, "completed"

    def as_data(self, gen: AgentsGeneration) -> dict[str, Any]:
        """The Generation object (luma-agents ``Generation``)."""
        data: dict[str, Any] = {
            "id": gen.id,
            "created_at": iso(gen.created_at),
            "model": gen.model,
            "state": gen.state,
            "type": gen.type,
        }
        if gen.state == "failed":
            data["failure_code"], data["failure_reason"] = gen.failure_code, gen.failure_reason
        if gen.state == "completed" and gen.video is not None:
            url = self._publish(gen.video)
            data["output"] = [{"type": "video", "url": url}]
        return data

    def _create(self, body: dict[str, Any], videos: dict[str, int]) -> AgentsGeneration:
        video = body.get("video") or {}
        seconds = int(str(video.get("duration") or "5s").removesuffix("s"))
        source = body.get("source") or {}
        if body["type"] != "video":  # edits and reframes follow their source's length
            seconds = videos.get(str(source.get("generation_id")), 5)
        now = time.time()
        gen = AgentsGeneration(
            str(uuid.uuid4()), body, now, now + self.config.queue_seconds, seconds
        )
        for slot in ("start_frame", "end_frame"):
            ref = video.get(slot) or {}
            raw = decode_media(ref.get("data"))
            if raw is not None and str(ref.get("media_type", "")).startswith("image/"):
                suffix = "." + str(ref["media_type"]).split("/")[1].split("+")[0]
                path = self.workdir / f"{gen.id}-{slot}{suffix}"
                path.write_bytes(raw)
                gen.frames[slot] = path
        with self.lock:
            self.generations[gen.id] = gen
        return gen

    # -- wire -------------------------------------------------------------------------------------

    def _fault_response(self, fault: Fault) -> SandboxResponse:
        return error_response(fault.status, fault.message, fault_headers(fault))

    def _auth(self, req: SandboxRequest) -> SandboxResponse | None:
        problem = check_auth(req.headers.get("authorization"), self.config.api_key)
        return None if problem is None else error_response(*problem)

    def _limits(self) -> SandboxResponse | None:
        """The two documented 429s: requests per minute (sliding) and concurrent jobs."""
        now = time.time()
        with self.lock:
            while self.window and now - self.window[0] >= 60.0:
                self.window.popleft()
            if len(self.window) >= self.config.rpm_limit:
                wait = max(1, int(60.0 - (now - self.window[0])) + 1)
                return error_response(429, "Rate limit exceeded", {"Retry-After": str(wait)})
            active = sum(
                1 for g in self.generations.values() if g.state in ("queued", "processing")
            )
        if self.config.max_concurrent is not None and active >= self.config.max_concurrent:
            return error_response(429, "Too many concurrent jobs", {"Retry-After": "5"})
        return None

    def _submit(self, req: SandboxRequest) -> SandboxResponse:
        refused, fault = self._admit(req)
        if refused:
            return refused
        self.advance()
        if limited := self._limits():
            return limited
        try:
            body = req.json()
        except ValueError:
            return error_response(400, "Request body is not valid JSON")
        videos = self.completed_videos()
        if problem := check_body(body, videos, self.config.max_media_bytes):
            return error_response(*problem)
        gen = self._create(body, videos)
        with self.lock:
            self.window.append(time.time())
            remaining = max(0, self.config.rpm_limit - len(self.window))
            data = self.as_data(gen)
        if fault is not None:
            return self._fault_response(fault)
        headers = {"X-RateLimit-Limit": str(self.config.rpm_limit),
                   "X-RateLimit-Remaining": str(remaining)}  # fmt: skip
        return SandboxResponse.json(201, data, headers)

    def _get(self, req: SandboxRequest) -> SandboxResponse:
        if refused := self._gate(req, "get"):
            return refused
        gen = self.generation(req.params["gen_id"])
        if gen is None:
            return error_response(404, "Generation not found")
        with self.lock:
            gen.reads += 1
            return SandboxResponse.json(200, self.as_data(gen))
