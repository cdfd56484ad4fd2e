"""MiniMax (Hailuo) video generation: the v1 Hailuo API and the v2 MiniMax-H3 API (research §6)."""

from .adapter import (
    CHINA_BASE_URL,
    DEFAULT_BASE_URL,
    HailuoAdapter,
    MiniMaxAdapter,
    MiniMaxH3Adapter,
)
from .auth import KEY_ENV_OPTIONS, MiniMaxCredentials
from .codes import CODE_TABLE, error_for
from .models import V1_MODELS, V2_MODELS, H3Spec, HailuoSpec, api_version, nearest_ratio
from .options import MiniMaxOptions

__all__ = [
    "CHINA_BASE_URL",
    "CODE_TABLE",
    "DEFAULT_BASE_URL",
    "KEY_ENV_OPTIONS",
    "V1_MODELS",
    "V2_MODELS",
    "H3Spec",
    "HailuoAdapter",
    "HailuoSpec",
    "MiniMaxAdapter",
    "MiniMaxCredentials",
    "MiniMaxH3Adapter",
    "MiniMaxOptions",
    "api_version",
    "error_for",
    "nearest_ratio",
]
