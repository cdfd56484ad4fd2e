"""Luma credentials: one API key, sent as ``Authorization: Bearer`` (research §7)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..config import resolve_keys

KEY_ENV_OPTIONS = (("LUMAAI_API_KEY",),)


@dataclass(frozen=True)
class LumaCredentials:
    api_key: str

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ValueError("LumaCredentials needs an api_key")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LumaCredentials:
        return cls(resolve_keys("luma", KEY_ENV_OPTIONS, env)["LUMAAI_API_KEY"])

    def __repr__(self) -> str:  # never print secrets in logs or tracebacks
        return "LumaCredentials(api_key=***)"
