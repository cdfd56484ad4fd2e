"""Replicate predictions (sandbox ``replicate``). RFC 7807 problems as in
tests/test_providers_replicate_failures.py (research §9)."""

from __future__ import annotations

from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    InvalidRequest,
    ModerationRejected,
    QuotaExceeded,
    TaskFailed,
    TransientProviderError,
)
from reelforge.sandbox.replicate import ReplicateFault as Fault

from ..harness import ErrorRow, Outcome, Profile, never, wire_paths

FIRST = ("image", "start_image", "first_frame_image", "input_reference")
LAST = ("last_frame", "end_image")


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
    ErrorRow.rate_limited("429", Fault(429, "Request was throttled.", "Too Many Requests",
                                       retry_after=9)),
    ErrorRow.after_create("500", Fault(500, "boom", "Internal Server Error")),
    ErrorRow("503", Fault(503, "down", "Service Unavailable"), AmbiguousSubmit),
    ErrorRow.submit_timeout(Fault(201)),
    ErrorRow("poll 502", Fault(502, "bad gateway", kind="get"), TransientProviderError,
             at="poll"),
    ErrorRow("poll 401", Fault(401, "bad token", kind="get"), AuthError, at="poll"),
    ErrorRow("poll 404", Fault(404, "gone", kind="get"), InvalidRequest, at="poll"),
    ErrorRow.rate_limited("poll 429", Fault(429, "throttled", kind="get", retry_after=2),
                          at="poll"),
)  # fmt: skip

OUTCOMES = (
    Outcome.late_moderation("E005 output"),
    Outcome("model error", TaskFailed, prompt="a reactor meltdown"),
)

PROFILE = Profile(
    name="replicate",
    sandboxes={("replicate", "replicate-predictions"): "replicate"},
    evidence=wire_paths(
        first_frame=tuple(f"input.{k}" for k in FIRST),
        last_frame=tuple(f"input.{k}" for k in LAST),
        audio="input.generate_audio",
        seed="input.seed",
    ),
    errors=ERRORS,
    outcomes=OUTCOMES,
    gaps={"*:reference_images": "reference images are not sent on Replicate routes yet (warned)"},
    no_drop_reason=(
        "predictions end succeeded, failed or canceled; Replicate removes outputs after an hour "
        "(data_removed → OutputExpired) but has no expired task status"
    ),
    reports_charge=never,
    charge_note="Replicate reports predict_time, not a charge; the catalogue has no price",
)
