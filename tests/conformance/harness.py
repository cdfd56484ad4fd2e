"""The conformance harness: which routes are tested, the sandboxes they run against, and the
small vocabulary the per-provider profiles (``profiles/``) are written in.

Every catalogue route with an adapter is a conformance route (``ROUTES``), so a new route joins
the suite by existing. A route belongs to the profile that lists its (provider, channel); the
profile names the sandbox (a key of ``reelforge.sandbox.session.SANDBOXES``), how a capability
shows on the wire, the table of injected errors, and how the family cancels, expires and
charges. Adapters are built exactly as the remote generator builds them (``ADAPTERS``, the
environment pointing them at the sandbox) and driven directly, async, over real HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import importlib
import itertools
import shutil
import ssl
import sys
import tempfile
import threading
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar

import httpx
import pytest
from PIL import Image

from reelforge.catalogue import CheckResult, Route, check, load_catalogue
from reelforge.generators.base import ElementRef, ShotRequest
from reelforge.generators.remote import ADAPTERS, RemoteGenerator, has_adapter, idempotency_key
from reelforge.media.probe import MediaInfo, probe
from reelforge.providers import (
    AmbiguousSubmit,
    InvalidRequest,
    ModerationRejected,
    ProviderError,
    RateLimited,
    Succeeded,
    TaskHandle,
    TaskState,
    WireRequest,
)
from reelforge.sandbox.server import LoopbackServer
from reelforge.sandbox.session import OTHER_KEYS, SANDBOXES

T = TypeVar("T")
POLL = 0.01  # seconds between polls: the sandboxes answer at once
# Sandboxes for most checks: no queue, no processing time, two frames a second of previz.
FAST: dict[str, float] = {"queue_seconds": 0.0, "processing_seconds": 0.0, "render_fps": 2}

_TLS = ssl.create_default_context()

ROUTES: list[Route] = [
    r for r in load_catalogue().routes if has_adapter(r.provider, r.channel, r.model)
]
ROUTE_IDS: list[str] = [r.id for r in ROUTES]
ROUTE_BY_ID: dict[str, Route] = {r.id: r for r in ROUTES}


# A catalogue shape that makes a claimed reference-images capability unusable (no t2v, and
# references exclude frames): profiles list the routes that have it as gaps.
NO_REFS_WITHOUT_T2V = (
    "catalogue contradiction: the route has no text-to-video, so check() wants a first frame, "
    "while its coupling makes references exclude frames: no shot can carry references"
)


def _always(route: Route) -> bool:
    return True


def _noop(target: Any) -> None:
    return None


# -- what a profile says -----------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorRow:
    """One injected wire error and the exception the adapter must raise for it.

    ``fault`` is the sandbox's own fault object (its ``kind`` says which request takes it);
    ``at`` is where the test expects the error: at submit, or at the first poll after a clean
    submit. ``expect=None`` means the adapter reconciles the fault itself and submit returns a
    handle to the task that exists. ``once`` rows test adapter-wide behaviour (a client
    timeout) and run on the family's first route only, to keep the suite fast."""

    name: str
    fault: Any
    expect: type[ProviderError] | None
    at: Literal["submit", "poll"] = "submit"
    retry_after: float | None = None
    stage: Literal["input", "output"] | None = None
    timeout: float | None = None
    only: Callable[[Route], bool] = _always
    once: bool = False

    # The rows every family has, each family with its own fault:

    @classmethod
    def after_create(
        cls, label: str, fault: Any, expect: type[ProviderError] | None = AmbiguousSubmit
    ) -> ErrorRow:
        """The ambiguous submit: the task is created, then ``fault`` answers the POST."""
        return cls(f"{label} after create", replace(fault, after_create=True), expect)

    @classmethod
    def submit_timeout(
        cls, fault: Any, expect: type[ProviderError] | None = AmbiguousSubmit
    ) -> ErrorRow:
        """The client timeout on a submit: ``fault`` (any status) answers 0.8 s after the task
        is created, past the adapter's 0.3 s timeout; adapter-wide, so once per family."""
        late = replace(fault, after_create=True, delay=0.8)
        return cls("submit timeout", late, expect, timeout=0.3, once=True)

    @classmethod
    def rate_limited(
        cls,
        name: str,
        fault: Any,
        *,
        at: Literal["submit", "poll"] = "submit",
        only: Callable[[Route], bool] = _always,
    ) -> ErrorRow:
        """A rate limit: RateLimited, carrying the delay the fault asks for (``retry_after``, or
        a Google ``retry_delay``) as its ``retry_after``, or none."""
        seconds = getattr(fault, "retry_after", None)
        if seconds is None:
            seconds = getattr(fault, "retry_delay", None)
        retry = None if seconds is None else float(seconds)
        return cls(name, fault, RateLimited, at=at, retry_after=retry, only=only)


