"""fal.ai's queue API (research §8): one adapter for the catalogue's fal video routes."""

from .adapter import DEFAULT_BASE_URL, KEY_ENV_OPTIONS, FalAdapter, FalCredentials
from .codes import ERROR_TYPES, STATUS_TABLE, error_for
from .request import FalOptions, build_body

__all__ = [
    "DEFAULT_BASE_URL",
    "ERROR_TYPES",
    "KEY_ENV_OPTIONS",
    "STATUS_TABLE",
    "FalAdapter",
    "FalCredentials",
    "FalOptions",
    "build_body",
    "error_for",
]
