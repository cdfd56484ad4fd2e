"""xAI Grok Imagine video (providers-2 §1): generations, edits and extensions over JSON REST."""

from .adapter import DEFAULT_BASE_URL, KEY_ENV_OPTIONS, TICKS_PER_USD, XaiAdapter, ticks_to_usd
from .codes import CODE_TABLE, JOB_CODE_TABLE, error_for, job_error
from .options import XaiOptions
from .request import ASPECTS, build_body, nearest_aspect, nearest_resolution, resolutions

__all__ = [
    "ASPECTS",
    "CODE_TABLE",
    "DEFAULT_BASE_URL",
    "JOB_CODE_TABLE",
    "KEY_ENV_OPTIONS",
    "TICKS_PER_USD",
    "XaiAdapter",
    "XaiOptions",
    "build_body",
    "error_for",
    "job_error",
    "nearest_aspect",
    "nearest_resolution",
    "resolutions",
    "ticks_to_usd",
]
