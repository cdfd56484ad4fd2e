"""MiniMax credentials: one API key, sent as ``Authorization: Bearer`` (research §6.1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..config import resolve_keys

KEY_ENV_OPTIONS = (("MINIMAX_API_KEY",),)


@dataclass(frozen=True)
class MiniMaxCredentials:
    api_key: str

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ValueError("MiniMaxCredentials needs an api_key")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MiniMaxCredentials:
        return cls(api_key=resolve_keys("minimax", KEY_ENV_OPTIONS, env)["MINIMAX_API_KEY"])

    def bearer(self) -> str:
        return self.api_key

    def __repr__(self) -> str:  # never print secrets in logs or tracebacks
        return "MiniMaxCredentials(api_key=***)"
