"""Shared by the durable-job tests: productions over sandbox providers, `reel` subprocesses,
and the counters that prove nothing was paid for or downloaded twice."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from reelforge.jobs import ledger
from reelforge.store import Store

REEL = str(Path(sys.executable).with_name("reel"))

# Providers that can find a task after its submit's answer was lost (by key or by listing):
# a kill at any moment, even mid-submit, must end with every shot done.
FINDABLE_SHOTS = [
    ("kling", "a lantern swaying in the wind", 5, "kling-v3-std"),
    ("seedance", "waves against the pier", 5, "seedance-2.0"),
    ("luma", "a balloon rising at dawn", 5, "luma-ray-flash-2"),
    ("replicate", "a lighthouse in a storm", 6, "hailuo-2.3@replicate"),
    ("gateway", "a neon alley after rain", 4, "grok-imagine-video@openai-compat"),
]
# Providers that cannot (no key, no listing): a lost submit answer goes to a human.
BLIND_SHOTS = [
    ("veo", "a drone over the harbour", 4, "veo-3.1-fast@gemini"),
    ("grok", "a paper boat on a puddle", 4, "grok-imagine-video"),
    ("runway", "a bicycle in fog", 5, "runway-gen4.5"),
    ("hailuo", "a cat at a window", 6, "hailuo-2.3"),
    ("fal", "a kite over a beach", 5, "kling-v3-std@fal"),
]


def production(path: Path, shots: list[tuple[str, str, int, str]], *, title: str = "Jobs",
               budget: float | None = None, previz: bool = True) -> Path:  # fmt: skip
    lines = [f"title: {title}", "delivery:", "  resolution: 320x180", "  fps: 24"]
    if budget is not None:
        lines.append(f"  max_budget_usd: {budget}")
    lines.append("shots:")
    if previz:
        lines.append("  - {id: opening, prompt: a quiet street at night, duration: 2}")
    for shot_id, prompt, seconds, model in shots:
        lines.append(
            f"  - {{id: {shot_id}, prompt: {prompt}, duration: {seconds}, model: {model}}}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def reel(
    *args: str, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [REEL, *args], env={**os.environ, **(env or {})}, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


def servers_of(boxes: dict[str, Any]) -> list[Any]:
    """Every sandbox and the file hosts ("CDNs") some of them serve outputs from."""
    out = []
    for box in boxes.values():
        out.append(box)
        if getattr(box, "cdn", None) is not None:
            out.append(box.cdn)
    return out


def submits_by_provider(boxes: dict[str, Any]) -> dict[str, int]:
    return {name: len(box.accepted_submits()) for name, box in boxes.items()}


def repeated_downloads(boxes: dict[str, Any]) -> dict[str, int]:
    counts = Counter(path for s in servers_of(boxes) for path in s.completed_downloads())
    return {path: n for path, n in counts.items() if n > 1}


def balanced(store: Store, run_id: str | None = None) -> ledger.Balance:
    with store.engine.connect() as conn:
        return ledger.balance(conn, run_id=run_id)


def set_processing(box: Any, seconds: float) -> None:
    """How long the sandbox's tasks run from now on (its own config and its task book's)."""
    for config in (box.config, getattr(getattr(box, "book", None), "config", None)):
        if config is not None and hasattr(config, "processing_seconds"):
            config.processing_seconds = seconds
