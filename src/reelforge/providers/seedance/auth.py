"""Seedance credentials: one ModelArk API key, sent as ``Authorization: Bearer`` (research §4.1)."""

from __future__ import annotations

from typing import ClassVar

from ..config import ApiKeyCredentials

KEY_ENV_OPTIONS = (("ARK_API_KEY",),)


class SeedanceCredentials(ApiKeyCredentials):
    key_name: ClassVar[str] = "seedance"
    key_env_options: ClassVar[tuple[tuple[str, ...], ...]] = KEY_ENV_OPTIONS
