"""Luma credentials: one API key, sent as ``Authorization: Bearer`` (research §7)."""

from __future__ import annotations

from typing import ClassVar

from ..config import ApiKeyCredentials

KEY_ENV_OPTIONS = (("LUMAAI_API_KEY",),)


class LumaCredentials(ApiKeyCredentials):
    key_name: ClassVar[str] = "luma"
    key_env_options: ClassVar[tuple[tuple[str, ...], ...]] = KEY_ENV_OPTIONS
