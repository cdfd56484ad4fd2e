"""`reel render --sandbox`: every provider with a sandbox served on loopback for one run.

The environment is pointed at the sandboxes (base URLs and sandbox keys) before the render
workers start, so the real adapters run unchanged over real HTTP; it is restored afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from reelforge.sandbox.aggregator import (
    AggregatorSandboxConfig,
    AimlapiSandbox,
    AtlasSandbox,
    HiggsfieldSandbox,
    WaveSpeedSandbox,
)
from reelforge.sandbox.fal import FalSandbox, FalSandboxConfig
from reelforge.sandbox.kling import KlingSandbox, KlingSandboxConfig
from reelforge.sandbox.kling_model_path import (
    KlingModelPathSandbox,
    KlingModelPathSandboxConfig,
)
from reelforge.sandbox.luma import LumaSandbox, LumaSandboxConfig
from reelforge.sandbox.luma_agents import LumaAgentsSandbox, LumaAgentsSandboxConfig
from reelforge.sandbox.minimax import MiniMaxSandbox, MiniMaxSandboxConfig
from reelforge.sandbox.openai_videos import OpenAIVideosSandbox, OpenAIVideosSandboxConfig
from reelforge.sandbox.replicate import ReplicateSandbox, ReplicateSandboxConfig
from reelforge.sandbox.runway import RunwaySandbox, RunwaySandboxConfig
from reelforge.sandbox.seedance import SeedanceSandbox, SeedanceSandboxConfig
from reelforge.sandbox.server import LoopbackServer
from reelforge.sandbox.veo import VeoSandbox, VeoSandboxConfig
from reelforge.sandbox.vertex import VertexSandbox, VertexSandboxConfig
from reelforge.sandbox.xai import XaiSandbox, XaiSandboxConfig

# Sandboxes answer in a fraction of a second: poll them that often, not at the real APIs' pace.
POLL_SECONDS = "0.2"

# Real credentials that must not leak into a sandboxed run next to the sandboxes' own keys.
OTHER_KEYS = ("KLING_ACCESS_KEY", "KLING_SECRET_KEY", "GOOGLE_API_KEY", "FAL_KEY_ID",
              "FAL_KEY_SECRET", "HF_API_KEY", "HF_API_SECRET", "AIML_API_KEY")  # fmt: skip

# provider → (sandbox class, its config class, the env vars pointing the adapter at it). Each
# base URL means what that provider's own SDK means by one (host only, or host + version).
Env = Callable[[Any], dict[str, str]]
SANDBOXES: dict[str, tuple[type[Any], type[Any], Env]] = {
    "kling": (KlingSandbox, KlingSandboxConfig, lambda s: {
        "REELFORGE_KLING_BASE_URL": s.base_url, "KLING_API_KEY": s.config.api_key or ""}),
    # Kling's model-path API: the same real host and key, its own sandbox and base-URL variable
    # (both sandboxes default to the same sandbox key, as one account's key serves both APIs).
    "kling-model-path": (KlingModelPathSandbox, KlingModelPathSandboxConfig, lambda s: {
        "REELFORGE_KLING_MODEL_PATH_BASE_URL": s.base_url, "KLING_API_KEY": s.config.api_key}),
    "google": (VeoSandbox, VeoSandboxConfig, lambda s: {
        "REELFORGE_GEMINI_BASE_URL": s.base_url, "GEMINI_API_KEY": s.config.api_key}),
    "seedance": (SeedanceSandbox, SeedanceSandboxConfig, lambda s: {  # includes /api/v3
        "REELFORGE_SEEDANCE_BASE_URL": s.api_base, "ARK_API_KEY": s.config.api_key}),
    # Volcengine Ark speaks ModelArk's contract on its own host: a second Seedance sandbox.
    "volcengine": (SeedanceSandbox, SeedanceSandboxConfig, lambda s: {  # includes /api/v3
        "REELFORGE_VOLCENGINE_BASE_URL": s.api_base, "VOLCENGINE_ARK_API_KEY": s.config.api_key}),
    # Vertex: host only (paths carry /v1), bearer token, project and location; also its GCS.
    "vertex": (VertexSandbox, VertexSandboxConfig, lambda s: s.env()),
    "openai": (OpenAIVideosSandbox, OpenAIVideosSandboxConfig, lambda s: {  # includes /v1
        "REELFORGE_OPENAI_BASE_URL": s.api_base, "OPENAI_API_KEY": s.config.api_key,
        # The relay route speaks the same shape: served by the same sandbox.
        "REELFORGE_APIYI_BASE_URL": s.api_base, "APIYI_API_KEY": s.config.api_key}),
    "xai": (XaiSandbox, XaiSandboxConfig, lambda s: {  # includes /v1
        "REELFORGE_XAI_BASE_URL": s.api_base, "XAI_API_KEY": s.config.api_key}),
    "runway": (RunwaySandbox, RunwaySandboxConfig, lambda s: {  # host only; paths carry /v1
        "REELFORGE_RUNWAY_BASE_URL": s.base_url, "RUNWAYML_API_SECRET": s.config.api_key}),
    "minimax": (MiniMaxSandbox, MiniMaxSandboxConfig, lambda s: {  # paths carry /v1, /v2
        "REELFORGE_MINIMAX_BASE_URL": s.base_url, "MINIMAX_API_KEY": s.config.api_key}),
    "luma": (LumaSandbox, LumaSandboxConfig, lambda s: {  # includes /dream-machine/v1
        "REELFORGE_LUMA_BASE_URL": s.api_base, "LUMAAI_API_KEY": s.config.api_key}),
    # The Luma Agents API (ray-3.2): its own host and key, so its own sandbox.
    "luma-agents": (LumaAgentsSandbox, LumaAgentsSandboxConfig, lambda s: {  # includes /v1
        "REELFORGE_LUMA_AGENTS_BASE_URL": s.api_base, "LUMA_AGENTS_API_KEY": s.config.api_key}),
    "fal": (FalSandbox, FalSandboxConfig, lambda s: {  # the queue host
        "REELFORGE_FAL_BASE_URL": s.base_url, "FAL_KEY": s.config.api_key}),
    "replicate": (ReplicateSandbox, ReplicateSandboxConfig, lambda s: {  # paths carry /v1
        "REELFORGE_REPLICATE_BASE_URL": s.base_url, "REPLICATE_API_TOKEN": s.config.api_token}),
    # Aggregators: one generic sandbox speaking each profile's family (env(): base URL + key).
    "atlas": (AtlasSandbox, AggregatorSandboxConfig, lambda s: s.env()),
    "wavespeed": (WaveSpeedSandbox, AggregatorSandboxConfig, lambda s: s.env()),
    "higgsfield": (HiggsfieldSandbox, AggregatorSandboxConfig, lambda s: s.env()),
    "aimlapi": (AimlapiSandbox, AggregatorSandboxConfig, lambda s: s.env()),
}  # fmt: skip


def start_sandboxes(
    stack: ExitStack, *, providers: Iterable[str] | None = None, render_fps: int = 24
) -> tuple[dict[str, LoopbackServer], dict[str, str]]:
    """Start the named sandboxes (default: all) on ``stack`` without touching ``os.environ``;
    returns provider → running sandbox, and the environment that points the adapters at them
    (`reel sandbox` prints it for another shell). Unknown names raise ValueError."""
    names = list(SANDBOXES) if providers is None else list(dict.fromkeys(providers))
    if unknown := [n for n in names if n not in SANDBOXES]:
        raise ValueError(f"no sandbox for {', '.join(unknown)}; choose from {', '.join(SANDBOXES)}")
    running: dict[str, LoopbackServer] = {}
    env = {"REELFORGE_POLL_SECONDS": POLL_SECONDS}
    for provider in names:
        sandbox, config, env_of = SANDBOXES[provider]
        config_ = config(queue_seconds=0.2, processing_seconds=0.5, render_fps=render_fps)
        running[provider] = stack.enter_context(sandbox(config_))
        env.update(env_of(running[provider]))
    return running, env


@contextmanager
def sandboxes(*, render_fps: int = 24) -> Iterator[dict[str, LoopbackServer]]:
    """Start the sandboxes; yields provider → running sandbox (its counters, its log)."""
    saved = dict(os.environ)
    with ExitStack() as stack:
        running, env = start_sandboxes(stack, render_fps=render_fps)
        for name in OTHER_KEYS:
            os.environ.pop(name, None)  # the sandboxes' keys only: never a real one
        os.environ.update(env)
        try:
            yield running
        finally:
            os.environ.clear()
            os.environ.update(saved)
