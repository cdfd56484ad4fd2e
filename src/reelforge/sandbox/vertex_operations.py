"""The Vertex sandbox's operations: the Veo sandbox's operation book with Vertex's operation names
(``projects/…/publishers/google/models/{model}/operations/{uuid}``) and result shape
(``response.videos[]`` with ``bytesBase64Encoded``, or ``gcsUri`` when ``storageUri`` was sent).

The seed is honoured: the clip is rendered from the seed (one drawn at random when none is sent),
so the same request with the same seed gives the same frames. ``generateAudio`` is honoured: the
clip gets a tone track when audio is on (the default for Veo 3 models) and none when it is off.
"""

from __future__ import annotations

import base64
import math
import time
import uuid
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from .render import render_clip
from .veo_operations import FILTERED_REASON, Operation, OperationBook, VeoOperationsConfig

RESPONSE_TYPE = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse"
AUDIO_PREFIXES = ("veo-3",)
AUDIO_RATE = 48000

# Stores a finished clip in the sandbox's Cloud Storage: (storageUri, object suffix, file) → gs://
StoreObject = Callable[[str, str, Path], str]


def as_json(op: Operation) -> dict[str, Any]:
    data: dict[str, Any] = {"name": op.name}
    if op.done:
        data["done"] = True
        if op.error is not None:
            data["error"] = op.error
        elif op.response is not None:
            data["response"] = {"@type": RESPONSE_TYPE, **op.response}
    return data


def makes_audio(model: str, params: dict[str, Any]) -> bool:
    return bool(params.get("generateAudio", True)) and model.startswith(AUDIO_PREFIXES)


def add_tone(path: Path, seconds: float) -> None:
    """Remux ``path`` with a quiet AAC sine track (in-process: no ffmpeg subprocess from a
    sandbox thread, which a forked render worker could inherit)."""
    import av
    import numpy as np

    tmp = path.with_name(f".{path.name}.audio.mp4")
    with av.open(str(path)) as src, av.open(str(tmp), "w", format="mp4") as dst:
        vin = src.streams.video[0]
        vout = dst.add_stream_from_template(vin)
        aout = dst.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        for packet in src.demux(vin):
            if packet.dts is None:
                continue
            packet.stream = vout
            dst.mux(packet)
        total = math.ceil(seconds * AUDIO_RATE)
        step = 1024
        for start in range(0, total, step):
            n = min(step, total - start)
            t = (np.arange(start, start + n) / AUDIO_RATE).astype(np.float32)
            samples = (0.1 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate = AUDIO_RATE
            frame.pts = start
            frame.time_base = Fraction(1, AUDIO_RATE)
            for packet in aout.encode(frame):
                dst.mux(packet)
        for packet in aout.encode(None):
            dst.mux(packet)
    tmp.replace(path)


class VertexOperationBook(OperationBook):
    def __init__(self, config: VeoOperationsConfig, store: StoreObject) -> None:
        super().__init__(config, publish=lambda path: str(path))  # Vertex publishes no URLs
        self.store = store

    def create_for(self, resource: str, model: str, body: dict[str, Any]) -> Operation:
        """An operation under ``resource`` (the model's resource name, project or express)."""
        now = time.time()
        op = Operation(
            name=f"{resource}/operations/{uuid.uuid4()}",
            model=model,
            body=body,
            created_at=now,
            due_at=now + self.config.queue_seconds + self.config.processing_seconds,
        )
        with self.lock:
            self.operations[op.name] = op
        return op

    def _finish(self, op: Operation) -> None:
        prompt = str(op.instance.get("prompt", ""))
        params = op.parameters
        count = int(params.get("sampleCount", 1))
        op.done = True
        if any(w in prompt.lower() for w in self.config.late_blocked_words):
            op.response = {
                "raiMediaFilteredCount": count,
                "raiMediaFilteredReasons": [FILTERED_REASON],
            }
            return
        if self.config.failure_rate and self.rng.random() < self.config.failure_rate:
            op.error = {"code": 13, "message": "Video generation failed due to an internal error."}
            return
        seed = params.get("seed")
        seed = int(seed) if seed is not None else self.rng.randrange(1, 2**32)
        seconds = int(params.get("durationSeconds", 8))
        op_id = op.name.rsplit("/", 1)[-1]
        videos = []
        for i in range(count):
            out = self.workdir / f"{op_id}-{i}.mp4"
            render_clip(
                out,
                task_id=f"seed-{seed + i}",  # the frames depend on the seed, not the operation
                model=op.model,
                mode=str(params.get("resolution", "720p")),
                prompt=prompt,
                seconds=seconds,
                fps=self.config.render_fps,
                aspect=str(params.get("aspectRatio", "16:9")),
                first_frame=self._frame(op, "image"),
                last_frame=self._frame(op, "lastFrame"),
            )
            if makes_audio(op.model, params):
                add_tone(out, seconds)
            if params.get("storageUri"):
                uri = self.store(str(params["storageUri"]), f"{op_id}/sample_{i}.mp4", out)
                videos.append({"gcsUri": uri, "mimeType": "video/mp4"})
            else:
                data = base64.b64encode(out.read_bytes()).decode("ascii")
                videos.append({"bytesBase64Encoded": data, "mimeType": "video/mp4"})
        op.response = {"raiMediaFilteredCount": 0, "videos": videos}
