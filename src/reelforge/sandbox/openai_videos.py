"""A loopback server honouring the OpenAI videos contract (research §2): Bearer auth, the
multipart create form, video objects and their states, content variants, remix, list with
pagination, delete, moderation at submit and late, rate limits with ``retry-after``, and the
rule that an input image must be exactly the requested size.

    with OpenAIVideosSandbox(OpenAIVideosSandboxConfig(processing_seconds=0.2)) as sbx:
        adapter = OpenAIVideosAdapter(base_url=sbx.api_base, api_key=sbx.config.api_key)
        client = openai.OpenAI(base_url=sbx.api_base, api_key=sbx.config.api_key)

Faults are scripted with :meth:`OpenAIVideosSandbox.inject` (the next matching request answers
with a given status and error, optionally *after* creating the video, or slowly).
"""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Literal

from ._base import ProviderSandbox, answer, book_config, fault_headers, mentions, minute_wait
from .openai_videos_jobs import Video, VideoBook, VideoBookConfig
from .openai_videos_rules import check_auth, check_create, error, read_form
from .server import LoopbackServer, SandboxRequest, SandboxResponse

VARIANTS = {"video": "video/mp4", "thumbnail": "image/webp", "spritesheet": "image/jpeg"}


@dataclass
class OpenAIVideosSandboxConfig:
    api_key: str = "sk-sandbox-openai"
    queue_seconds: float = 0.0
    processing_seconds: float = 0.0
    failure_rate: float = 0.0
    seed: int = 0
    blocked_words: tuple[str, ...] = ("forbidden",)  # rejected at submit: moderation_blocked
    late_blocked_words: tuple[str, ...] = ("contraband",)  # fail late, as a failed video
    submits_per_minute: int | None = None  # over it: 429 rate_limit_exceeded + retry-after
    asset_ttl: float | None = 3600.0
    poll_after_ms: int | None = None  # sent as openai-poll-after-ms when set
    latency: float = 0.0
    render_fps: int = 8


@dataclass
class Fault:
    """One scripted answer for the next request of ``kind``."""

    status: int
    code: str | None = None
    message: str = "scripted fault"
    type: str = "invalid_request_error"
    kind: Literal["submit", "query", "list", "content", "any"] = "submit"
    retry_after: float | None = None
    after_create: bool = False  # create the video, then answer with the fault (ambiguous submit)
    delay: float = 0.0  # sleep before answering (client timeouts)


