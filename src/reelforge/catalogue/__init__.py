"""The model catalogue: every video-model route as data, its prices, and pre-flight checks.

``load_catalogue()`` reads ``catalogue.yaml``; ``check(route, shot)`` refuses what a route cannot
render before any money is spent; ``price(route, shot)`` quotes it in Decimal USD.
"""

from reelforge.catalogue.check import capable_routes, check
from reelforge.catalogue.loader import (
    CatalogueError,
    get_route,
    load_catalogue,
    nearest_ids,
    parse_catalogue,
)
from reelforge.catalogue.outcome import Adjustment, CheckResult, Refusal, Settings, ShotFacts
from reelforge.catalogue.pricing import Quote, QuoteLine, per_second_range, price
from reelforge.catalogue.schema import Catalogue, Route

__all__ = [
    "Adjustment",
    "Catalogue",
    "CatalogueError",
    "CheckResult",
    "Quote",
    "QuoteLine",
    "Refusal",
    "Route",
    "Settings",
    "ShotFacts",
    "capable_routes",
    "check",
    "get_route",
    "load_catalogue",
    "nearest_ids",
    "parse_catalogue",
    "per_second_range",
    "price",
]