@dataclass(frozen=True)
class Outcome:
    """A task that runs and ends badly: a prompt word the sandbox reacts to, or a mutation of
    the sandbox's task right after submit. The adapter must report a Failed state whose error
    is ``expect`` (with ``stage`` for moderation), carrying provider, model and task id."""

    name: str
    expect: type[ProviderError]
    stage: Literal["input", "output"] | None = None
    prompt: str = ""
    mutate: Callable[[Any, TaskHandle], None] | None = None
    only: Callable[[Route], bool] = _always

    @classmethod
    def late_moderation(cls, name: str) -> Outcome:
        """A prompt with the sandboxes' shared late-blocked word: the output is moderated away."""
        return cls(name, ModerationRejected, "output", prompt="a contraband crate")


Evidence = Callable[[WireRequest, str], Any]


@dataclass(frozen=True)
class Profile:
    """How one provider family is checked. ``evidence(wire, what)`` reads the wire body:
    ``first_frame``/``last_frame`` → bool, ``reference_images`` → int, ``audio`` → bool or None
    (no audio field: the provider decides), ``seed`` → the seed sent or None.

    ``gaps`` are known, documented shortfalls, keyed ``"<route glob>:<check>"`` with the
    reason: the test then asserts the shortfall is still surfaced (refused, rejected before
    spending, or dropped with a warning) and fails once it is fixed, so the entry is removed."""

    name: str
    sandboxes: Mapping[tuple[str, str], str]
    evidence: Evidence
    errors: tuple[ErrorRow, ...]
    outcomes: tuple[Outcome, ...]
    gaps: Mapping[str, str] = field(default_factory=dict)
    # cancel (only read when the adapter's can_cancel is true)
    cancel_phase: Literal["queued", "running"] = "running"
    cancel_note: str = ""
    # expiry
    expire_outputs: Callable[[Any], None] = lambda sbx: _expire_all(sbx)
    stale_fresh_urls: Callable[[Any], contextlib.AbstractContextManager[Any]] | None = None
    drop_task: Callable[[Any, TaskHandle], None] | None = None
    drops: Callable[[Route], bool] = _always
    no_drop_reason: str = ""
    # download
    use_cdn: Callable[[Any, LoopbackServer | None], None] = lambda sbx, cdn: _set_cdn(sbx, cdn)
    foreign_outputs_only: bool = False
    inline_outputs: str = ""  # why outputs come inside the poll answer (no URL to fetch)
    # charge
    reports_charge: Callable[[Route], bool] = _always
    charge_note: str = ""
    charge_tolerance: Decimal = Decimal(0)
    # adapter and request tuning
    tune: Callable[[Any], None] = _noop
    frame_options: Callable[[Bench, ShotRequest], dict[str, Any]] | None = None

    def gap(self, route: Route, what: str) -> str | None:
        for key, reason in self.gaps.items():
            pattern, _, name = key.rpartition(":")
            if name == what and fnmatch.fnmatchcase(route.id, pattern or "*"):
                return reason
        return None


# -- the pieces most profiles share ------------------------------------------------------------


def never(route: Route) -> bool:
    """For ``reports_charge`` / ``drops``: no route of the family does it."""
    return False


