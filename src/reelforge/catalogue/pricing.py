"""Price a shot on a route from the catalogue's price formula, in Decimal USD.

The quote is computed on the *adjusted* settings (a 7 s shot billed as the 8 s clip the model will
actually render) and carries its breakdown, so the ledger can show why a number is what it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from reelforge.catalogue.loader import get_route, load_catalogue
from reelforge.catalogue.outcome import Settings, ShotFacts
from reelforge.catalogue.plan import plan
from reelforge.catalogue.schema import (
    Catalogue,
    Price,
    Rate,
    Route,
    TokenFormula,
    resolution_height,
)
from reelforge.generators.base import ShotRequest

MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class QuoteLine:
    label: str
    amount: Decimal


@dataclass(frozen=True)
class Quote:
    route_id: str
    total: Decimal | None  # None: the catalogue has no price for this route/setting
    lines: tuple[QuoteLine, ...]
    applied: tuple[str, ...]  # the rate conditions and surcharges that were used
    billed_seconds: int | None
    confidence: str
    source: str
    note: str = ""
    currency: str = "USD"


def _matches(rate: Rate, s: Settings) -> bool:
    return (
        (rate.resolution is None or s.resolution in rate.resolution)
        and (rate.audio is None or rate.audio == s.audio)
        and (rate.duration is None or rate.duration == s.duration_s)
    )


def _conditions(rate: Rate, s: Settings) -> list[str]:
    out = []
    if rate.resolution is not None:
        out.append(f"resolution {s.resolution}")
    if rate.audio is not None:
        out.append("audio on" if rate.audio else "audio off")
    if rate.per == "clip":
        out.append(f"per clip of {s.duration_s} s")
    return out


def token_count(formula: TokenFormula, s: Settings) -> Decimal:
    """Aligned width x height x frames / divisor (Seedance's documented token estimate)."""

    def align(v: int) -> int:
        return math.ceil(v / formula.align) * formula.align

    frames = s.duration_s * formula.fps + formula.frame_offset
    return Decimal(align(s.width) * align(s.height) * frames) / Decimal(formula.divisor)


def _base(price: Price, rate: Rate, s: Settings) -> list[QuoteLine]:
    secs = Decimal(s.duration_s)
    if price.unit == "usd_per_second":
        if rate.per == "clip":
            return [QuoteLine(f"clip of {s.duration_s} s", rate.amount)]
        return [QuoteLine(f"{s.duration_s} s x ${rate.amount}/s", rate.amount * secs)]
    if price.unit == "units":
        assert price.unit_usd is not None  # enforced by the schema
        units = rate.amount if rate.per == "clip" else rate.amount * secs
        how = "per clip" if rate.per == "clip" else f"{rate.amount} u/s x {s.duration_s} s"
        return [
            QuoteLine(f"{units} units ({how}) x ${price.unit_usd}/unit", units * price.unit_usd)
        ]
    if price.unit == "usd_per_million_tokens":
        assert price.tokens is not None  # enforced by the schema
        tokens = token_count(price.tokens, s)
        label = f"{tokens} tokens x ${rate.amount}/M tokens"
        return [QuoteLine(label, tokens * rate.amount / MILLION)]
    return [QuoteLine("per request", rate.amount)]


def _unpriced(route: Route, s: Settings | None, note: str) -> Quote:
    return Quote(
        route.id,
        None,
        (),
        (),
        s.duration_s if s else None,
        route.price_confidence,
        route.price_source,
        note,
    )


def quote_settings(route: Route, settings: Settings, facts: ShotFacts) -> Quote:
    """Price already-planned settings (used by :func:`price` and by comparisons)."""
    p = route.price
    if p.unit == "unknown":
        return _unpriced(route, settings, "no price in the research for this route")
    rate = next((r for r in p.rates if _matches(r, settings)), None)
    if rate is None:
        return _unpriced(route, settings, "no price row matches these settings")
    lines = _base(p, rate, settings)
    applied = _conditions(rate, settings)
    if p.per_input_image is not None and facts.input_images:
        n = facts.input_images
        lines.append(QuoteLine(f"{n} input images x ${p.per_input_image}", n * p.per_input_image))
        applied.append("per input image")
    total = sum((line.amount for line in lines), Decimal(0))
    return Quote(
        route.id,
        total,
        tuple(lines),
        tuple(applied),
        settings.duration_s,
        route.price_confidence,
        route.price_source,
    )


def price(
    route: Route | str, request: ShotRequest | ShotFacts, catalogue: Catalogue | None = None
) -> Quote:
    """Quote a shot on a route. Unpriceable (or refused-duration) shots get ``total=None``."""
    target = get_route(route, catalogue or load_catalogue()) if isinstance(route, str) else route
    facts = request if isinstance(request, ShotFacts) else ShotFacts.of(request)
    planned = plan(target, facts)
    if planned.settings is None:
        return _unpriced(target, None, "; ".join(r.message for r in planned.refusals))
    return quote_settings(target, planned.settings, facts)


def per_second_range(route: Route) -> tuple[Decimal, Decimal] | None:
    """Cheapest and dearest USD per second across the route's rates (16:9 for token prices)."""
    p = route.price
    values: list[Decimal] = []
    for rate in p.rates:
        if p.unit == "usd_per_request":
            return None
        per = rate.amount / rate.duration if rate.per == "clip" and rate.duration else rate.amount
        if p.unit == "usd_per_second":
            values.append(per)
        elif p.unit == "units" and p.unit_usd is not None:
            values.append(per * p.unit_usd)
        elif p.unit == "usd_per_million_tokens" and p.tokens is not None:
            for label in rate.resolution or route.resolutions:
                h = resolution_height(label)
                s = Settings(1, label, round(h * 16 / 9), h, "16:9", None, False)
                per_s = token_count(p.tokens.model_copy(update={"frame_offset": 0}), s)
                values.append(per_s * rate.amount / MILLION)
    if not values:
        return None
    return min(values), max(values)
