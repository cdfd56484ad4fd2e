"""Replicate's predictions API (research §9): one adapter for the catalogue's Replicate routes."""

from .adapter import (
    DEFAULT_BASE_URL,
    KEY_ENV_OPTIONS,
    OUTPUT_TTL,
    ReplicateAdapter,
    ReplicateCredentials,
)
from .codes import STATUS_TABLE, error_for, is_moderation
from .request import ReplicateOptions, build_input

__all__ = [
    "DEFAULT_BASE_URL",
    "KEY_ENV_OPTIONS",
    "OUTPUT_TTL",
    "STATUS_TABLE",
    "ReplicateAdapter",
    "ReplicateCredentials",
    "ReplicateOptions",
    "build_input",
    "error_for",
    "is_moderation",
]
