"""Runway credentials: one API secret, sent as ``Authorization: Bearer`` with the required
``X-Runway-Version`` header (research §5.1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..config import resolve_keys

KEY_ENV_OPTIONS = (("RUNWAYML_API_SECRET",),)


@dataclass(frozen=True)
class RunwayCredentials:
    api_secret: str

    def __post_init__(self) -> None:
        if not self.api_secret:
            raise ValueError("RunwayCredentials needs an api_secret")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RunwayCredentials:
        return cls(resolve_keys("runway", KEY_ENV_OPTIONS, env)["RUNWAYML_API_SECRET"])

    def __repr__(self) -> str:  # never print secrets in logs or tracebacks
        return "RunwayCredentials(api_secret=***)"
