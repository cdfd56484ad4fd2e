"""Luma Dream Machine video generation (``ray-2``, ``ray-flash-2``) through the
``/dream-machine/v1`` generations API."""

from .adapter import DEFAULT_BASE_URL, LumaAdapter
from .auth import KEY_ENV_OPTIONS, LumaCredentials
from .codes import FAILURE_TABLE, STATUS_TABLE, failure_error, http_error
from .models import (
    ASPECT_RATIOS,
    DEFAULT_MODEL,
    DURATIONS,
    MODELS,
    RESOLUTIONS,
    nearest_ratio,
    resolution_for,
)
from .options import LumaOptions

__all__ = [
    "ASPECT_RATIOS",
    "DEFAULT_BASE_URL",
    "DEFAULT_MODEL",
    "DURATIONS",
    "FAILURE_TABLE",
    "KEY_ENV_OPTIONS",
    "MODELS",
    "RESOLUTIONS",
    "STATUS_TABLE",
    "LumaAdapter",
    "LumaCredentials",
    "LumaOptions",
    "failure_error",
    "http_error",
    "nearest_ratio",
    "resolution_for",
]
