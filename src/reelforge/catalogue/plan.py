"""Turn a shot's facts into the settings a route would actually be asked for.

Every change from what the shot asked is returned as an explicit :class:`Adjustment` (as vercel/ai
does with warnings) so nothing is silently rounded; impossible durations become refusals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reelforge.catalogue.outcome import Adjustment, Refusal, Settings, ShotFacts
from reelforge.catalogue.schema import (
    LimitsDuration,
    LimitsResolution,
    Route,
    resolution_height,
)

# A shot may overrun the longest clip by this much before we refuse instead of trimming.
OVERRUN_TOLERANCE_S = 0.5


def holds(condition: str, facts: ShotFacts, route: Route, resolution: str | None) -> bool:
    """Evaluate one coupling condition (see ``schema.CONDITION``) for this shot on this route."""
    if condition.startswith("resolution="):
        return resolution == condition.removeprefix("resolution=")
    if condition == "audio":
        return facts.audio_wanted and route.capabilities.native_audio != "none"
    return {
        "first_frame": facts.first_frame is not None,
        "last_frame": facts.last_frame is not None,
        "reference_images": facts.reference_images > 0,
        "t2v": facts.first_frame is None,
        "i2v": facts.first_frame is not None,
    }[condition]


def _ratio(text: str) -> float:
    w, h = text.split(":")
    return int(w) / int(h)


def _label(w: int, h: int) -> str:
    g = math.gcd(w, h)
    return f"{w // g}:{h // g}"


@dataclass
class Plan:
    settings: Settings | None
    adjustments: list[Adjustment]
    refusals: list[Refusal]


def _resolution(route: Route, facts: ShotFacts) -> tuple[str, list[Adjustment]]:
    labels = list(route.resolutions)
    for c in route.couplings:
        if isinstance(c, LimitsResolution) and holds(c.when, facts, route, None):
            labels = [lab for lab in labels if lab in c.resolutions] or labels
    labels.sort(key=resolution_height)
    short = min(facts.width, facts.height)
    # Smallest resolution that covers the shot; else the largest the model has (upscaled later).
    chosen = next((lab for lab in labels if resolution_height(lab) >= short), labels[-1])
    adjustments = []
    if resolution_height(chosen) != short:
        adjustments.append(
            Adjustment(
                "resolution",
                f"{facts.width}x{facts.height}",
                chosen,
                f"resolution {facts.width}x{facts.height} → {chosen} "
                f"({route.id} offers {', '.join(labels)})",
            )
        )
    return chosen, adjustments


def _size(
    route: Route, facts: ShotFacts, res: str, aspect: str | None
) -> tuple[int, int, list[Adjustment]]:
    wanted = f"{facts.width}x{facts.height}"
    if not route.sizes:
        # Output pixels follow the resolution's short side and the ratio actually requested.
        short = resolution_height(res)
        ratio = _ratio(aspect) if aspect else facts.width / facts.height
        if ratio >= 1:
            return round(short * ratio), short, []
        return short, round(short / ratio), []
    if wanted in route.sizes:
        return facts.width, facts.height, []
    target = facts.width / facts.height
    long_side = max(facts.width, facts.height)

    def distance(size: str) -> float:
        # Same orientation first, then the closest long side.
        w, h = (int(v) for v in size.split("x"))
        return abs(math.log((w / h) / target)) + abs(math.log(max(w, h) / long_side))

    best = min(route.sizes, key=distance)
    w, h = (int(v) for v in best.split("x"))
    msg = f"size {wanted} → {best} ({route.id} sizes: {', '.join(route.sizes)})"
    return w, h, [Adjustment("size", wanted, best, msg)]


def _secs(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _source_duration(
    route: Route, facts: ShotFacts, seconds: float
) -> tuple[int | None, list[Adjustment], list[Refusal]]:
    """An edit is as long as its source video: the route's durations bound that video, and a
    shot of another length is an adjustment (the cut trims the edit or holds its last frame)."""
    allowed = route.allowed_durations()
    slack = 1 / max(facts.fps, 1)
    why = f"{route.id} edits videos of {_fmt_durations(route)} s"
    if not allowed[0] - slack <= seconds <= allowed[-1] + slack:
        msg = f"duration {_secs(seconds)} s (the source_video's length): {why}"
        return None, [], [Refusal("duration", why, msg)]
    asked, adjustments = facts.duration, []
    if abs(seconds - asked) >= slack:
        fit = "trims it" if seconds > asked else "holds its last frame"
        msg = (
            f"duration {asked:g} s → {_secs(seconds)} s ({route.id}'s output follows the "
            f"source_video; the cut {fit} to {asked:g} s)"
        )
        adjustments.append(Adjustment("duration", f"{asked:g}", _secs(seconds), msg))
    # Whole seconds for pricing; how the provider rounds a fractional clip is not known [?].
    return min(max(round(seconds), allowed[0]), allowed[-1]), adjustments, []


def _duration(
    route: Route, facts: ShotFacts, res: str
) -> tuple[int | None, list[Adjustment], list[Refusal]]:
    if route.capabilities.edit_only and facts.source_seconds is not None:
        return _source_duration(route, facts, facts.source_seconds)
    allowed = route.allowed_durations()
    why = f"{route.id} allows {_fmt_durations(route)}"
    for c in route.couplings:
        if isinstance(c, LimitsDuration) and holds(c.when, facts, route, res):
            allowed = [d for d in allowed if d in c.durations]
            why = f"{route.id} allows {', '.join(map(str, allowed)) or 'none'} s when {c.when}"
    asked = facts.duration
    if not allowed or asked > max(allowed) + OVERRUN_TOLERANCE_S:
        msg = f"duration {asked:g} s: {why}"
        return None, [], [Refusal("duration", why, msg)]
    # Nearest allowed duration; ties round up so the shot is trimmed, never stretched.
    chosen = min(allowed, key=lambda d: (abs(d - asked), -d))
    adjustments = []
    if abs(chosen - asked) >= 1 / max(facts.fps, 1):
        msg = f"duration {asked:g} s → {chosen} s ({why})"
        adjustments.append(Adjustment("duration", f"{asked:g}", str(chosen), msg))
    return chosen, adjustments, []


def _fmt_durations(route: Route) -> str:
    d = route.durations
    if isinstance(d, list):
        return ", ".join(str(v) for v in sorted(d))
    step = f" step {d.step}" if d.step != 1 else ""
    return f"{d.min}-{d.max}{step}"


def _aspect(route: Route, facts: ShotFacts) -> tuple[str | None, list[Adjustment]]:
    asked = _label(facts.width, facts.height)
    if facts.source_video is not None and route.capabilities.edit_only:
        msg = f"aspect {asked} → taken from the source_video ({route.id} keeps its framing)"
        return None, [Adjustment("aspect_ratio", asked, "from source video", msg)]
    if facts.first_frame is not None and route.aspect_from_image:
        msg = f"aspect {asked} → taken from the first frame image ({route.id} ignores the ratio)"
        return None, [Adjustment("aspect_ratio", asked, "from image", msg)]
    if not route.aspect_ratios:
        if route.sizes:
            return asked, []
        msg = f"aspect {asked} → chosen by the model ({route.id} takes no aspect ratio)"
        return None, [Adjustment("aspect_ratio", asked, "model default", msg)]
    target = facts.width / facts.height
    best = min(route.aspect_ratios, key=lambda r: abs(math.log(_ratio(r) / target)))
    if abs(math.log(_ratio(best) / target)) < 0.01:
        return best, []
    allowed = ", ".join(route.aspect_ratios)
    msg = f"aspect {asked} → {best} ({route.id} allows {allowed}; reframed afterwards)"
    return best, [Adjustment("aspect_ratio", asked, best, msg)]


def _fps(route: Route, facts: ShotFacts) -> tuple[int | None, list[Adjustment]]:
    if not route.fps or facts.fps in route.fps:
        return (facts.fps if route.fps else None), []
    chosen = min(route.fps, key=lambda f: abs(f - facts.fps))
    msg = f"fps {facts.fps} → {chosen} ({route.id} renders {chosen} fps; retimed afterwards)"
    return chosen, [Adjustment("fps", str(facts.fps), str(chosen), msg)]


def _audio(route: Route, facts: ShotFacts) -> tuple[bool, list[Adjustment]]:
    kind = route.capabilities.native_audio
    if kind == "always":
        if not facts.audio_wanted:
            msg = f"audio: {route.id} always generates (and bills) audio; it will be muted"
            return True, [Adjustment("audio", "off", "on", msg)]
        return True, []
    if kind == "none" and facts.audio_wanted:
        msg = f"audio: {route.id} has no native audio; dialogue and sound are made separately"
        return False, [Adjustment("audio", "on", "off", msg)]
    return facts.audio_wanted and kind == "toggle", []


def plan(route: Route, facts: ShotFacts) -> Plan:
    res, adjustments = _resolution(route, facts)
    aspect, aspect_adj = _aspect(route, facts)
    width, height, size_adj = _size(route, facts, res, aspect)
    duration, dur_adj, refusals = _duration(route, facts, res)
    fps, fps_adj = _fps(route, facts)
    audio, audio_adj = _audio(route, facts)
    adjustments += size_adj + dur_adj + aspect_adj + fps_adj + audio_adj
    if facts.seed and not route.capabilities.seed_honoured:
        msg = f"seed {facts.seed}: {route.id} does not honour seeds; re-renders will differ"
        adjustments.append(Adjustment("seed", str(facts.seed), "ignored", msg))
    if duration is None:
        return Plan(None, adjustments, refusals)
    settings = Settings(duration, res, width, height, aspect, fps, audio)
    return Plan(settings, adjustments, refusals)