def zero_url_ttl(sbx: Any) -> contextlib.AbstractContextManager[None]:
    """For ``stale_fresh_urls``: output URLs that expire at once (the sandbox signs fresh ones
    on every read)."""
    return override(sbx.config, url_ttl=0.0)


Paths = str | tuple[str, ...] | None  # a wire path (see find), alternatives, or none


def wire_paths(
    *,
    first_frame: Paths,
    last_frame: Paths = None,
    reference_images: Paths = None,
    audio: str | None = None,
    seed: str | None = None,
) -> Evidence:
    """Evidence read at fixed paths of the wire body: a frame is there when any of its paths
    holds a value, references are counted, audio and seed are the values sent (None: the
    family has no such field)."""

    def found(body: Any, paths: Paths) -> list[Any]:
        alternatives = (paths,) if isinstance(paths, str) else paths or ()
        return [v for path in alternatives for v in find(body, path)]

    def evidence(wire: WireRequest, what: str) -> Any:
        if what in ("first_frame", "last_frame"):
            return bool(found(wire.body, first_frame if what == "first_frame" else last_frame))
        if what == "reference_images":
            return len(found(wire.body, reference_images))
        value = found(wire.body, audio if what == "audio" else seed)
        return value[0] if value else None

    return evidence


def _expire_all(sbx: Any) -> None:
    sbx.expire_files()
    cdn = getattr(sbx, "cdn", None)
    if cdn is not None:
        cdn.expire_files()


def _set_cdn(sbx: Any, cdn: LoopbackServer | None) -> None:
    sbx.cdn = cdn


