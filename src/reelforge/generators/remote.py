"""Provider models as generators: a catalogue route rendered through its provider's adapter.

The route is checked against the shot before any HTTP call (refusals name the rule and the
models that can do it); the adapter submits with an idempotency key derived from the request,
so a re-run re-attaches to the provider's task instead of paying twice, then polls, downloads
and hands the clip to the assembly, which conforms it to the delivery spec.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any, ClassVar

from reelforge._exceptions import GeneratorError
from reelforge.generators.base import GeneratedClip, ShotRequest

# (provider, channel) → (module, adapter class, wire models it cannot drive yet). Routes without
# an adapter are listed by `reel models` but cannot render yet.
ADAPTERS: dict[tuple[str, str], tuple[str, str, tuple[str, ...]]] = {
    # The task API adapter picks text2video / image2video, or omni-video for kling-video-* models.
    ("kling", "kling-api"): ("reelforge.providers.kling", "KlingAdapter", ()),
    # The model-path API is another contract (contents/settings/options, GET /tasks, API key
    # only); its own adapter. An ambiguous submit is found again by external_task_ids.
    ("kling", "kling-api-model-path"): (
        "reelforge.providers.kling.model_path",
        "KlingModelPathAdapter",
        (),
    ),
    ("google", "gemini-api"): ("reelforge.providers.veo", "VeoAdapter", ()),
    # Vertex: same body as the Gemini API plus seed/generateAudio; OAuth token + project.
    ("google", "vertex"): ("reelforge.providers.veo.vertex", "VertexVeoAdapter", ()),
    # Seedance has no idempotency key: an ambiguous submit is reconciled by listing (see adapter).
    ("bytedance", "byteplus-modelark"): ("reelforge.providers.seedance", "SeedanceAdapter", ()),
    # Volcengine Ark: the same task API on the China host (doubao- model ids).
    ("bytedance", "volcengine-ark"): (
        "reelforge.providers.seedance.volcengine",
        "VolcengineSeedanceAdapter",
        (),
    ),
    # Runway: no idempotency key, no listing: an ambiguous submit raises, never resubmits.
    # aleph2 edits the shot's source_video; gen4_aleph/gen3a_turbo are gone (removed 2026-06-10).
    ("runway", "runway-api"): (
        "reelforge.providers.runway",
        "RunwayAdapter",
        ("gen4_aleph", "gen3a_turbo"),
    ),
    # v1 Hailuo and v2 MiniMax-H3 share the channel; the adapter picks the API by model. No
    # idempotency key or task listing: an ambiguous submit cannot be reconciled.
    ("minimax", "minimax-api"): ("reelforge.providers.minimax", "MiniMaxAdapter", ()),
    # Luma: no idempotency key; an ambiguous submit is reconciled by listing generations and
    # matching the echoed request. Keyframes are URLs only (local frames are refused).
    ("luma", "dream-machine-api"): ("reelforge.providers.luma", "LumaAdapter", ()),
    # Luma Agents API (ray-3.2, its own host and key): no idempotency key, no listing, no cancel;
    # an ambiguous submit cannot be reconciled. Frames go inline (base64).
    ("luma", "luma-agents-api"): ("reelforge.providers.luma.agents", "LumaAgentsAdapter", ()),
    ("fal", "fal-queue"): ("reelforge.providers.fal", "FalAdapter", ()),
    ("replicate", "replicate-predictions"): (
        "reelforge.providers.replicate",
        "ReplicateAdapter",
        (),
    ),
    # Aggregators through one table-driven adapter (providers/aggregator/profiles.yaml). None
    # documents an idempotency key: an ambiguous submit raises AmbiguousSubmit, never resubmits.
    ("atlascloud", "atlas-predictions"): ("reelforge.providers.aggregator", "AtlasAdapter", ()),
    ("wavespeed", "wavespeed-predictions"): (
        "reelforge.providers.aggregator",
        "WaveSpeedAdapter",
        (),
    ),
    ("higgsfield", "higgsfield-queue"): ("reelforge.providers.aggregator", "HiggsfieldAdapter", ()),
    # sora-2@aimlapi is retired upstream (2026-09-24): excluded here as well as by the check.
    ("aimlapi", "aimlapi-video"): (
        "reelforge.providers.aggregator",
        "AimlapiAdapter",
        ("openai/sora-",),
    ),
    # xAI Grok Imagine: no idempotency key and no listing; re-attach is in-process only.
    ("xai", "xai-api"): ("reelforge.providers.xai", "XaiAdapter", ()),
    # The OpenAI videos shape: Sora itself is retired (refused by the catalogue check), but
    # gateways serve the same contract.
    ("openai", "openai-api"): ("reelforge.providers.openai_videos", "OpenAIVideosAdapter", ()),
    ("apiyi", "openai-compatible-videos"): (
        "reelforge.providers.openai_videos",
        "ApiyiVideosAdapter",
        (),
    ),
}


def has_adapter(provider: str, channel: str, model: str) -> bool:
    entry = ADAPTERS.get((provider, channel))
    return entry is not None and not model.startswith(entry[2])


def make_adapter(route: Any) -> Any:
    """A fresh adapter for a catalogue route (its own HTTP client; close it when done)."""
    module, cls, _ = ADAPTERS[(route.provider, route.channel)]
    return getattr(importlib.import_module(module), cls)()


def idempotency_key(request: ShotRequest) -> str:
    """Stable per request: the same shot asks for the same provider task, never a second one."""
    blob = json.dumps(asdict(request), sort_keys=True, default=str).encode()
    return "rf-" + hashlib.sha256(blob).hexdigest()[:32]


class RemoteGenerator:
    burns_dialogue: ClassVar[bool] = False
    durable: ClassVar[bool] = True  # rendered as a durable job (reelforge.jobs), not in a pool

    def __init__(self, route_id: str) -> None:
        from reelforge.catalogue import get_route, load_catalogue

        catalogue = load_catalogue()
        self.route = get_route(route_id, catalogue)
        self.name = self.route.id
        self.version = f"catalogue-{catalogue.version}/{self.route.model}"
        self.native_audio = self.route.capabilities.native_audio != "none"

    def _adapter(self) -> Any:
        return make_adapter(self.route)

    def _options(self, audio: bool) -> dict[str, Any]:
        options: dict[str, Any] = {"model_name": self.route.model}
        if self.route.mode:
            options["mode"] = self.route.mode
        if self.route.capabilities.native_audio == "toggle":
            options["sound"] = audio
        return options

    def prepare(self, request: ShotRequest) -> tuple[dict[str, Any], Any]:
        """The adapter options for ``request`` and the catalogue check; refusals raise here,
        before any HTTP call."""
        from reelforge.catalogue import check

        result = check(self.route, request)
        if not result.ok:
            raise GeneratorError(
                "; ".join(str(r) for r in result.refusals),
                shot_id=request.shot_id,
                generator=self.name,
            )
        assert result.settings is not None
        return self._options(result.settings.audio), result

    def render(self, request: ShotRequest, out: Path) -> GeneratedClip:
        options, result = self.prepare(request)
        from reelforge.providers import ProviderError

        try:
            meta = asyncio.run(self._run(request, options, out))
        except ProviderError as exc:
            # Re-raised as a GeneratorError: it crosses the process pool as plain text and keeps
            # the provider's typed error name, task id and message.
            task = f" (task {exc.task_id})" if exc.task_id else ""
            raise GeneratorError(
                f"{type(exc).__name__}{task}: {exc}", shot_id=request.shot_id, generator=self.name
            ) from exc
        meta["adjustments"] = [a.message for a in result.adjustments]
        return GeneratedClip(out, request.frames, has_audio=result.settings.audio, meta=meta)

    async def _run(
        self, request: ShotRequest, options: dict[str, Any], out: Path
    ) -> dict[str, Any]:
        from reelforge.providers import Failed, Succeeded

        async with self._adapter() as adapter:
            wire = adapter.build_request(request, options, idempotency_key=idempotency_key(request))
            handle = await adapter.ensure_submitted(wire)
            # REELFORGE_POLL_SECONDS overrides the provider's pace (the sandboxes set it).
            poll = os.environ.get("REELFORGE_POLL_SECONDS")
            state = await adapter.wait(handle, interval=float(poll) if poll else None)
            if isinstance(state, Failed) and state.error is not None:
                raise state.error
            if not isinstance(state, Succeeded):
                raise GeneratorError(
                    f"task {handle.task_id} ended {state.status}",
                    shot_id=request.shot_id,
                    generator=self.name,
                )
            with tempfile.TemporaryDirectory(prefix="remote-", dir=out.parent) as tmp:
                paths = await adapter.download(state, Path(tmp))
                shutil.move(str(paths[0]), out)
        return {
            "provider": self.route.provider,
            "task_id": handle.task_id,
            "charge": str(state.charge) if state.charge is not None else None,
            "billing_unit": getattr(adapter, "billing_unit", ""),
        }
