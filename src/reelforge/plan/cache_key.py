"""Cache keys: a digest of everything that changes a shot's pixels or sound.

Input files enter the key by their content hash, not their path, so moving a production folder
keeps its cache and editing a reference image in place invalidates it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from enum import Enum
from pathlib import Path
from typing import Any


@functools.cache
def _file_digest(path: Path, mtime_ns: int, size: int) -> str:
    # Keyed on (path, mtime, size) so a long session re-hashes only files that changed.
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_digest(path: Path) -> str:
    stat = path.stat()
    return _file_digest(path, stat.st_mtime_ns, stat.st_size)


def canonical(value: Any) -> Any:
    """A JSON-able form of a request: dataclasses become dicts, files become their digest."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: canonical(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not (f.metadata.get("key_omit_default") and getattr(value, f.name) == f.default)
        }
    if isinstance(value, Path):
        return {"sha256": file_digest(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    return value


def cache_key(*, generator: str, version: str, request: Any, extra: Any = None) -> str:
    payload = {"generator": generator, "version": version, "request": canonical(request)}
    if extra is not None:
        payload["extra"] = canonical(extra)
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()
