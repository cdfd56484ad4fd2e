"""Where a provider lives and which keys it uses, from the environment.

Base URLs are overridable per provider (``REELFORGE_<PROVIDER>_BASE_URL``) so tests and sandboxes
can point an unchanged adapter at a loopback server.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Self

from .errors import MissingKey


def base_url_env(provider: str) -> str:
    return f"REELFORGE_{provider.upper().replace('-', '_')}_BASE_URL"


def resolve_base_url(provider: str, default: str, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return (env.get(base_url_env(provider)) or default).rstrip("/")


def resolve_keys(
    provider: str,
    options: Sequence[Sequence[str]],
    env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The first group of variables that is fully set, e.g. ``[("KLING_API_KEY",),
    ("KLING_ACCESS_KEY", "KLING_SECRET_KEY")]``, looked up in the environment and then in the
    keys stored by `reel keys set`; otherwise a :class:`MissingKey` naming them all."""
    from .keys import stored_keys

    env = os.environ if env is None else env
    for source in (env, stored_keys()):
        for group in options:
            values = {name: source.get(name, "").strip() for name in group}
            if all(values.values()):
                return values
    raise MissingKey(provider, options)


@dataclass(frozen=True, repr=False)
class ApiKeyCredentials:
    """One API key, sent as a bearer token. A subclass names where `from_env` looks it up:
    ``key_name`` (`reel keys set NAME`) and ``key_env_options`` (its variable)."""

    api_key: str
    key_name: ClassVar[str]
    key_env_options: ClassVar[tuple[tuple[str, ...], ...]]

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ValueError(f"{type(self).__name__} needs an api_key")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        found = resolve_keys(cls.key_name, cls.key_env_options, env)
        return cls(api_key=next(iter(found.values())))

    def bearer(self) -> str:
        return self.api_key

    def __repr__(self) -> str:  # never print secrets in logs or tracebacks
        return f"{type(self).__name__}(api_key=***)"
