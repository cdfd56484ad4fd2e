"""Stored API keys (`reel keys set PROVIDER`): one JSON file, readable by its owner only.

The environment wins over the file, so a CI job or a one-off shell can override a stored key.
Values are never printed, logged or put in reports; `reel keys list` shows names only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from reelforge._exceptions import StoreError

# The variable `reel keys set PROVIDER` stores by default: each provider's usual one.
PRIMARY_KEY: dict[str, str] = {
    "kling": "KLING_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "vertex": "GOOGLE_API_KEY",
    "openai": "OPENAI_API_KEY",
    "seedance": "ARK_API_KEY",
    "volcengine": "VOLCENGINE_ARK_API_KEY",  # ARK_API_KEY also works when set alone
    "runway": "RUNWAYML_API_SECRET",
    "minimax": "MINIMAX_API_KEY",
    "luma": "LUMAAI_API_KEY",
    "luma-agents": "LUMA_AGENTS_API_KEY",  # the Agents API (ray-3.2): keys start luma-api-
    "xai": "XAI_API_KEY",
    "fal": "FAL_KEY",
    "replicate": "REPLICATE_API_TOKEN",
    "atlas": "ATLASCLOUD_API_KEY",
    "wavespeed": "WAVESPEED_API_KEY",
    "higgsfield": "HF_KEY",
    "aimlapi": "AIMLAPI_API_KEY",
}


def keys_path() -> Path:
    from reelforge.store.paths import data_home

    return data_home() / "keys.json"


def stored_keys() -> dict[str, str]:
    """Every stored variable (name → value); empty when nothing was stored."""
    path = keys_path()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot read the key file {path}: {exc}") from exc
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def store_key(name: str, value: str) -> Path:
    """Store `name` = `value`; the file is created readable and writable by its owner only."""
    if not value.strip():
        raise StoreError(f"refusing to store an empty value for {name}")
    keys = stored_keys()
    keys[name] = value.strip()
    path = keys_path()
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(keys, handle, indent=2, sort_keys=True)
    os.replace(tmp, path)  # atomic: a crash never leaves a half-written key file
    return path
