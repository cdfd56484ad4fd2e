"""A Kling sandbox in its own process for the job benchmarks (so its CPU is not ours): tasks
take TASK_SECONDS, no concurrency cap, and every task's clip is one pre-rendered file (1,000
previz renders would only measure the sandbox). Prints the env lines, then serves until killed.

    python benchmarks/_kling_farm.py TASK_SECONDS
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import reelforge.sandbox.kling_tasks as kling_tasks
import reelforge.sandbox.render as sandbox_render
from reelforge.sandbox.kling import KlingSandbox, KlingSandboxConfig


def main() -> None:
    task_seconds = float(sys.argv[1])
    folder = Path(tempfile.mkdtemp(prefix="kling-farm-"))
    master = folder / "master.mp4"
    sandbox_render.render_clip(
        master,
        task_id="m",
        model="kling-v3",
        mode="std",
        prompt="farm",
        seconds=5,
        fps=8,
        aspect="16:9",
    )

    def copy_clip(out: Path, **_: object) -> Path:
        shutil.copyfile(master, out)
        return out

    sandbox_render.render_clip = copy_clip  # type: ignore[assignment]
    kling_tasks.render_clip = copy_clip  # type: ignore[attr-defined]
    config = KlingSandboxConfig(
        queue_seconds=0.0, processing_seconds=task_seconds, concurrency_limit=100_000
    )
    with KlingSandbox(config) as box:
        print(f"REELFORGE_KLING_BASE_URL={box.base_url}", flush=True)
        print(f"KLING_API_KEY={config.api_key}", flush=True)
        print("READY", flush=True)
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()
