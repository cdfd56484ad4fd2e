"""Each capability the catalogue claims for a route is exercised through the route's adapter
against its sandbox: accepted, succeeded, and visible on the wire (or a documented gap that is
still surfaced). Each capability the route lacks is refused by the catalogue check before any
HTTP call, naming the field and the models that can."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reelforge._exceptions import GeneratorError
from reelforge.catalogue import CheckResult, Route, ShotFacts, check
from reelforge.catalogue.plan import holds
from reelforge.catalogue.schema import LimitsDuration, resolution_height
from reelforge.generators.base import ShotRequest
from reelforge.generators.remote import RemoteGenerator
from reelforge.providers import Succeeded

from .harness import ROUTE_IDS, Bench, Pool, Run, describe, image, open_bench, render, run, shot

CHECKS = (
    "t2v",
    "i2v",
    "first_last_frame",
    "reference_images",
    "audio",
    "seed",
    "durations",
    "aspect_ratios",
    "resolutions",
)


# -- helpers ------------------------------------------------------------------------------------


def satisfy(route: Route, request: ShotRequest, tmp: Path) -> ShotRequest:
    """Add the first frame a route (or one of its ``requires`` couplings) needs for this shot."""
    if request.first_frame is not None:
        return request
    refusals = check(route, request).refusals
    if any(r.field == "first_frame" or "requires first_frame" in r.rule for r in refusals):
        return dataclasses.replace(request, first_frame=image(tmp, "first-160x90"))
    return request


def take(bench: Bench, **kw: Any) -> ShotRequest:
    return satisfy(bench.route, shot(bench.route, bench.tmp, **kw), bench.tmp)


def narrowed(route: Route, result: CheckResult) -> bool:
    """Refused only by the route's own requires_mode coupling: the catalogue itself narrows the
    capability to another mode of the model (e.g. Kling v2.6 sound needs pro)."""
    return bool(result.refusals) and all("requires mode" in r.rule for r in result.refusals)


def refused(bench: Bench, request: ShotRequest, field: str) -> None:
    """The check refuses ``field``, the render stops before any HTTP call, and the message
    names the field and the models that can (each of which really can)."""
    route = bench.route
    result = check(route, request)
    refusal = next((r for r in result.refusals if r.field == field), None)
    assert refusal is not None, f"{route.id}: check did not refuse {field}: {result.refusals}"
    before = len(bench.sandbox.log)
    with pytest.raises(GeneratorError) as info:
        RemoteGenerator(route.id).render(request, bench.tmp / "refused.mp4")
    assert len(bench.sandbox.log) == before, f"{route.id}: a refused shot reached the sandbox"
    text = str(info.value)
    assert refusal.message in text, f"the error does not say why: {text}"
    if refusal.alternatives:
        assert "models that can:" in text
        for alternative in refusal.alternatives[:3]:
            assert check(alternative, request).ok, f"{alternative} is named but refuses too"
    else:
        assert "no catalogued model can render this shot" in text


def succeeded(r: Run, what: str) -> None:
    assert r.rejected is None, f"{what}: rejected before sending: {r.rejected}"
    assert isinstance(r.state, Succeeded), f"{what}: {describe(r)}"
    assert r.clip is not None and r.clip.video_codec == "h264" and r.clip.frames > 0


def claimed(bench: Bench, r: Run, what: str, shown: Callable[[Run], bool]) -> None:
    """A claimed capability: it ran and shows on the wire, unless the profile documents a gap,
    which must then still be surfaced (refused, rejected before spending, or warned)."""
    route, gap = bench.route, bench.profile.gap(bench.route, what)
    if not r.check.ok:
        if narrowed(route, r.check):
            return
        # Only a gap naming the catalogue may explain the catalogue's own refusal.
        assert gap and gap.startswith("catalogue"), (
            f"{route.id} claims {what} but the check refuses it: {describe(r)}"
        )
        return
    if r.rejected is not None:
        assert gap, f"{route.id} claims {what} but the adapter rejects it: {r.rejected}"
        return
    succeeded(r, f"{route.id} {what}")
    if shown(r):
        assert not gap, f"{route.id} {what} now works: remove the profile gap ({gap})"
        return
    assert gap, f"{route.id} claims {what}, not on the wire; warnings: {r.warned or 'none'}"
    assert r.warned, f"{route.id} drops {what} silently (documented gap: {gap})"


def ev(bench: Bench, r: Run, what: str) -> Any:
    assert r.wire is not None
    return bench.profile.evidence(r.wire, what)


# -- one function per check ---------------------------------------------------------------------


async def check_t2v(bench: Bench) -> None:
    if not bench.route.capabilities.t2v:
        # A text-only shot: an edit-only route wants the video to edit, any other a frame.
        needs = "source_video" if bench.route.capabilities.edit_only else "first_frame"
        refused(bench, shot(bench.route, bench.tmp, video=False), needs)
        return
    r = await render(bench, shot(bench.route, bench.tmp))
    claimed(bench, r, "t2v", lambda r: not ev(bench, r, "first_frame"))


async def check_i2v(bench: Bench) -> None:
    if not bench.route.capabilities.i2v:
        refused(bench, shot(bench.route, bench.tmp, first=True), "first_frame")
        return
    r = await render(bench, take(bench, first=True))
    claimed(bench, r, "i2v", lambda r: bool(ev(bench, r, "first_frame")))


async def check_first_last_frame(bench: Bench) -> None:
    request = take(bench, first=True, last=True)
    if not bench.route.capabilities.first_last_frame:
        refused(bench, request, "last_frame")
        return
    r = await render(bench, request)
    both = lambda r: bool(ev(bench, r, "first_frame") and ev(bench, r, "last_frame"))  # noqa: E731
    claimed(bench, r, "first_last_frame", both)


async def check_reference_images(bench: Bench) -> None:
    most = bench.route.capabilities.reference_images_max
    refused(bench, take(bench, refs=most + 1), "reference_images")
    if most:
        r = await render(bench, take(bench, refs=most))
        claimed(bench, r, "reference_images", lambda r: ev(bench, r, "reference_images") == most)


async def check_audio(bench: Bench) -> None:
    kind = bench.route.capabilities.native_audio
    if kind == "none":
        r = await render(bench, take(bench, audio=True))
        assert any(a.field == "audio" for a in r.check.adjustments), r.check.adjustments
        assert r.check.settings is not None and not r.check.settings.audio
        succeeded(r, "audio none")
        assert ev(bench, r, "audio") is not True, "no native audio, yet audio was asked for"
        return
    if kind == "always":
        r = await render(bench, take(bench, audio=False))
        assert r.check.settings is not None and r.check.settings.audio  # billed with audio
        claimed(bench, r, "audio", lambda r: ev(bench, r, "audio") is not False)
        return
    on = await render(bench, take(bench, audio=True))
    claimed(bench, on, "audio_on", lambda r: ev(bench, r, "audio") in (True, None))
    off = await render(bench, take(bench, audio=False))
    claimed(bench, off, "audio_off", lambda r: ev(bench, r, "audio") is False)


async def check_seed(bench: Bench) -> None:
    r = await render(bench, take(bench, seed=4242))
    if bench.route.capabilities.seed_honoured:
        claimed(bench, r, "seed", lambda r: ev(bench, r, "seed") == 4242)
        return
    assert any(a.field == "seed" for a in r.check.adjustments), "an ignored seed is not reported"
    succeeded(r, "seed (not honoured)")


def durations_to_try(route: Route, request: ShotRequest) -> list[int]:
    """The route's durations for a shot like ``request`` (its limits_duration couplings
    applied): all of a short list, else the shortest and the longest."""
    facts, settings = ShotFacts.of(request), check(route, request).settings
    resolution = settings.resolution if settings else None
    allowed = [
        d
        for d in route.allowed_durations()
        if all(
            d in c.durations
            for c in route.couplings
            if isinstance(c, LimitsDuration) and holds(c.when, facts, route, resolution)
        )
    ]
    assert allowed, f"{route.id}: no duration is allowed for {facts}"
    return allowed if len(allowed) <= 3 else [allowed[0], allowed[-1]]


async def check_durations(bench: Bench) -> None:
    route = bench.route
    refused(bench, take(bench, seconds=route.allowed_durations()[-1] + 1), "duration")
    for seconds in durations_to_try(route, take(bench)):
        r = await render(bench, take(bench, seconds=seconds))
        assert r.check.ok, f"{seconds} s: {describe(r)}"
        assert r.check.settings is not None and r.check.settings.duration_s == seconds
        succeeded(r, f"{route.id} {seconds} s")
        made = r.clip.duration if r.clip else 0.0
        assert abs(made - seconds) < 0.3, f"{route.id}: asked {seconds} s, got {made:.2f} s"


def size_for(ratio: str, short: int = 720) -> tuple[int, int]:
    w, h = (int(v) for v in ratio.split(":"))
    if w >= h:
        return round(short * w / h / 2) * 2, short
    return short, round(short * h / w / 2) * 2


async def check_aspect_ratios(bench: Bench) -> None:
    route = bench.route
    if route.aspect_ratios:
        shapes = [(ratio, size_for(ratio)) for ratio in route.aspect_ratios]
    elif route.sizes:
        shapes = [
            (size, (int(size.split("x")[0]), int(size.split("x")[1]))) for size in route.sizes
        ]
    else:  # the model (or the first frame) decides: one shot, and the check says so
        r = await render(bench, take(bench))
        assert any(a.field == "aspect_ratio" for a in r.check.adjustments), r.check.adjustments
        succeeded(r, "model-chosen aspect")
        return
    for label, size in shapes:
        r = await render(bench, take(bench, size=size))
        assert r.check.ok, f"{label}: {describe(r)}"
        settings = r.check.settings
        assert settings is not None
        if route.aspect_ratios and r.request.first_frame is None:
            assert settings.aspect_ratio == label, f"{label} planned as {settings.aspect_ratio}"
        if route.sizes:
            assert f"{settings.width}x{settings.height}" == label
        succeeded(r, f"{route.id} {label}")


async def check_resolutions(bench: Bench) -> None:
    route = bench.route
    for label in route.resolutions:
        height = resolution_height(label)
        r = await render(bench, take(bench, size=(round(height * 16 / 9 / 2) * 2, height)))
        assert r.check.ok, f"{label}: {describe(r)}"
        assert r.check.settings is not None and r.check.settings.resolution == label
        succeeded(r, f"{route.id} {label}")


RUNNERS: dict[str, Callable[[Bench], Any]] = {
    "t2v": check_t2v,
    "i2v": check_i2v,
    "first_last_frame": check_first_last_frame,
    "reference_images": check_reference_images,
    "audio": check_audio,
    "seed": check_seed,
    "durations": check_durations,
    "aspect_ratios": check_aspect_ratios,
    "resolutions": check_resolutions,
}


@pytest.mark.parametrize("what", CHECKS)
@pytest.mark.parametrize("route_id", ROUTE_IDS)
def test_capability(
    route_id: str, what: str, pool: Pool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bench = open_bench(route_id, pool, monkeypatch, tmp_path)
    route = bench.route
    if route.retired or not route.enabled:  # nothing may be sent: refused as a whole
        refused(bench, take(bench), "model")
        return
    run(RUNNERS[what](bench))
