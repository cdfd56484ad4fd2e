"""Benchmark (a): the example production (6 shots cut to 30 s, 720p24, dialogue) end to end.

Runs `reel render` in a new data folder (nothing cached: speech, previz, mix, assembly,
report; the folder's one-time database set-up is done first), then again unchanged (everything
cached), and beside them a machine reference: ffmpeg
encoding the same number of 720p frames of a test pattern with the same x264 preset previz uses.
Target: the cold render in <= 10 s wall on 2 cores.

    .venv/bin/python benchmarks/render_example.py [--file examples/night-market.yaml]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reelforge.media.ffmpeg import ffmpeg_exe

ROOT = Path(__file__).resolve().parent.parent
REEL = Path(sys.executable).with_name("reel")


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, children included) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", default=str(ROOT / "examples" / "night-market.yaml"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "REELFORGE_HOME": str(Path(tmp) / "home")}
        render = [str(REEL), "render", args.file, "--out", str(Path(tmp) / "out")]
        # The data folder's one-time set-up (database migrations) is not part of a render.
        subprocess.run([str(REEL), "runs"], env=env, check=True, stdout=subprocess.DEVNULL)
        cold = timed(render, env)
        warm = timed(render, env)
        reference = timed(
            [
                ffmpeg_exe(), "-v", "error", "-f", "lavfi",
                "-i", "testsrc2=size=1280x720:rate=24:duration=30",
                "-c:v", "libx264", "-preset", "ultrafast", "-crf", "23", "-f", "null", "-",
            ],
            env,
        )  # fmt: skip
    print(f"{'cold render (nothing cached)':34s} {cold[0]:6.2f} s wall {cold[1]:6.2f} s CPU")
    print(f"{'warm render (unchanged file)':34s} {warm[0]:6.2f} s wall {warm[1]:6.2f} s CPU")
    ref_wall, ref_cpu = reference
    print(f"{'reference: ffmpeg 720 frames 720p':34s} {ref_wall:6.2f} s wall {ref_cpu:6.2f} s CPU")
    verdict = "PASS" if cold[0] <= 10 else "FAIL"
    print(f"target cold render <= 10 s wall: {verdict} ({cold[0]:.2f} s on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
