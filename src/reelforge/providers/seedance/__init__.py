"""ByteDance Seedance video generation through the BytePlus ModelArk task API (``/api/v3``)."""

from .adapter import DEFAULT_BASE_URL, VOLCENGINE_BASE_URL, SeedanceAdapter, fingerprint
from .auth import KEY_ENV_OPTIONS, SeedanceCredentials
from .codes import CODE_TABLE, error_for
from .models import DEFAULT_MODEL, MODELS, ModelSpec, dimensions, nearest_ratio, token_count
from .options import SeedanceOptions

__all__ = [
    "CODE_TABLE",
    "DEFAULT_BASE_URL",
    "DEFAULT_MODEL",
    "KEY_ENV_OPTIONS",
    "MODELS",
    "VOLCENGINE_BASE_URL",
    "ModelSpec",
    "SeedanceAdapter",
    "SeedanceCredentials",
    "SeedanceOptions",
    "dimensions",
    "error_for",
    "fingerprint",
    "nearest_ratio",
    "token_count",
]