class OpenAIVideosSandbox(ProviderSandbox[OpenAIVideosSandboxConfig]):
    API_PREFIX = "/v1"  # what the openai SDK includes in ``base_url``

    def __init__(
        self, config: OpenAIVideosSandboxConfig | None = None, *, cdn: LoopbackServer | None = None
    ) -> None:
        # With a CDN, content answers 302 to a file there (a "foreign" host).
        super().__init__("openai-videos-sandbox", config or OpenAIVideosSandboxConfig(), cdn=cdn)
        self.submits: Counter[str] = Counter()  # create/remix POSTs received, per prompt
        self._submit_times: deque[float] = deque()
        self.book = VideoBook(book_config(VideoBookConfig, self.config), self.workdir)
        self.add_route("POST", "/v1/videos", self._create)
        self.add_route("GET", "/v1/videos", self._list)
        self.add_route("GET", "/v1/videos/{vid}", self._retrieve)
        self.add_route("DELETE", "/v1/videos/{vid}", self._delete)
        self.add_route("GET", "/v1/videos/{vid}/content", self._content)
        self.add_route("POST", "/v1/videos/{vid}/remix", self._remix)

    @property
    def submit_count(self) -> int:
        with self.lock:
            return sum(self.submits.values())

    def expire_assets(self) -> None:
        with self.lock:
            for video in self.book.videos.values():
                video.expires_at = 1.0
        self.expire_files()

    # -- wire helpers ----------------------------------------------------------------------------

    def _video(self, video: Video) -> SandboxResponse:
        headers = {}
        if self.config.poll_after_ms is not None and video.status in ("queued", "in_progress"):
            headers["openai-poll-after-ms"] = str(self.config.poll_after_ms)
        return SandboxResponse.json(200, video.as_object(), headers)

    def _fault_response(self, fault: Fault) -> SandboxResponse:
        headers = fault_headers(fault, "retry-after")
        return answer(error(fault.status, fault.message, type=fault.type, code=fault.code), headers)

    def _auth(self, req: SandboxRequest) -> SandboxResponse | None:
        problem = check_auth(req.headers.get("authorization"), self.config.api_key)
        return None if problem is None else answer(problem)

    def _rate_limited(self) -> SandboxResponse | None:
        limit = self.config.submits_per_minute
        wait = None if limit is None else minute_wait(self._submit_times, limit, self.lock)
        if wait is None:
            return None
        msg = f"Rate limit reached for videos: {limit} per minute."
        rejection = error(429, msg, type="requests", code="rate_limit_exceeded")
        return answer(rejection, {"retry-after": f"{wait:.3f}"})

    def _blocked(self, prompt: str) -> SandboxResponse | None:
        if mentions(prompt, self.config.blocked_words):
            msg = "Your request was blocked by our moderation system."
            return answer(error(400, msg, code="moderation_blocked"))
        return None

    # -- endpoints -------------------------------------------------------------------------------

    def _admit_prompt(self, prompt: str) -> tuple[Fault | None, SandboxResponse | None]:
        """Counts the submit, then the scripted fault, rate limit and moderation, in that order."""
        with self.lock:
            self.submits[prompt] += 1
        fault = self._take_fault("submit")
        if fault is not None and not fault.after_create:
            return None, self._fault_response(fault)
        return fault, self._rate_limited() or self._blocked(prompt)

    def _create(self, req: SandboxRequest) -> SandboxResponse:
        if denied := self._auth(req):
            return denied
        form = read_form(req.headers.get("content-type", ""), req.body)
        if isinstance(form, tuple):
            return answer(form)
        fault, refused = self._admit_prompt(str(form.get("prompt", "")))
        if refused is not None:
            return refused
        if problem := check_create(form):
            return answer(problem)
        video = self.book.create(form)
        if fault is not None:
            return self._fault_response(fault)
        return self._video(video)

    def _remix(self, req: SandboxRequest) -> SandboxResponse:
        if denied := self._auth(req):
            return denied
        form = read_form(req.headers.get("content-type", "application/json"), req.body)
        if isinstance(form, tuple):
            return answer(form)
        prompt = form.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            return answer(error(400, "Missing required parameter: 'prompt'.", param="prompt"))
        fault, refused = self._admit_prompt(prompt)
        if refused is not None:
            return refused
        source = self.book.get(req.params["vid"])
        if source is None:
            return answer(error(404, f"Video {req.params['vid']!r} not found."))
        if source.status != "completed":
            return answer(error(400, "Only completed videos can be remixed."))
        video = self.book.create(
            {
                "model": source.model,
                "prompt": prompt,
                "seconds": source.seconds,
                "size": source.size,
            },
            remixed_from=source,
        )
        if fault is not None:
            return self._fault_response(fault)
        return self._video(video)

    def _retrieve(self, req: SandboxRequest) -> SandboxResponse:
        if refused := self._gate(req, "query"):
            return refused
        video = self.book.get(req.params["vid"])
        if video is None:
            return answer(error(404, f"Video {req.params['vid']!r} not found."))
        return self._video(video)

    def _delete(self, req: SandboxRequest) -> SandboxResponse:
        if denied := self._auth(req):
            return denied
        video = self.book.delete(req.params["vid"])
        if video is None:
            return answer(error(404, f"Video {req.params['vid']!r} not found."))
        return SandboxResponse.json(
            200, {"id": video.id, "object": "video.deleted", "deleted": True}
        )

    def _list(self, req: SandboxRequest) -> SandboxResponse:
        if refused := self._gate(req, "list"):
            return refused
        try:
            limit = min(100, max(1, int(req.query.get("limit", 20))))
        except ValueError:
            return answer(error(400, "limit must be an integer", param="limit"))
        order = req.query.get("order", "desc")
        if order not in ("asc", "desc"):
            return answer(error(400, "order must be asc or desc", param="order"))
        videos = sorted(self.book.listing(), key=lambda v: (v.created_at, v.id))
        if order == "desc":
            videos.reverse()
        after = req.query.get("after")
        if after:
            ids = [v.id for v in videos]
            videos = videos[ids.index(after) + 1 :] if after in ids else []
        page = videos[:limit]
        body = {
            "object": "list",
            "data": [v.as_object() for v in page],
            "first_id": page[0].id if page else None,
            "last_id": page[-1].id if page else None,
            "has_more": len(videos) > limit,
        }
        return SandboxResponse.json(200, body)

    def _content(self, req: SandboxRequest) -> SandboxResponse:
        if refused := self._gate(req, "content"):
            return refused
        variant = req.query.get("variant", "video")
        if variant not in VARIANTS:
            return answer(error(400, f"Invalid variant {variant!r}.", param="variant"))
        video = self.book.get(req.params["vid"])
        if video is None:
            return answer(error(404, f"Video {req.params['vid']!r} not found."))
        if video.status != "completed" or video.output is None:
            return answer(error(404, f"Video is {video.status}; no content yet."))
        if video.expires_at is not None and time.time() >= video.expires_at:
            return answer(error(404, "Video assets have expired."))
        if variant != "video":
            return SandboxResponse(
                200, self.book.still(video, variant), {"Content-Type": VARIANTS[variant]}
            )
        if self.cdn is not None:
            ttl = None if video.expires_at is None else video.expires_at - time.time()
            return SandboxResponse(302, b"", {"Location": self.cdn.publish(video.output, ttl=ttl)})
        return SandboxResponse(200, video.output.read_bytes(), {"Content-Type": "video/mp4"})
