"""Refuse before spending: decide, without any HTTP call, whether a route can render a shot.

A refusal names the field, the model's rule and the catalogue ids that *can* render the shot, so the
user can switch model instead of paying for a provider 400 (some of which are billed).
"""

from __future__ import annotations

import functools
import importlib
from decimal import Decimal

from reelforge.catalogue.imagesize import image_size
from reelforge.catalogue.loader import get_route, load_catalogue
from reelforge.catalogue.outcome import Adjustment, CheckResult, Refusal, Settings, ShotFacts
from reelforge.catalogue.plan import holds, plan
from reelforge.catalogue.pricing import quote_settings
from reelforge.catalogue.schema import (
    Catalogue,
    Excludes,
    ImageMatchesOutput,
    Requires,
    RequiresMode,
    Route,
)
from reelforge.generators.base import ShotRequest


def _capability_refusals(route: Route, facts: ShotFacts) -> list[Refusal]:
    caps, rid = route.capabilities, route.id
    out: list[Refusal] = []
    if route.retired:
        rule = f"retired on {route.lifecycle.date}"
        out.append(Refusal("model", rule, f"model {rid}: {rule}"))
    elif not route.enabled:
        rule = "channel disabled by default (not an official API)"
        out.append(Refusal("model", rule, f"model {rid}: {rule}"))
    if facts.first_frame is None and facts.source_video is None and not caps.t2v:
        rule = f"{rid} has no text-to-video; it needs a first frame"
        needs = "first_frame"
        if caps.edit_only:
            rule, needs = f"{rid} only edits a video; it needs a source_video", "source_video"
        out.append(Refusal(needs, rule, f"text-to-video: {rule}"))
    if facts.first_frame is not None and not caps.i2v:
        rule = f"{rid} takes no input image"
        out.append(Refusal("first_frame", rule, f"first_frame: {rule}"))
    if facts.last_frame is not None and not caps.first_last_frame:
        rule = f"{rid} has no end-frame input"
        out.append(Refusal("last_frame", rule, f"first_frame + last_frame: {rule}"))
    if facts.reference_images > caps.reference_images_max:
        rule = f"{rid} takes at most {caps.reference_images_max} reference images"
        msg = f"reference_images: {facts.reference_images} given, {rule}"
        out.append(Refusal("reference_images", rule, msg))
    return out + _source_video_refusals(route, facts)


@functools.cache
def _source_video_models(provider: str, channel: str) -> tuple[str, ...]:
    """The models whose adapter sends ``ShotRequest.source_video`` (its ``source_video_models``);
    other adapters' edit paths take only provider-hosted inputs (URLs, ids), or none yet."""
    from reelforge.generators.remote import ADAPTERS

    entry = ADAPTERS.get((provider, channel))
    if entry is None:
        return ()
    adapter = getattr(importlib.import_module(entry[0]), entry[1])
    return tuple(getattr(adapter, "source_video_models", ()))


def _source_video_refusals(route: Route, facts: ShotFacts) -> list[Refusal]:
    caps, rid = route.capabilities, route.id
    if facts.source_video is None:
        if caps.edit_only and facts.first_frame is not None:
            rule = f"{rid} only edits a video; it needs a source_video"
            return [Refusal("source_video", rule, f"image-to-video: {rule}")]
        return []
    if not caps.v2v_edit:
        rule = f"{rid} does not edit videos (no video-to-video)"
    elif route.model not in _source_video_models(route.provider, route.channel):
        rule = f"{rid} edits videos, but reelforge's adapter cannot send it a source_video yet"
    elif facts.source_seconds is None:
        rule = "a source_video must be a readable video file"
        return [Refusal("source_video", rule, f"source_video {facts.source_video}: {rule}")]
    else:
        return []
    return [Refusal("source_video", rule, f"source_video: {rule}")]


def _size_refusal(route: Route, facts: ShotFacts, settings: Settings) -> Refusal | None:
    assert facts.first_frame is not None  # only called when the first frame condition holds
    want = f"{settings.width}x{settings.height}"
    got = image_size(facts.first_frame)
    if got is None or f"{got[0]}x{got[1]}" == want:
        return None
    rule = f"{route.id} needs the input image to be exactly the output size"
    msg = f"first_frame: image is {got[0]}x{got[1]}, output is {want}; {rule}"
    return Refusal("first_frame", rule, msg)


def _coupling_refusals(route: Route, facts: ShotFacts, settings: Settings | None) -> list[Refusal]:
    res = settings.resolution if settings else None
    out: list[Refusal] = []
    for c in route.couplings:
        if not holds(c.when, facts, route, res):
            continue
        why = f" ({c.note})" if c.note else ""
        if isinstance(c, Requires) and not holds(c.needs, facts, route, res):
            rule = f"on {route.id} {c.describe()}{why}"
            out.append(Refusal(c.when, rule, f"{c.when} without {c.needs}: {rule}"))
        elif isinstance(c, Excludes):
            clash = [f for f in c.forbids if holds(f, facts, route, res)]
            if clash:
                rule = f"on {route.id} {c.describe()}{why}"
                field = " + ".join([c.when, *clash])
                out.append(Refusal(field, rule, f"{field}: {rule}"))
        elif isinstance(c, RequiresMode) and route.mode not in c.modes:
            rule = f"on {route.id} {c.describe()}, this route is mode {route.mode}{why}"
            out.append(Refusal(c.when, rule, f"{c.when}: {rule}"))
        elif isinstance(c, ImageMatchesOutput) and settings and facts.first_frame is not None:
            refusal = _size_refusal(route, facts, settings)
            if refusal:
                out.append(refusal)
    return out


def _evaluate(
    route: Route, facts: ShotFacts
) -> tuple[Settings | None, list[Refusal], list[Adjustment]]:
    planned = plan(route, facts)
    refusals = _capability_refusals(route, facts) + planned.refusals
    refusals += _coupling_refusals(route, facts, planned.settings)
    return planned.settings, refusals, planned.adjustments


def capable_routes(facts: ShotFacts, catalogue: Catalogue | None = None) -> list[str]:
    """Ids of every live route that would accept this shot, cheapest known price first."""
    cat = catalogue or load_catalogue()
    ranked: list[tuple[bool, Decimal, int, str]] = []
    for index, route in enumerate(cat.routes):
        settings, refusals, _ = _evaluate(route, facts)
        if refusals or settings is None:
            continue
        total = quote_settings(route, settings, facts).total
        # Unpriced routes go last: a user switching model wants to know what it will cost.
        ranked.append((total is None, total or Decimal(0), index, route.id))
    return [route_id for *_, route_id in sorted(ranked)]


def check(
    route: Route | str, request: ShotRequest | ShotFacts, catalogue: Catalogue | None = None
) -> CheckResult:
    """Pre-flight a shot on a route: refusals (with alternatives) and explicit adjustments."""
    cat = catalogue or load_catalogue()
    target = get_route(route, cat) if isinstance(route, str) else route
    facts = request if isinstance(request, ShotFacts) else ShotFacts.of(request)
    settings, refusals, adjustments = _evaluate(target, facts)
    notes: list[str] = []
    if target.lifecycle.status in ("preview", "deprecated"):
        notes.append(f"{target.id} is {target.lifecycle.status}")
    if refusals:
        alternatives = tuple(i for i in capable_routes(facts, cat) if i != target.id)
        refusals = [Refusal(r.field, r.rule, r.message, alternatives) for r in refusals]
    return CheckResult(
        route_id=target.id,
        facts=facts,
        settings=settings,
        refusals=tuple(refusals),
        adjustments=tuple(adjustments),
        notes=tuple(notes),
    )
