"""Kling (Kuaishou) video through the v1 task API: text/image-to-video, Omni, lip sync."""

from .adapter import DEFAULT_BASE_URL, KlingAdapter
from .auth import KEY_ENV_OPTIONS, KlingCredentials, encode_jwt
from .codes import CODE_TABLE, error_for
from .lipsync import LipSyncInput
from .omni import OMNI_MODELS
from .options import KlingOptions
from .request import CAMERA_CONTROL

__all__ = [
    "CAMERA_CONTROL",
    "CODE_TABLE",
    "DEFAULT_BASE_URL",
    "KEY_ENV_OPTIONS",
    "OMNI_MODELS",
    "KlingAdapter",
    "KlingCredentials",
    "KlingOptions",
    "LipSyncInput",
    "encode_jwt",
    "error_for",
]
