"""Aggregators (Atlas Cloud, WaveSpeed AI, Higgsfield, AI/ML API) behind ONE adapter driven by
a data table (``profiles.yaml``): research providers-2.md §2.7."""

from .adapter import (
    NAMED,
    AggregatorAdapter,
    AimlapiAdapter,
    AtlasAdapter,
    HiggsfieldAdapter,
    WaveSpeedAdapter,
    adapter_class,
    adapter_for,
)
from .profiles import (
    DEFAULT_HTTP_ERRORS,
    AggregatorProfile,
    get_path,
    get_profile,
    load_profiles,
    parse_profiles,
    set_path,
)
from .request import AggregatorOptions, build_body, nearest_aspect

__all__ = [
    "DEFAULT_HTTP_ERRORS",
    "NAMED",
    "AggregatorAdapter",
    "AggregatorOptions",
    "AggregatorProfile",
    "AimlapiAdapter",
    "AtlasAdapter",
    "HiggsfieldAdapter",
    "WaveSpeedAdapter",
    "adapter_class",
    "adapter_for",
    "build_body",
    "get_path",
    "get_profile",
    "load_profiles",
    "nearest_aspect",
    "parse_profiles",
    "set_path",
]
