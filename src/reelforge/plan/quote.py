"""Pricing a production before anything is spent: per shot the model, what is native and what
reelforge emulates, and the quote; then the total against the budget caps (`--dry-run`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from reelforge.plan.plan import Plan, PlannedShot
from reelforge.store import Store

if TYPE_CHECKING:
    from reelforge.assembly.native_audio import ShotSound


@dataclass(frozen=True)
class ShotQuote:
    index: int
    shot_id: str
    model: str
    seconds: float
    quote: Decimal | None  # None: the catalogue has no price for this route
    status: str  # "to render", "cached", "local", "refused"
    native: list[str] = field(default_factory=list)
    emulated: list[str] = field(default_factory=list)
    note: str = ""
    sound: str = ""  # "native" (the model's own audio plays) or "ours" (TTS + ambience)


@dataclass(frozen=True)
class PlanQuote:
    shots: list[ShotQuote]
    run_cap: Decimal | None
    monthly_cap: Decimal | None
    month_committed: Decimal

    @property
    def total(self) -> Decimal:
        return sum(
            (s.quote or Decimal(0) for s in self.shots if s.status == "to render"), Decimal(0)
        )

    @property
    def unpriced(self) -> list[ShotQuote]:
        return [s for s in self.shots if s.status == "to render" and s.quote is None]

    def over_caps(self) -> list[str]:
        """The caps this plan would cross, with the numbers."""
        problems = []
        if self.run_cap is not None and self.total > self.run_cap:
            problems.append(
                f"the quoted ${self.total:.2f} exceeds delivery.max_budget_usd ${self.run_cap:.2f}"
            )
        if self.monthly_cap is not None and self.month_committed + self.total > self.monthly_cap:
            problems.append(
                f"${self.month_committed:.2f} already committed this month + ${self.total:.2f} "
                f"quoted exceeds the monthly cap ${self.monthly_cap:.2f}"
            )
        return problems


def _features(
    planned: PlannedShot, route: object, delivery_fps: int, sound: ShotSound
) -> tuple[list[str], list[str]]:
    caps = route.capabilities  # type: ignore[attr-defined]
    shot, request = planned.shot, planned.request
    native: list[str] = []
    emulated: list[str] = []
    if request.source_video:
        native.append("video-to-video edit")
    else:
        native.append("image-to-video" if request.first_frame else "text-to-video")
    if request.last_frame:
        native.append("first+last frame")
    if request.elements and any(e.references for e in request.elements):
        native.append("reference images")
    if sound.native:
        native.append(f"sound: {sound.label}")
    else:
        lips = "; no lip sync" if shot.dialogue and not caps.lip_sync else ""
        emulated.append(f"sound: {sound.source} ({sound.detail}{lips})")
    fps_list = route.fps  # type: ignore[attr-defined]
    if fps_list and delivery_fps not in fps_list:
        emulated.append(f"{delivery_fps} fps (conformed from {fps_list[0]} fps)")
    return native, emulated


def quote_plan(
    plan: Plan, store: Store | None = None, monthly_cap: Decimal | None = None
) -> PlanQuote:
    from reelforge.assembly.native_audio import shot_sound
    from reelforge.catalogue import check, get_route, price
    from reelforge.generators.registry import get_generator
    from reelforge.jobs.ledger import committed, month_of, usd
    from reelforge.jobs.queue import utcnow

    production = plan.loaded.production
    rows: list[ShotQuote] = []
    for planned in plan.shots:
        seconds = planned.request.duration
        generator = get_generator(planned.generator)
        if not getattr(generator, "durable", False):
            free = Decimal(0)
            sound = shot_sound(
                planned, plan.loaded, makes_audio=bool(getattr(generator, "native_audio", False))
            )
            native = [f"sound: {sound.label}"] if sound.native else []
            emulated = [] if sound.native else [f"sound: {sound.label}"]
            rows.append(
                ShotQuote(planned.index, planned.shot.id, planned.generator, seconds, free,
                          "local", ["previz (local, free)", *native], emulated, sound.warning,
                          sound.source)
            )  # fmt: skip
            continue
        route = get_route(planned.generator)
        result = check(route, planned.request)
        sound = shot_sound(
            planned, plan.loaded, makes_audio=route.capabilities.native_audio != "none"
        )
        native, emulated = _features(planned, route, production.delivery.fps, sound)
        if not result.ok:
            rows.append(
                ShotQuote(planned.index, planned.shot.id, route.id, seconds, None, "refused",
                          native, emulated, "; ".join(str(r) for r in result.refusals),
                          sound.source)
            )  # fmt: skip
            continue
        quote = price(route, planned.request)
        cached = store is not None and store.cached(planned.cache_key) is not None
        notes = [a.message for a in result.adjustments] + ([quote.note] if quote.note else [])
        notes += [sound.warning] if sound.warning else []
        rows.append(
            ShotQuote(planned.index, planned.shot.id, route.id, seconds, quote.total,
                      "cached" if cached else "to render", native, emulated, "; ".join(notes),
                      sound.source)
        )  # fmt: skip
    month_committed = Decimal(0)
    if store is not None:
        with store.engine.connect() as conn:
            month_committed = usd(committed(conn, month=month_of(utcnow())))
    cap = production.delivery.max_budget_usd
    return PlanQuote(
        rows,
        None if cap is None else Decimal(str(cap)),
        monthly_cap,
        month_committed,
    )
