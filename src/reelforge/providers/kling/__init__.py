"""Kling (Kuaishou) video generation through the v1 task API."""

from .adapter import DEFAULT_BASE_URL, KlingAdapter
from .auth import KEY_ENV_OPTIONS, KlingCredentials, encode_jwt
from .codes import CODE_TABLE, error_for
from .options import KlingOptions
from .request import CAMERA_CONTROL

__all__ = [
    "CAMERA_CONTROL",
    "CODE_TABLE",
    "DEFAULT_BASE_URL",
    "KEY_ENV_OPTIONS",
    "KlingAdapter",
    "KlingCredentials",
    "KlingOptions",
    "encode_jwt",
    "error_for",
]