@contextlib.contextmanager
def override(target: Any, **values: Any) -> Iterator[None]:
    """Set attributes for the duration of a block (a sandbox's config knobs)."""
    saved = {name: getattr(target, name) for name in values}
    for name, value in values.items():
        setattr(target, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(target, name, value)


def find(obj: Any, path: str) -> list[Any]:
    """Values at a dotted path: ``instances.0.image``, ``content[role=first_frame]`` (list items
    whose ``role`` is ``first_frame``), ``input.*``. Missing parts give an empty list."""
    found = [obj]
    for part in path.split("."):
        key, _, cond = part.partition("[")
        step: list[Any] = []
        for item in found:
            if key == "*" and isinstance(item, dict | list):
                step.extend(item.values() if isinstance(item, dict) else item)
            elif isinstance(item, dict) and key in item:
                step.append(item[key])
            elif isinstance(item, list) and key.isdigit() and int(key) < len(item):
                step.append(item[int(key)])
        if cond:
            name, _, want = cond.rstrip("]").partition("=")
            step = [
                x
                for value in step
                for x in (value if isinstance(value, list) else [value])
                if isinstance(x, dict) and str(x.get(name)) == want
            ]
        found = [v for v in step if v not in (None, "", [], {})]
    return found


# -- which profile, which sandbox -----------------------------------------------------------------


def profile_for(route: Route) -> Profile:
    """The route's profile; a route without one fails, naming what to add."""
    from .profiles import PROFILES

    for profile in PROFILES:
        if (route.provider, route.channel) in profile.sandboxes:
            return profile
    module, cls, _ = ADAPTERS[(route.provider, route.channel)]
    pytest.fail(
        f"{route.id}: no conformance profile for provider {route.provider!r} channel "
        f"{route.channel!r} ({module}.{cls}). Add one in tests/conformance/profiles/ (sandbox, "
        "wire evidence, error table, cancel/expiry/charge facts) and register it in "
        "profiles/__init__.py PROFILES",
        pytrace=False,
    )


@contextlib.contextmanager
def reused_clips(workdir: Path) -> Iterator[None]:
    """Sandboxes render an output clip with previz for every finished task (~20 ms of encoding).
    The conformance checks need a real clip of the right length and shape, not new pixels: the
    first clip of each (seconds, fps, aspect) is rendered, the rest are copies of it."""
    import reelforge.sandbox.render as render_module

    original = render_module.render_clip
    made: dict[tuple[int, int, str], Path] = {}
    lock = threading.Lock()

    def render_clip(out: Path, *, seconds: int, fps: int, aspect: str, **kw: Any) -> Path:
        key = (seconds, fps, aspect if aspect in render_module.SIZES else "16:9")
        with lock:
            if key not in made:
                made[key] = original(
                    workdir / f"clip-{len(made)}.mp4", seconds=seconds, fps=fps, aspect=aspect, **kw
                )
        shutil.copyfile(made[key], out)
        return out

    patched = [
        m
        for name, m in sorted(sys.modules.items())
        if name.startswith("reelforge.sandbox.") and getattr(m, "render_clip", None) is original
    ]
    for module in patched:
        module.render_clip = render_clip  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module in patched:
            module.render_clip = original  # type: ignore[attr-defined]


class Pool:
    """The sandboxes of one test module, each started on first use, and one foreign "CDN"."""

    def __init__(self, **config: float) -> None:
        self.config = {**FAST, **config}
        self.stack = ExitStack()
        self.running: dict[str, Any] = {}
        self.cdn = self.stack.enter_context(LoopbackServer("conformance-cdn"))
        clips = Path(self.stack.enter_context(tempfile.TemporaryDirectory(prefix="rf-clips-")))
        self.stack.enter_context(reused_clips(clips))

    def sandbox(self, key: str) -> Any:
        if key not in self.running:
            if key not in SANDBOXES:
                pytest.fail(f"no sandbox {key!r} in reelforge.sandbox.session.SANDBOXES")
            sandbox_cls, config_cls, _ = SANDBOXES[key]
            self.running[key] = self.stack.enter_context(sandbox_cls(config_cls(**self.config)))
        return self.running[key]

    def close(self) -> None:
        self.stack.close()


@dataclass
class Bench:
    """One route's test bench: its profile, its sandbox (faults cleared, outputs on the
    provider's own origin) and adapters pointed at it through the environment."""

    route: Route
    profile: Profile
    sandbox: Any
    cdn: LoopbackServer
    tmp: Path

    def adapter(self, *, timeout: float = 10.0) -> Any:
        """The route's adapter as the remote generator makes it (``cls()``, reading the
        environment), on a transport sharing one TLS context (building one costs ~30 ms)."""
        module, cls, _ = ADAPTERS[(self.route.provider, self.route.channel)]
        transport = httpx.AsyncHTTPTransport(verify=_TLS)
        adapter = getattr(importlib.import_module(module), cls)(
            timeout=timeout, transport=transport
        )
        self.profile.tune(adapter)
        return adapter

    def options(self, audio: bool) -> dict[str, Any]:
        """The options the remote generator passes for this route (model, mode, sound)."""
        return RemoteGenerator(self.route.id)._options(audio)


def open_bench(route_id: str, pool: Pool, monkeypatch: pytest.MonkeyPatch, tmp: Path) -> Bench:
    route = ROUTE_BY_ID[route_id]
    profile = profile_for(route)
    key = profile.sandboxes[(route.provider, route.channel)]
    sbx = pool.sandbox(key)
    with sbx.lock:
        sbx.faults.clear()  # a fault a failed test left queued must not hit the next one
    profile.use_cdn(sbx, None)
    for name in OTHER_KEYS:
        monkeypatch.delenv(name, raising=False)
    for name, value in SANDBOXES[key][2](sbx).items():
        monkeypatch.setenv(name, value)
    return Bench(route, profile, sbx, pool.cdn, tmp)


# -- shots --------------------------------------------------------------------------------------

_takes = itertools.count(1)
COLOURS = ((200, 40, 40), (40, 40, 200), (40, 160, 60), (200, 180, 40), (120, 40, 160))


def image(tmp: Path, name: str, size: tuple[int, int] = (160, 90), colour: int = 0) -> Path:
    path = tmp / f"{name}.png"
    if not path.exists():
        Image.new("RGB", size, COLOURS[colour % len(COLOURS)]).save(path)
    return path


def shortest(route: Route) -> int:
    return route.allowed_durations()[0]


def clip(tmp: Path, seconds: float, fps: int = 4) -> Path:
    """A small source video exactly ``seconds`` long, for routes that edit one."""
    from reelforge.generators.previz.encode import encode

    path = tmp / f"source-{seconds:g}s.mp4"
    if not path.exists():
        count = round(seconds * fps)
        frames = (Image.new("RGB", (160, 90), COLOURS[i % len(COLOURS)]) for i in range(count))
        encode(frames, path, fps=fps, size=(160, 90))
    return path


def shot(
    route: Route,
    tmp: Path,
    *,
    seconds: float | None = None,
    size: tuple[int, int] = (1280, 720),
    first: bool = False,
    last: bool = False,
    refs: int = 0,
    audio: bool = False,
    seed: int = 0,
    prompt: str = "a lighthouse at dusk, waves below",
    video: bool | None = None,
) -> ShotRequest:
    """A shot for ``route``; every shot is a new take (own id and prompt), so no provider
    reconciles it with an earlier one. ``video``: a source video as long as the shot; by
    default only for routes that can do nothing but edit one."""
    take = next(_takes)
    if video is None:
        video = route.capabilities.edit_only
    secs = shortest(route) if seconds is None else seconds
    shape = (160, round(160 * size[1] / size[0])) if size[0] >= size[1] else (90, 160)
    references = tuple(image(tmp, f"ref{i}", colour=i) for i in range(refs))
    return ShotRequest(
        shot_id=f"conformance-{take}",
        prompt=f"{prompt} (take {take})",
        frames=round(secs * 24),
        fps=24,
        width=size[0],
        height=size[1],
        elements=(ElementRef("hero", "the keeper", references),) if refs else (),
        sound="waves crashing on rocks" if audio else "",
        first_frame=image(tmp, f"first-{shape[0]}x{shape[1]}", shape, 0) if first else None,
        last_frame=image(tmp, f"last-{shape[0]}x{shape[1]}", shape, 1) if last else None,
        seed=seed,
        model=route.id,
        source_video=clip(tmp, secs) if video else None,
    )


# -- runs ---------------------------------------------------------------------------------------


@dataclass
class Run:
    """What happened to one shot: the catalogue check and, when it passed, the wire request,
    the task and the downloaded clip (or the error raised before anything was sent)."""

    request: ShotRequest
    check: CheckResult
    wire: WireRequest | None = None
    rejected: InvalidRequest | None = None  # build_request refused it: nothing was sent
    handle: TaskHandle | None = None
    state: TaskState | None = None
    clip: MediaInfo | None = None

    @property
    def warned(self) -> str:
        return " | ".join(self.wire.warnings) if self.wire else ""


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def render(
    bench: Bench,
    request: ShotRequest,
    *,
    download: bool = True,
    options: Mapping[str, Any] | None = None,
) -> Run:
    """Check, build, submit, wait and (on success) download and probe, as a render does."""
    result = check(bench.route, request)
    out = Run(request, result)
    if not result.ok or result.settings is None:
        return out
    opts = {**bench.options(result.settings.audio), **(options or {})}
    if bench.profile.frame_options is not None:
        opts.update(bench.profile.frame_options(bench, request))
    async with bench.adapter() as adapter:
        try:
            out.wire = adapter.build_request(
                request, opts, idempotency_key=idempotency_key(request)
            )
        except InvalidRequest as exc:
            out.rejected = exc
            return out
        out.handle = await adapter.submit(out.wire)
        out.state = await adapter.wait(out.handle, interval=POLL, timeout=30)
        if download and isinstance(out.state, Succeeded):
            dest = bench.tmp / f"out-{request.shot_id}"
            paths = await adapter.download(out.state, dest)
            out.clip = probe(paths[0], count_frames=True)
    return out


def describe(r: Run) -> str:
    refusals = "; ".join(str(x) for x in r.check.refusals)
    state = type(r.state).__name__ if r.state else None
    error = getattr(r.state, "error", None)
    return f"refusals={refusals or None} rejected={r.rejected} state={state} error={error!r}"
