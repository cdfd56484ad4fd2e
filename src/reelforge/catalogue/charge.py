"""A provider's reported charge, in its own billing unit, turned into USD with the catalogue.

Providers report usage in different units (Kling resource-pack units, Runway credits, Seedance
tokens, MiniMax seconds, xAI exact USD). The ledger charges the provider's figure where there is
one and the quote otherwise; this is the one place that converts between them.
"""

from __future__ import annotations

from decimal import Decimal

from reelforge.catalogue.outcome import Settings
from reelforge.catalogue.pricing import Quote, token_count
from reelforge.catalogue.schema import Route

MICROS = Decimal(1_000_000)


def to_micros(usd: Decimal) -> int:
    """USD → integer micro-dollars, rounded half up (money never goes through float)."""
    return int((usd * MICROS).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def charge_usd(
    route: Route, settings: Settings | None, quote: Quote, unit: str, amount: Decimal
) -> Decimal | None:
    """USD for ``amount`` of ``unit`` on ``route``; None when the catalogue cannot convert it."""
    price = route.price
    if unit == "usd":
        return amount
    if unit in ("unit", "credit") and price.unit == "units" and price.unit_usd is not None:
        return amount * price.unit_usd
    if quote.total is None or settings is None:
        return None
    if unit == "token" and price.unit == "usd_per_million_tokens" and price.tokens is not None:
        estimated = token_count(price.tokens, settings)
        return quote.total * amount / estimated if estimated else None
    if unit == "second" and price.unit == "usd_per_second" and quote.billed_seconds:
        return quote.total * amount / Decimal(quote.billed_seconds)
    return None
