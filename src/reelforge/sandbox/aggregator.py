"""A loopback aggregator, one class for every profile in ``providers/aggregator/profiles.yaml``:
it speaks the profile's family — submit path (model in the path or the body), auth header and
scheme, status spellings, id/output/error JSON paths, error envelopes — so the generic adapter is
tested end to end over real HTTP against each aggregator's shape.

    with AggregatorSandbox("wavespeed", AggregatorSandboxConfig(processing_seconds=0.2)) as sbx:
        adapter = WaveSpeedAdapter(base_url=sbx.base_url, api_key=sbx.config.api_key)

Moderation: ``blocked_words`` in the prompt refuse the submit (HTTP 400); ``late_blocked_words``
fail the finished task (Higgsfield ``nsfw``, others ``failed`` with a message). Output URLs
expire after ``url_ttl`` (403). Faults are scripted with :meth:`inject`; ``submits`` counts
every submit POST, accepted or not. Atlas answers a failed poll as HTTP 500 with the terminal
body (``terminal_body_on_5xx``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..providers.aggregator.profiles import AggregatorProfile, get_profile, set_path
from ._base import ProviderSandbox, book_config, fault_headers, mentions
from .aggregator_tasks import INPUT_MESSAGE, LIVE, AggregatorTask, TaskBook, TaskBookConfig
from .server import Handler, LoopbackServer, SandboxRequest, SandboxResponse


@dataclass
class AggregatorSandboxConfig:
    api_key: str | None = None  # None: "sandbox-<name>-key" ("id:secret" for Key auth)
    queue_seconds: float = 0.0
    processing_seconds: float = 0.0
    blocked_words: tuple[str, ...] = ("forbidden",)  # refused at submit
    late_blocked_words: tuple[str, ...] = ("contraband",)  # refused when done
    url_ttl: float | None = -1.0  # -1: the profile's output_ttl; None: never expires
    latency: float = 0.0
    render_fps: int = 8
    credits_per_second: float = 10.0
    success_spelling: str | None = None
    fail_polls_as_5xx: bool | None = None  # None: the profile's terminal_body_on_5xx


@dataclass
class Fault:
    """One scripted answer for the next request of ``kind``."""

    status: int
    message: str = "scripted fault"
    kind: Literal["submit", "poll", "cancel", "any"] = "submit"
    after_create: bool = False  # create the task, then answer with the fault (ambiguous)
    delay: float = 0.0
    in_envelope: bool = False  # HTTP 200 carrying ``code: status`` (predictions family)
    retry_after: float | None = None


def _template(path: str, name: str) -> tuple[str, str | None]:
    """A profile path template → (route regex, query parameter carrying the id, if any)."""
    base, _, query = path.partition("?")
    qkey = query.split("=")[0] if "{id}" in query else None
    regex = re.escape(base).replace(r"\{model\}", "(?P<model>.+)").replace(r"\{id\}", name)
    return regex, qkey


class AggregatorSandbox(ProviderSandbox[AggregatorSandboxConfig]):
    def __init__(
        self,
        profile: str | AggregatorProfile,
        config: AggregatorSandboxConfig | None = None,
        *,
        cdn: LoopbackServer | None = None,
    ) -> None:
        self.profile = get_profile(profile) if isinstance(profile, str) else profile
        super().__init__(
            f"{self.profile.name}-sandbox", config or AggregatorSandboxConfig(), cdn=cdn
        )
        if self.config.api_key is None:
            key = f"sandbox-{self.profile.name}-key"
            many = len(self.profile.key_env_options[0]) > 1 or self.profile.auth_scheme == "Key"
            self.config.api_key = f"{key}-id:{key}-secret" if many else key
        self.submits = 0
        self.book = TaskBook(
            self.profile, book_config(TaskBookConfig, self.config), self._publish, self.workdir
        )
        p = self.profile
        # Poll and cancel first: a "{model}" submit pattern matches almost any path.
        poll_regex, self._poll_query = _template(p.poll_path, "(?P<id>[^/]+)")
        self._route("GET", poll_regex, self._poll)
        if p.cancel_path:
            self._route("POST", _template(p.cancel_path, "(?P<id>[^/]+)")[0], self._cancel)
        self._route("POST", _template(p.submit_path, "")[0], self._submit)

    def _route(self, method: str, regex: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(f"^{regex}$"), handler))

    # -- test helpers ----------------------------------------------------------------------------

    @property
    def api_key(self) -> str:
        return self.config.api_key or ""

    def env(self) -> dict[str, str]:
        """Environment pointing the adapter here: the base-URL override and the key."""
        names = self.profile.key_env_options[0]
        values = self.api_key.split(":", 1) if len(names) > 1 else [self.api_key]
        return {self.profile.base_url_env: self.base_url, **dict(zip(names, values, strict=True))}

    def task(self, task_id: str) -> AggregatorTask | None:
        return self.book.get(task_id)

    def _publish(self, path: Path) -> str:
        ttl = self.profile.output_ttl if self.config.url_ttl == -1.0 else self.config.url_ttl
        return (self.cdn or self).publish(path, ttl=ttl)

    # -- wire ------------------------------------------------------------------------------------

    def error(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        *,
        http_status: int | None = None,
    ) -> SandboxResponse:
        """The aggregator's error envelope: the message at its first error path, plus ``code``
        for the predictions family."""
        p = self.profile
        body: dict[str, Any] = {}
        if p.envelope_code_path:
            body[p.envelope_code_path] = status
            body["data"] = None
        set_path(body, p.error_message_paths[0], message)
        return SandboxResponse.json(http_status or status, body, headers)

    def _fault_response(self, fault: Fault) -> SandboxResponse:
        http = 200 if fault.in_envelope else None
        return self.error(fault.status, fault.message, fault_headers(fault), http_status=http)

    def _auth(self, req: SandboxRequest) -> SandboxResponse | None:
        p = self.profile
        want = f"{p.auth_scheme} {self.api_key}" if p.auth_scheme else self.api_key
        got = req.headers.get(p.auth_header.lower())
        if got is None:
            return self.error(401, "Missing credentials")
        if got != want:
            return self.error(401, "Invalid credentials")
        return None

    def _submit(self, req: SandboxRequest) -> SandboxResponse:
        refused, fault = self._admit(req)
        if refused:
            return refused
        try:
            body = req.json()
        except ValueError:
            return self.error(400, "request body is not valid JSON")
        if not isinstance(body, dict):
            return self.error(400, "request body must be a JSON object")
        p = self.profile
        model = req.params.get("model") or str(body.get(p.model_field or "model") or "")
        if not model:
            return self.error(422, "model is required")
        f = p.fields_for(model)
        prompt = str(body.get(f.prompt) or "")
        if not prompt and not (f.image and body.get(f.image)):
            return self.error(422, f"{f.prompt} is required")
        if mentions(prompt, self.config.blocked_words):
            return self.error(400, INPUT_MESSAGE)
        task = self.book.create(model, body)
        if fault is not None:
            return self._fault_response(fault)
        return SandboxResponse.json(200, self.book.payload(task, self.base_url))

    def _task_id(self, req: SandboxRequest) -> str:
        if self._poll_query:
            return req.query.get(self._poll_query, "")
        return req.params.get("id", "")

    def _poll(self, req: SandboxRequest) -> SandboxResponse:
        if refused := self._gate(req, "poll"):
            return refused
        task = self.book.get(self._task_id(req))
        if task is None:
            return self.error(404, "prediction not found")
        with self.lock:
            task.reads += 1
            payload = self.book.payload(task, self.base_url)
            failed = task.state not in LIVE and task.state != "succeeded"
        as_5xx = self.config.fail_polls_as_5xx
        if as_5xx is None:
            as_5xx = self.profile.terminal_body_on_5xx
        return SandboxResponse.json(500 if failed and as_5xx else 200, payload)

    def _cancel(self, req: SandboxRequest) -> SandboxResponse:
        if refused := self._gate(req, "cancel"):
            return refused
        task = self.book.get(req.params.get("id", ""))
        if task is None:
            return self.error(404, "request not found")
        with self.lock:
            if task.state != "queued":
                return self.error(400, "only queued requests can be canceled")
            task.state = "canceled"
        return SandboxResponse.json(202, {"status": "canceled"})


class NamedAggregatorSandbox(AggregatorSandbox):
    """An aggregator sandbox with its profile fixed: ``cls(config)`` like the other sandboxes."""

    profile_name = ""

    def __init__(
        self, config: AggregatorSandboxConfig | None = None, *, cdn: LoopbackServer | None = None
    ) -> None:
        super().__init__(self.profile_name, config, cdn=cdn)


class AtlasSandbox(NamedAggregatorSandbox):
    profile_name = "atlas"


class WaveSpeedSandbox(NamedAggregatorSandbox):
    profile_name = "wavespeed"


class HiggsfieldSandbox(NamedAggregatorSandbox):
    profile_name = "higgsfield"


class AimlapiSandbox(NamedAggregatorSandbox):
    profile_name = "aimlapi"


NAMED_SANDBOXES: dict[str, type[NamedAggregatorSandbox]] = {
    "atlas": AtlasSandbox,
    "wavespeed": WaveSpeedSandbox,
    "higgsfield": HiggsfieldSandbox,
    "aimlapi": AimlapiSandbox,
}
