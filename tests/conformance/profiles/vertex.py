"""Veo on Vertex AI (sandbox ``vertex``): the Gemini API's operations and Google errors
(tests/test_providers_veo_failures.py), polled with ``fetchPredictOperation``; seed and
``generateAudio`` are honoured; videos come inline in the finished operation."""

from __future__ import annotations

from typing import Any

from reelforge.providers import WireRequest

from ..harness import Profile
from . import veo


def evidence(wire: WireRequest, what: str) -> Any:
    params = wire.body["parameters"]
    if what == "audio":
        return params.get("generateAudio")
    if what == "seed":
        return params.get("seed")
    return veo.evidence(wire, what)


PROFILE = Profile(
    name="vertex",
    sandboxes={("google", "vertex"): "vertex"},
    evidence=evidence,
    errors=veo.ERRORS,
    outcomes=veo.OUTCOMES,
    drop_task=veo.PROFILE.drop_task,
    use_cdn=lambda sbx, cdn: None,
    inline_outputs="without storage_uri the finished operation carries the video as base64",
    reports_charge=lambda route: False,
    charge_note="Google reports no charge per operation: the catalogue quote is the only figure",
)
