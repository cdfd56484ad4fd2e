"""Google Veo through the Gemini Developer API (long-running ``predictLongRunning`` operations)."""

from .adapter import (
    DEFAULT_BASE_URL,
    KEY_ENV_OPTIONS,
    GeminiCredentials,
    VeoAdapter,
)
from .codes import GRPC_STATUS, STATUS_TABLE, error_for
from .options import VeoOptions

__all__ = [
    "DEFAULT_BASE_URL",
    "GRPC_STATUS",
    "KEY_ENV_OPTIONS",
    "STATUS_TABLE",
    "GeminiCredentials",
    "VeoAdapter",
    "VeoOptions",
    "error_for",
]
