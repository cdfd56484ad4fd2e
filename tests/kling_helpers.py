"""Shared by the Kling adapter tests: no real keys in the environment, an adapter that cannot
reach anything, and a fast Kling sandbox with an adapter pointed at it. Test modules import the
fixtures by name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reelforge.providers import KlingAdapter, KlingCredentials
from reelforge.sandbox import KlingSandbox, KlingSandboxConfig


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KLING_API_KEY", "KLING_ACCESS_KEY", "KLING_SECRET_KEY",
                 "REELFORGE_KLING_BASE_URL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def offline() -> KlingAdapter:
    return KlingAdapter(base_url="http://127.0.0.1:9", credentials=KlingCredentials(api_key="k"))


@pytest.fixture
def kling() -> Iterator[KlingSandbox]:
    with KlingSandbox(KlingSandboxConfig(queue_seconds=0.05, processing_seconds=0.1)) as sbx:
        yield sbx


def adapter_for(sbx: KlingSandbox) -> KlingAdapter:
    return KlingAdapter(base_url=sbx.base_url, credentials=sbx.credentials())
