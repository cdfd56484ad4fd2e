"""MiniMax credentials: one API key, sent as ``Authorization: Bearer`` (research §6.1)."""

from __future__ import annotations

from typing import ClassVar

from ..config import ApiKeyCredentials

KEY_ENV_OPTIONS = (("MINIMAX_API_KEY",),)


class MiniMaxCredentials(ApiKeyCredentials):
    key_name: ClassVar[str] = "minimax"
    key_env_options: ClassVar[tuple[tuple[str, ...], ...]] = KEY_ENV_OPTIONS
