"""Any server honouring the OpenAI videos contract (``/v1/videos``): OpenAI's retired Sora 2 API,
OpenAI-shaped gateways, and reelforge's sandbox."""

from .adapter import (
    DEFAULT_BASE_URL,
    KEY_ENV_OPTIONS,
    ApiyiVideosAdapter,
    OpenAIVideosAdapter,
    fingerprint,
)
from .codes import CODE_TABLE, TYPE_TABLE, error_for
from .options import OpenAIVideosOptions
from .request import allowed_seconds, allowed_sizes, fit_image, nearest_size

__all__ = [
    "CODE_TABLE",
    "DEFAULT_BASE_URL",
    "KEY_ENV_OPTIONS",
    "TYPE_TABLE",
    "ApiyiVideosAdapter",
    "OpenAIVideosAdapter",
    "OpenAIVideosOptions",
    "allowed_seconds",
    "allowed_sizes",
    "error_for",
    "fingerprint",
    "fit_image",
    "nearest_size",
]
