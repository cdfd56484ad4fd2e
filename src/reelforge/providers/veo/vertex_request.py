"""ShotRequest → Veo ``predictLongRunning`` body for Vertex AI (research §1.2).

The instance and the shared parameters are exactly the Gemini API's, so they are built by
:func:`.request.build_body`; Vertex then adds what only it accepts: ``seed``, ``generateAudio``
(audio is a toggle on Vertex, always on with the Gemini API) and ``storageUri`` (outputs written to
Cloud Storage instead of returned inline).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import field_validator

from ...generators.base import ShotRequest
from ..errors import InvalidRequest
from .options import VeoOptions
from .request import AUDIO_PREFIXES, PROVIDER, build_body

DEFAULT_MODEL = "veo-3.1-generate-001"  # Vertex GA id (research §1.2)
SEED_MAX = 2**32 - 1  # `seed` is a uint32 on the wire


class VertexVeoOptions(VeoOptions):
    """The Gemini options plus the Vertex-only ones (still extra="forbid")."""

    storage_uri: str | None = None  # gs://bucket/prefix/: outputs land there, not inline

    @field_validator("storage_uri")
    @classmethod
    def _gcs(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("gs://"):
            raise ValueError("storage_uri must be a gs:// Cloud Storage URI")
        return value


def build_vertex_body(
    request: ShotRequest, options: VertexVeoOptions
) -> tuple[str, dict[str, Any], list[str]]:
    """The model id, the JSON body and adjustment warnings. Raises InvalidRequest early."""
    shared = VeoOptions.model_validate(
        options.model_dump(include=set(VeoOptions.model_fields), exclude={"sound"})
    )
    name = (options.model_name or request.model).removeprefix("google/")
    if not name.startswith("veo-"):  # the Gemini default is a preview id Vertex does not serve
        shared = shared.model_copy(update={"model_name": DEFAULT_MODEL})
    # Seed and sound are handled here: the Gemini builder only warns that it cannot send them.
    model, body, warnings = build_body(replace(request, seed=0), shared)
    params: dict[str, Any] = body["parameters"]
    if request.seed:
        if not 0 < request.seed <= SEED_MAX:
            raise InvalidRequest(
                f"seed {request.seed} is outside Vertex's uint32 range",
                provider=PROVIDER,
                model=model,
            )
        params["seed"] = request.seed
    if options.sound is not None:
        if model.startswith(AUDIO_PREFIXES):
            params["generateAudio"] = options.sound
        elif options.sound:
            warnings.append(f"{model} makes no audio; the clip is silent")
    if options.storage_uri:
        params["storageUri"] = options.storage_uri
    return model, body, warnings
