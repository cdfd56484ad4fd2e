"""The Vertex sandbox's operations: the Veo sandbox's operation book with Vertex's operation names
(``projects/…/publishers/google/models/{model}/operations/{uuid}``) and result shape
(``response.videos[]`` with ``bytesBase64Encoded``, or ``gcsUri`` when ``storageUri`` was sent).

The seed is honoured: the clip is rendered from the seed (one drawn at random when none is sent),
so the same request with the same seed gives the same frames. ``generateAudio`` is honoured: the
clip gets a tone track when audio is on (the default for Veo 3 models) and none when it is off.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._base import BookConfig
from .render import add_tone
from .veo_operations import FILTERED_REASON, Operation, OperationBook

RESPONSE_TYPE = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse"
AUDIO_PREFIXES = ("veo-3",)
TONE_HZ = 440.0  # Vertex clips' tone (not the per-model tone of render_clip)

# Stores a finished clip in the sandbox's Cloud Storage: (storageUri, object suffix, file) → gs://
StoreObject = Callable[[str, str, Path], str]


def makes_audio(model: str, params: dict[str, Any]) -> bool:
    return bool(params.get("generateAudio", True)) and model.startswith(AUDIO_PREFIXES)


class VertexOperationBook(OperationBook):
    def __init__(self, config: BookConfig, store: StoreObject, workdir: Path) -> None:
        super().__init__(config, lambda path: str(path), workdir)  # Vertex publishes no URLs
        self.store = store

    def create_for(self, resource: str, model: str, body: dict[str, Any]) -> Operation:
        """An operation under ``resource`` (the model's resource name, project or express)."""
        return self.create(model, body, name=f"{resource}/operations/{uuid.uuid4()}")

    def _filtered(self, count: int) -> dict[str, Any]:
        return {"raiMediaFilteredCount": count, "raiMediaFilteredReasons": [FILTERED_REASON]}

    def _samples(self, op: Operation, count: int) -> dict[str, Any]:
        params = op.parameters
        seed = params.get("seed")
        seed = int(seed) if seed is not None else self.rng.randrange(1, 2**32)
        videos = []
        for i in range(count):
            out = self._render(op, i, f"seed-{seed + i}")  # frames follow the seed, not the op
            if makes_audio(op.model, params):
                add_tone(out, int(params.get("durationSeconds", 8)), TONE_HZ)
            if params.get("storageUri"):
                uri = self.store(str(params["storageUri"]), f"{op.id}/sample_{i}.mp4", out)
                videos.append({"gcsUri": uri, "mimeType": "video/mp4"})
            else:
                data = base64.b64encode(out.read_bytes()).decode("ascii")
                videos.append({"bytesBase64Encoded": data, "mimeType": "video/mp4"})
        return {"raiMediaFilteredCount": 0, "videos": videos}
