"""Named crash points for the kill -9 tests: ``REELFORGE_CRASH_AT=point[:n]`` makes the process
SIGKILL itself the n-th time (default first) it reaches ``point``. Unset, this is one dict
lookup. Points: submit-before-post, submit-after-accept, poll, download, assemble."""

from __future__ import annotations

import os
import signal

_seen: dict[str, int] = {}


def crash_point(name: str) -> None:
    spec = os.environ.get("REELFORGE_CRASH_AT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
