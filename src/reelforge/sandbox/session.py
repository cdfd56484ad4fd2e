"""`reel render --sandbox`: every provider with a sandbox served on loopback for one run.

The environment is pointed at the sandboxes (base URLs and sandbox keys) before the render
workers start, so the real adapters run unchanged over real HTTP; it is restored afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from reelforge.sandbox.kling import KlingSandbox, KlingSandboxConfig
from reelforge.sandbox.minimax import MiniMaxSandbox, MiniMaxSandboxConfig
from reelforge.sandbox.openai_videos import OpenAIVideosSandbox, OpenAIVideosSandboxConfig
from reelforge.sandbox.runway import RunwaySandbox, RunwaySandboxConfig
from reelforge.sandbox.seedance import SeedanceSandbox, SeedanceSandboxConfig
from reelforge.sandbox.server import LoopbackServer
from reelforge.sandbox.veo import VeoSandbox, VeoSandboxConfig
from reelforge.sandbox.xai import XaiSandbox, XaiSandboxConfig

# Sandboxes answer in a fraction of a second: poll them that often, not at the real APIs' pace.
POLL_SECONDS = "0.2"


@contextmanager
def sandboxes(*, render_fps: int = 24) -> Iterator[dict[str, LoopbackServer]]:
    """Start the sandboxes; yields provider → running sandbox (its counters, its log)."""
    saved = dict(os.environ)
    with ExitStack() as stack:
        kling = stack.enter_context(
            KlingSandbox(
                KlingSandboxConfig(queue_seconds=0.2, processing_seconds=0.5, render_fps=render_fps)
            )
        )
        veo = stack.enter_context(
            VeoSandbox(
                VeoSandboxConfig(queue_seconds=0.2, processing_seconds=0.5, render_fps=render_fps)
            )
        )
        seedance = stack.enter_context(
            SeedanceSandbox(
                SeedanceSandboxConfig(
                    queue_seconds=0.2, processing_seconds=0.5, render_fps=render_fps
                )
            )
        )
        openai_videos = stack.enter_context(
            OpenAIVideosSandbox(
                OpenAIVideosSandboxConfig(
                    queue_seconds=0.2, processing_seconds=0.5, render_fps=render_fps
                )
            )
        )
        xai = stack.enter_context(
            XaiSandbox(
                XaiSandboxConfig(queue_seconds=0.2, processing_seconds=0.5, render_fps=render_fps)
            )
        )
        runway = stack.enter_context(
            RunwaySandbox(
                RunwaySandboxConfig(
                    queue_seconds=0.2, processing_seconds=0.5, render_fps=render_fps
                )
            )
        )
        minimax = stack.enter_context(
            MiniMaxSandbox(
                MiniMaxSandboxConfig(
                    queue_seconds=0.2, processing_seconds=0.5, render_fps=render_fps
                )
            )
        )
        env = {
            "REELFORGE_MINIMAX_BASE_URL": minimax.base_url,  # host only: paths carry /v1, /v2
            "MINIMAX_API_KEY": minimax.config.api_key,
            "REELFORGE_RUNWAY_BASE_URL": runway.base_url,  # host only; paths carry /v1
            "RUNWAYML_API_SECRET": runway.config.api_key,
            "REELFORGE_XAI_BASE_URL": xai.api_base,  # includes /v1
            "XAI_API_KEY": xai.config.api_key,
            "REELFORGE_OPENAI_BASE_URL": openai_videos.api_base,  # includes /v1
            "OPENAI_API_KEY": openai_videos.config.api_key,
            # The relay route speaks the same shape: served by the same sandbox.
            "REELFORGE_APIYI_BASE_URL": openai_videos.api_base,
            "APIYI_API_KEY": openai_videos.config.api_key,
            "REELFORGE_SEEDANCE_BASE_URL": seedance.api_base,  # includes /api/v3
            "ARK_API_KEY": seedance.config.api_key,
            "REELFORGE_KLING_BASE_URL": kling.base_url,
            "KLING_API_KEY": kling.config.api_key or "",
            "REELFORGE_GEMINI_BASE_URL": veo.base_url,
            "GEMINI_API_KEY": veo.config.api_key,
            "REELFORGE_POLL_SECONDS": POLL_SECONDS,
        }
        for name in ("KLING_ACCESS_KEY", "KLING_SECRET_KEY", "GOOGLE_API_KEY"):
            os.environ.pop(name, None)  # the sandboxes' keys only: never a real one
        os.environ.update(env)
        try:
            yield {
                "kling": kling,
                "google": veo,
                "seedance": seedance,
                "openai": openai_videos,
                "xai": xai,
                "runway": runway,
                "minimax": minimax,
            }
        finally:
            os.environ.clear()
            os.environ.update(saved)
