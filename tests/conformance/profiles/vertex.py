"""Veo on Vertex AI (sandbox ``vertex``): the Gemini API's operations and Google errors
(tests/test_providers_veo_failures.py), polled with ``fetchPredictOperation``; seed and
``generateAudio`` are honoured; videos come inline in the finished operation."""

from __future__ import annotations

from ..harness import Profile, never, wire_paths
from . import veo

PROFILE = Profile(
    name="vertex",
    sandboxes={("google", "vertex"): "vertex"},
    evidence=wire_paths(**veo.FRAMES, audio="parameters.generateAudio", seed="parameters.seed"),
    errors=veo.ERRORS,
    outcomes=veo.OUTCOMES,
    drop_task=veo.PROFILE.drop_task,
    use_cdn=lambda sbx, cdn: None,
    inline_outputs="without storage_uri the finished operation carries the video as base64",
    reports_charge=never,
    charge_note=veo.PROFILE.charge_note,
)
