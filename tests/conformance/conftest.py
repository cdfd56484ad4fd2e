"""Sandboxes for the conformance modules: one pool per module (each provider's sandbox started
on first use and kept for the module), fast by default, plus pools whose tasks stay queued or
running for a minute (cancel tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import Pool


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    sandboxes = Pool()
    yield sandboxes
    sandboxes.close()


@pytest.fixture(scope="module")
def queued_pool() -> Iterator[Pool]:
    sandboxes = Pool(queue_seconds=60.0)
    yield sandboxes
    sandboxes.close()


@pytest.fixture(scope="module")
def running_pool() -> Iterator[Pool]:
    sandboxes = Pool(processing_seconds=60.0)
    yield sandboxes
    sandboxes.close()
