"""A loopback Kling model-path API (research §3.5; vendor pages in aself101/kling-api docs/api):
``POST /text-to-video/{model}`` and ``POST /image-to-video/{model}`` with a contents/settings/
options body, ``GET /tasks?task_ids=`` / ``?external_task_ids=`` (at most 20 ids, unknown ids
simply absent) and the cursor listing ``POST /tasks``; API-key auth only (a JWT gets 1002),
states ``submitted → processing → succeeded | failed``, the charge in ``billing[]`` (units from a
resource pack, or cash from the balance), moderation at submit (1301) and late (a failed task),
the concurrency limit (1303), a duplicate ``external_task_id`` refused (1201) and output URLs
that expire.

    with KlingModelPathSandbox(KlingModelPathSandboxConfig(processing_seconds=0.2)) as kling:
        adapter = KlingModelPathAdapter(base_url=kling.base_url, credentials=kling.credentials())

Faults are the v1 sandbox's :class:`~reelforge.sandbox.kling.Fault` (``kind`` "submit" for
creates, "query" for both task queries). The body checks are stricter than the vendor's pages
say in one way: a field the pages do not list is refused (1201), so an adapter that sends a v1
field (``model_name``, ``mode``) fails here rather than being silently ignored.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from ..providers.kling.auth import KlingCredentials
from ._base import ProviderSandbox, mentions, save_frame
from .kling import Fault, envelope, fault_envelope
from .kling_tasks import LATE_REJECTION, holding_slots, step
from .render import render_clip
from .server import LoopbackServer, SandboxRequest, SandboxResponse

Rejection = tuple[int, int, str]
ROUTES = ("text-to-video", "image-to-video")
ASPECTS = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0}
PROMPT_LIMIT = 3072
# Kling 3.0 units per second by (resolution, native audio): the vendor's price page (2026-09).
UNITS_PER_SECOND = {
    ("720p", False): Decimal("0.6"),
    ("720p", True): Decimal("0.9"),
    ("1080p", False): Decimal("0.8"),
    ("1080p", True): Decimal("1.2"),
    ("4k", False): Decimal("3.0"),
    ("4k", True): Decimal("3.0"),
}
USD_PER_UNIT = Decimal("0.14")  # the price page's dollar figure per unit (for cash billing)
# Path model → (durations, resolutions); the only model this sandbox serves is Kling 3.0.
MODELS: dict[str, tuple[range, tuple[str, ...]]] = {
    "kling-3.0": (range(3, 16), ("720p", "1080p", "4k")),
}
FIELDS = {"text-to-video": {"prompt", "settings", "options"}}
FIELDS["image-to-video"] = {"contents", "settings", "options"}
SETTINGS = {"multi_shot", "audio", "resolution", "duration", "aspect_ratio"}
OPTIONS = {"callback_url", "external_task_id", "watermark_info"}
CONTENT_TYPES = {"prompt", "first_frame", "last_frame", "element"}


@dataclass
class KlingModelPathSandboxConfig:
    # One Kling account key works on both APIs: the same default as the v1 sandbox, so the
    # session can point both adapters at their sandboxes with one KLING_API_KEY.
    api_key: str = "sandbox-api-key"
    queue_seconds: float = 0.0
    processing_seconds: float = 0.0
    failure_rate: float = 0.0
    seed: int = 0
    blocked_words: tuple[str, ...] = ("forbidden",)  # rejected at submit (code 1301)
    late_blocked_words: tuple[str, ...] = ("contraband",)  # fail late, as a failed task
    concurrency_limit: int = 5
    url_ttl: float | None = 30 * 24 * 3600.0  # outputs are cleared after 30 days
    latency: float = 0.0
    render_fps: int = 8
    charge_type: Literal["unit", "cash"] = "unit"  # resource pack, or the account balance
    query_batch: int = 20  # ids per GET /tasks (the vendor's cap, seen live)


@dataclass
class PathTask:
    id: str
    route: str
    model: str
    body: dict[str, Any]
    created_at: float
    started_at: float  # when it leaves submitted
    due_at: float  # when it leaves processing
    status: str = "submitted"
    message: str = ""
    outputs: list[dict[str, Any]] = field(default_factory=list)
    billing: list[dict[str, Any]] = field(default_factory=list)
    units: Decimal | None = None
    updated_at: float = 0.0

    @property
    def external_id(self) -> str:
        return str((self.body.get("options") or {}).get("external_task_id") or "")

    def as_item(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "message": self.message,
            "create_time": int(self.created_at * 1000),
            "update_time": int((self.updated_at or self.created_at) * 1000),
            "external_id": self.external_id,
            "outputs": self.outputs,
            "billing": self.billing,
        }


def _bad(message: str) -> Rejection:
    return (400, 1201, message)


def _check_image(value: Any, name: str) -> Rejection | None:
    if not isinstance(value, str) or not value:
        return _bad(f"{name}.url must be a URL or base64 string")
    if value.startswith(("http://", "https://")):
        return None
    if value.startswith("data:"):  # the v1 rule; the new pages do not say [?]
        return _bad(f"{name}.url: base64 must not carry a data: prefix")
    try:
        base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        return _bad(f"{name}.url is neither a URL nor valid base64")
    return None


def _check_contents(contents: Any) -> Rejection | None:
    if not isinstance(contents, list) or not contents:
        return _bad("contents cannot be empty")
    kinds: Counter[str] = Counter()
    ids: set[str] = set()
    for item in contents:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind not in CONTENT_TYPES:
            return _bad(f"contents[].type {kind!r} is not one of {sorted(CONTENT_TYPES)}")
        kinds[kind] += 1
        if kind == "prompt":
            text = item.get("text")
            if not isinstance(text, str) or not text or len(text) > PROMPT_LIMIT:
                return _bad(f"prompt text must be 1-{PROMPT_LIMIT} characters")
        elif kind == "element":
            eid, ident = item.get("element_id"), item.get("id")
            if not isinstance(eid, str | int) or not eid or not isinstance(ident, str) or not ident:
                return _bad("an element needs element_id and id")
            if ident in ids:
                return _bad(f"element id {ident!r} is duplicated")
            ids.add(ident)
        elif problem := _check_image(item.get("url"), kind):
            return problem
    if kinds["first_frame"] != 1:
        return _bad("exactly one first_frame is required (last-frame-only is not supported)")
    if kinds["last_frame"] > 1 or kinds["prompt"] > 1:
        return _bad("at most one prompt and one last_frame")
    if kinds["element"] > 3:
        return _bad("up to 3 elements can be specified")
    return None


def check_body(route: str, model: str, body: Any) -> Rejection | None:
    """The create body for ``route`` on the path ``model`` (already known to exist)."""
    if not isinstance(body, dict):
        return (400, 1200, "request body must be a JSON object")
    if unknown := set(body) - FIELDS[route]:
        return _bad(f"unknown field(s) {sorted(unknown)} for /{route}/{model}")
    if route == "text-to-video":
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt or len(prompt) > PROMPT_LIMIT:
            return _bad(f"prompt is required, at most {PROMPT_LIMIT} characters")
    elif problem := _check_contents(body.get("contents")):
        return problem
    settings = body.get("settings", {})
    if not isinstance(settings, dict):
        return _bad("settings must be an object")
    allowed = SETTINGS - ({"aspect_ratio"} if route == "image-to-video" else set())
    if unknown := set(settings) - allowed:
        return _bad(f"unknown settings {sorted(unknown)} for /{route}/{model}")
    durations, resolutions = MODELS[model]
    duration = settings.get("duration", 5)
    if type(duration) is not int or duration not in durations:  # an int, not "5"
        return _bad(f"settings.duration must be an integer {durations.start}-{durations[-1]}")
    if settings.get("resolution", "720p") not in resolutions:
        return _bad(f"settings.resolution must be one of {', '.join(resolutions)}")
    if settings.get("audio", "off") not in ("native", "off"):
        return _bad("settings.audio must be native or off")
    if not isinstance(settings.get("multi_shot", True), bool):
        return _bad("settings.multi_shot must be a boolean")
    if settings.get("aspect_ratio", "16:9") not in ASPECTS:
        return _bad("settings.aspect_ratio must be 16:9, 9:16 or 1:1")
    options = body.get("options", {})
    if not isinstance(options, dict) or set(options) - OPTIONS:
        return _bad(f"options takes only {sorted(OPTIONS)}")
    ext = options.get("external_task_id")
    if ext is not None and not isinstance(ext, str):
        return _bad("options.external_task_id must be a string")
    mark = options.get("watermark_info")
    if mark is not None and (not isinstance(mark, dict) or set(mark) != {"enabled"}):
        return _bad("options.watermark_info must be {enabled: boolean}")
    return None


def prompt_text(body: dict[str, Any]) -> str:
    if "prompt" in body:
        return str(body["prompt"])
    return " ".join(str(c.get("text", "")) for c in body["contents"] if c.get("type") == "prompt")


def frame(body: dict[str, Any], kind: str) -> str | None:
    for item in body.get("contents") or []:
        if item.get("type") == kind:
            return str(item.get("url"))
    return None


class KlingModelPathSandbox(ProviderSandbox[KlingModelPathSandboxConfig]):
    def __init__(
        self,
        config: KlingModelPathSandboxConfig | None = None,
        *,
        cdn: LoopbackServer | None = None,
    ) -> None:
        super().__init__(
            "kling-model-path-sandbox", config or KlingModelPathSandboxConfig(), cdn=cdn
        )
        self.submits: Counter[str] = Counter()  # creates received per external_task_id
        self.tasks: dict[str, PathTask] = {}
        self.rng = random.Random(self.config.seed)
        for route in ROUTES:
            self.add_route("POST", f"/{route}/{{model}}", self._submit)
        self.add_route("GET", "/tasks", self._query)
        self.add_route("POST", "/tasks", self._list)

    # -- test helpers ----------------------------------------------------------------------------

    def credentials(self) -> KlingCredentials:
        return KlingCredentials(api_key=self.config.api_key)

    @property
    def units_charged(self) -> Decimal:
        with self.lock:
            return sum((t.units or Decimal(0) for t in self.tasks.values()), Decimal(0))

    # -- wire ------------------------------------------------------------------------------------

    def _fault_response(self, fault: Fault) -> SandboxResponse:
        return fault_envelope(fault)

    def _auth(self, req: SandboxRequest) -> SandboxResponse | None:
        header = req.headers.get("authorization")
        if not header:
            return envelope(401, 1001, "Authorization is empty")
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or not token:
            return envelope(401, 1002, "Authorization is invalid")
        if token.count(".") == 2:  # an AK/SK JWT: the model-path API takes API keys only
            return envelope(401, 1002, "The current API does not support AK/SK")
        if not hmac.compare_digest(token, self.config.api_key):
            return envelope(401, 1002, "Authorization is invalid")
        return None

    def _submit(self, req: SandboxRequest) -> SandboxResponse:
        if denied := self._auth(req):
            return denied
        route, model = req.path.split("/")[1], req.params["model"]
        try:
            body = req.json()
        except ValueError:
            return envelope(400, 1200, "request body is not JSON")
        options = body.get("options") if isinstance(body, dict) else None
        ext = options.get("external_task_id") if isinstance(options, dict) else None
        if ext:
            with self.lock:
                self.submits[str(ext)] += 1
        fault = self._take_fault("submit")
        if fault is not None and not fault.after_create:
            return self._fault_response(fault)
        if model not in MODELS:
            return envelope(404, 1203, f"model {model!r} not found")
        if problem := check_body(route, model, body):
            return envelope(*problem)
        if mentions(prompt_text(body), self.config.blocked_words):
            return envelope(400, 1301, "Content security policy triggered")
        with self.lock:  # check-and-create atomically, or two racing submits both get a slot
            if ext and any(t.external_id == ext for t in self.tasks.values()):
                return envelope(400, 1201, f"external_task_id {ext!r} already exists")
            if holding_slots(self.tasks.values(), time.time()) >= self.config.concurrency_limit:
                return envelope(429, 1303, "parallel task over resource pack limit")
            task = self._create(route, model, body)
        if fault is not None:
            return self._fault_response(fault)
        item = task.as_item()
        data = {k: item[k] for k in ("id", "status", "create_time", "update_time", "external_id")}
        return envelope(200, 0, "SUCCEED", data)

    def _query(self, req: SandboxRequest) -> SandboxResponse:
        if refused := self._gate(req, "query"):
            return refused
        by_id, by_ext = req.query.get("task_ids"), req.query.get("external_task_ids")
        if bool(by_id) == bool(by_ext):
            return envelope(400, 1201, "use one of task_ids or external_task_ids")
        wanted = [v for v in str(by_id or by_ext).split(",") if v]
        if len(wanted) > self.config.query_batch:
            return envelope(400, 1201, f"at most {self.config.query_batch} ids a query")
        with self.lock:
            found = [
                t
                for ident in wanted
                for t in self.tasks.values()
                if ident == (t.id if by_id else t.external_id)
            ]
        return envelope(200, 0, "SUCCEED", [self._refresh(t).as_item() for t in found])

    def _list(self, req: SandboxRequest) -> SandboxResponse:
        """The cursor listing, newest first. The cursor carries the offset and the first page's
        window (opaque to clients: a cursor overrides start_time/end_time)."""
        if refused := self._gate(req, "query"):
            return refused
        try:
            body = req.json() or {}
            limit = int(body.get("limit", 100))
            end = int(body.get("end_time") or time.time() * 1000)  # a string or a number
            start = int(body.get("start_time") or end - 30 * 24 * 3600 * 1000)
            offset = 0
            if body.get("cursor"):
                offset, start, end = (int(v) for v in str(body["cursor"]).split(":"))
        except (ValueError, TypeError, AttributeError):
            return envelope(400, 1201, "start_time, end_time, cursor and limit are invalid")
        if not 1 <= limit <= 500 or start >= end:
            return envelope(400, 1201, "limit is 1-500; start_time must precede end_time")
        filters = {f.get("key"): set(f.get("values", [])) for f in body.get("filters") or []}
        with self.lock:
            tasks = [self._refresh(t) for t in self.tasks.values()]
        chosen = sorted(
            (
                t
                for t in tasks
                if start <= t.created_at * 1000 <= end
                and t.status in filters.get("status", {t.status})
                and "video" in filters.get("product_type", {"video"})
            ),
            key=lambda t: t.created_at,
            reverse=True,
        )
        page = chosen[offset : offset + limit]
        more = offset + limit < len(chosen)
        data = {
            "result": [t.as_item() for t in page],
            "count": len(page),
            "next_cursor": f"{offset + limit}:{start}:{end}" if more else "",
            "has_more": more,
        }
        return envelope(200, 0, "SUCCEED", data)

    # -- tasks -----------------------------------------------------------------------------------

    def _create(self, route: str, model: str, body: dict[str, Any]) -> PathTask:
        now = time.time()
        started = now + self.config.queue_seconds
        task = PathTask(
            id=str(900_000_000_000_000_000 + self.rng.randrange(10**17)),  # Kling: 18 digits
            route=route,
            model=model,
            body=body,
            created_at=now,
            started_at=started,
            due_at=started + self.config.processing_seconds,
        )
        self.tasks[task.id] = task
        return task

    def _refresh(self, task: PathTask) -> PathTask:
        now = time.time()
        with self.lock:  # one thread finishes a task; others wait and see the result
            return step(task, now, self._finish)

    def _finish(self, task: PathTask) -> None:
        body, settings = task.body, task.body.get("settings") or {}
        prompt = prompt_text(body)
        task.updated_at = time.time()
        if mentions(prompt, self.config.late_blocked_words):
            task.status, task.message, task.units = "failed", LATE_REJECTION, Decimal(0)
            return
        if self.config.failure_rate and self.rng.random() < self.config.failure_rate:
            task.status, task.message = "failed", "Internal error, please try again later"
            task.units = Decimal(0)  # failed tasks are not charged
            return
        seconds = int(settings.get("duration", 5))
        resolution = str(settings.get("resolution", "720p"))
        first = self._frame(task, frame(body, "first_frame"), "first")
        out = self.workdir / f"{task.id}.mp4"
        render_clip(
            out,
            task_id=task.id,
            model=task.model,
            mode=resolution,
            prompt=prompt,
            seconds=seconds,
            fps=self.config.render_fps,
            aspect=self._aspect(settings, first),
            first_frame=first,
            last_frame=self._frame(task, frame(body, "last_frame"), "last"),
            audio=settings.get("audio") == "native",
        )
        url = self._publish(out)
        marked = bool(((body.get("options") or {}).get("watermark_info") or {}).get("enabled"))
        task.outputs = [
            {
                "type": "video",
                "id": f"v{task.id}",
                "url": url,
                "watermark_url": url if marked else "",
                "duration": f"{seconds}.0",
            }
        ]
        task.units = UNITS_PER_SECOND[(resolution, settings.get("audio") == "native")] * seconds
        task.billing = [self._billing(task.units)]
        task.status = "succeeded"

    def _billing(self, units: Decimal) -> dict[str, Any]:
        if self.config.charge_type == "unit":
            return {"charge_type": "unit", "amount": str(units), "package_type": "video"}
        usd = str(units * USD_PER_UNIT)
        return {
            "charge_type": "cash",
            "cash_type": "balance",
            "amount": usd,
            "currency": "USD",
            "list_price": usd,
        }

    def _aspect(self, settings: dict[str, Any], first: Path | None) -> str:
        """Text-to-video: the asked ratio; image-to-video: the first frame's (nearest)."""
        if first is None:
            return str(settings.get("aspect_ratio", "16:9"))
        from PIL import Image

        with Image.open(first) as image:
            ratio = image.width / image.height
        return min(ASPECTS, key=lambda k: abs(math.log(ASPECTS[k] / ratio)))

    def _frame(self, task: PathTask, value: str | None, key: str) -> Path | None:
        """Decode a base64 frame for previz; URL frames are not fetched (no network)."""
        if not value or value.startswith(("http://", "https://")):
            return None
        return save_frame(base64.b64decode(value), self.workdir / f"{task.id}-{key}.png")
