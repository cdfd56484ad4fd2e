"""Locating and running the ffmpeg binary.

A system ffmpeg is used when present (it is usually newer-featured and has ffprobe); otherwise the
static binary that the `imageio-ffmpeg` wheel ships, so a pip install alone is enough.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence

from reelforge._exceptions import MediaError


@functools.cache
def ffmpeg_exe() -> str:
    override = os.environ.get("REELFORGE_FFMPEG")
    if override:
        return override
    system = shutil.which("ffmpeg")
    if system:
        return system
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise MediaError("no ffmpeg found: install reelforge with its dependencies") from exc
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def run_ffmpeg(args: Sequence[str], *, what: str) -> subprocess.CompletedProcess[str]:
    """Run ffmpeg with `args` (no leading binary); raise MediaError naming `what` on failure."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise MediaError(f"ffmpeg failed while {what} (exit {proc.returncode})", stderr=proc.stderr)
    return proc


def start_ffmpeg(args: Sequence[str]) -> subprocess.Popen[str]:
    """Start ffmpeg in the background (to overlap it with other work); see finish_ffmpeg."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error", *args]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def finish_ffmpeg(proc: subprocess.Popen[str], *, what: str) -> None:
    _, stderr = proc.communicate()
    if proc.returncode != 0:
        raise MediaError(f"ffmpeg failed while {what} (exit {proc.returncode})", stderr=stderr)
