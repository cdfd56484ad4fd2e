"""Seedance credentials: one ModelArk API key, sent as ``Authorization: Bearer`` (research §4.1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..config import resolve_keys

KEY_ENV_OPTIONS = (("ARK_API_KEY",),)


@dataclass(frozen=True)
class SeedanceCredentials:
    api_key: str

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ValueError("SeedanceCredentials needs an api_key")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SeedanceCredentials:
        return cls(api_key=resolve_keys("seedance", KEY_ENV_OPTIONS, env)["ARK_API_KEY"])

    def bearer(self) -> str:
        return self.api_key

    def __repr__(self) -> str:  # never print secrets in logs or tracebacks
        return "SeedanceCredentials(api_key=***)"
