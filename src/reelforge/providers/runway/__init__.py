"""Runway video generation (Gen-4.5, Gen-4 Turbo, Aleph 2 and hosted models) through the
``/v1`` task API, version ``2024-11-06``."""

from .adapter import DEFAULT_BASE_URL, RunwayAdapter
from .auth import KEY_ENV_OPTIONS, RunwayCredentials
from .codes import FAILURE_TABLE, STATUS_TABLE, failure_error, http_error
from .models import API_VERSION, DEFAULT_MODEL, MODELS, ModelSpec, credits, nearest_ratio
from .options import AlephKeyframe, RunwayOptions

__all__ = [
    "API_VERSION",
    "DEFAULT_BASE_URL",
    "DEFAULT_MODEL",
    "FAILURE_TABLE",
    "KEY_ENV_OPTIONS",
    "MODELS",
    "STATUS_TABLE",
    "AlephKeyframe",
    "ModelSpec",
    "RunwayAdapter",
    "RunwayCredentials",
    "RunwayOptions",
    "credits",
    "failure_error",
    "http_error",
    "nearest_ratio",
]
