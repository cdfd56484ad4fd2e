"""Replicate predictions (sandbox ``replicate``). RFC 7807 problems as in
tests/test_providers_replicate_failures.py (research §9)."""

from __future__ import annotations

from typing import Any

from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    InvalidRequest,
    ModerationRejected,
    QuotaExceeded,
    RateLimited,
    TaskFailed,
    TransientProviderError,
    WireRequest,
)
from reelforge.sandbox.replicate import ReplicateFault as Fault

from ..harness import ErrorRow, Outcome, Profile, find

FIRST = ("image", "start_image", "first_frame_image", "input_reference")
LAST = ("last_frame", "end_image")


def evidence(wire: WireRequest, what: str) -> Any:
    inp = wire.body["input"]
    if what == "first_frame":
        return any(find(inp, k) for k in FIRST)
    if what == "last_frame":
        return any(find(inp, k) for k in LAST)
    if what == "reference_images":
        return 0
    if what == "audio":
        return inp.get("generate_audio")
    return inp.get("seed")


E005 = "The input was flagged as sensitive (E005)"
ERRORS = (
    ErrorRow("400", Fault(400, "malformed", "Bad request"), InvalidRequest),
    ErrorRow("401", Fault(401, "no valid token", "Unauthenticated"), AuthError),
    ErrorRow("402", Fault(402, "You have insufficient credit to run this model.",
                          "Insufficient credit"), QuotaExceeded),
    ErrorRow("403", Fault(403, "You do not have permission", "Forbidden"), AuthError),
    ErrorRow("404", Fault(404, "could not be found", "Not found"), InvalidRequest),
    ErrorRow("422", Fault(422, "- input.duration: must be one of", "Input validation failed"),
             InvalidRequest),
    ErrorRow("422 E005", Fault(422, E005, "Input validation failed"), ModerationRejected,
             stage="input"),
    ErrorRow("429", Fault(429, "Request was throttled.", "Too Many Requests", retry_after=9),
             RateLimited, retry_after=9.0),
    ErrorRow("500 after create", Fault(500, "boom", "Internal Server Error", after_create=True),
             AmbiguousSubmit),
    ErrorRow("503", Fault(503, "down", "Service Unavailable"), AmbiguousSubmit),
    ErrorRow("submit timeout", Fault(201, after_create=True, delay=0.8), AmbiguousSubmit,
             timeout=0.3, once=True),
    ErrorRow("poll 502", Fault(502, "bad gateway", kind="get"), TransientProviderError,
             at="poll"),
    ErrorRow("poll 401", Fault(401, "bad token", kind="get"), AuthError, at="poll"),
    ErrorRow("poll 404", Fault(404, "gone", kind="get"), InvalidRequest, at="poll"),
    ErrorRow("poll 429", Fault(429, "throttled", kind="get", retry_after=2), RateLimited,
             at="poll", retry_after=2.0),
)  # fmt: skip

OUTCOMES = (
    Outcome("E005 output", ModerationRejected, "output", prompt="a contraband crate"),
    Outcome("model error", TaskFailed, prompt="a reactor meltdown"),
)

PROFILE = Profile(
    name="replicate",
    sandboxes={("replicate", "replicate-predictions"): "replicate"},
    evidence=evidence,
    errors=ERRORS,
    outcomes=OUTCOMES,
    gaps={"*:reference_images": "reference images are not sent on Replicate routes yet (warned)"},
    no_drop_reason=(
        "predictions end succeeded, failed or canceled; Replicate removes outputs after an hour "
        "(data_removed → OutputExpired) but has no expired task status"
    ),
    reports_charge=lambda route: False,
    charge_note="Replicate reports predict_time, not a charge; the catalogue has no price",
)
