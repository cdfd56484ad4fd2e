"""The aggregators through the generic adapter and sandbox (providers/aggregator/profiles.yaml):
Atlas Cloud, WaveSpeed, Higgsfield and AI/ML API. Rows as in
tests/test_providers_aggregator_failures.py."""

from __future__ import annotations

from typing import Any

from reelforge.catalogue import Route
from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    ConcurrencyLimited,
    InvalidRequest,
    ModerationRejected,
    QuotaExceeded,
    TaskFailed,
    TaskHandle,
    TransientProviderError,
    WireRequest,
)
from reelforge.providers.aggregator import load_profiles
from reelforge.sandbox.aggregator import Fault

from ..harness import ErrorRow, Outcome, Profile

PROFILES = load_profiles()
BY_PROVIDER = {p.catalogue_provider: p for p in PROFILES.values()}


def _fields(wire: WireRequest) -> Any:
    return PROFILES[wire.provider].fields_for(wire.model)


def evidence(wire: WireRequest, what: str) -> Any:
    f, body = _fields(wire), wire.body
    if what == "first_frame":
        return bool(f.image and body.get(f.image))
    if what == "last_frame":
        return bool(f.end_image and body.get(f.end_image))
    if what == "reference_images":
        return 0  # no aggregator profile maps reference images (see gaps)
    if what == "audio":
        return body.get(f.sound) if f.sound else None
    return None  # no profile sends a seed


def has(*names: str) -> Any:
    return lambda route: BY_PROVIDER[route.provider].name in names


def envelope(route: Route) -> bool:
    return BY_PROVIDER[route.provider].envelope_code_path is not None


def _fail(sbx: Any, handle: TaskHandle) -> None:
    task = sbx.book.tasks[handle.task_id]
    task.state, task.error = "failed", "generation failed: worker crashed"


def _drop(sbx: Any, handle: TaskHandle) -> None:
    sbx.book.tasks[handle.task_id].state = "expired"  # Atlas spells it "timeout"


ERRORS = (
    ErrorRow("400", Fault(400, "bad duration"), InvalidRequest),
    ErrorRow("401", Fault(401, "Invalid credentials"), AuthError),
    ErrorRow("402", Fault(402, "payment required"), QuotaExceeded),
    ErrorRow("400 balance", Fault(400, "Insufficient balance on the account"), QuotaExceeded),
    ErrorRow("403", Fault(403, "forbidden model"), AuthError),
    ErrorRow("404", Fault(404, "no such model"), InvalidRequest),
    ErrorRow("422", Fault(422, "prompt too long"), InvalidRequest),
    ErrorRow.rate_limited("429", Fault(429, "slow down", retry_after=7)),
    ErrorRow("400 content policy", Fault(400, "content policy violation"), ModerationRejected,
             stage="input"),
    ErrorRow("423 higgsfield", Fault(423, "model locked"), AuthError, only=has("higgsfield")),
    ErrorRow("429 concurrency", Fault(429, "max concurrency reached"), ConcurrencyLimited,
             only=has("wavespeed")),
    ErrorRow("envelope 401", Fault(401, "envelope says no", in_envelope=True), AuthError,
             only=envelope),
    ErrorRow.rate_limited("envelope 429", Fault(429, "envelope says no", in_envelope=True),
                          only=envelope),
    ErrorRow("envelope 500", Fault(500, "envelope 5xx", in_envelope=True), AmbiguousSubmit,
             only=envelope),
    ErrorRow.after_create("500", Fault(500, "upstream")),
    ErrorRow("502", Fault(502, "bad gateway"), AmbiguousSubmit),
    ErrorRow.submit_timeout(Fault(200)),
    ErrorRow("poll 401", Fault(401, "Invalid credentials", kind="poll"), AuthError, at="poll"),
    ErrorRow("poll 500", Fault(500, "upstream", kind="poll"), TransientProviderError,
             at="poll"),
    ErrorRow.rate_limited("poll 429", Fault(429, "slow", kind="poll", retry_after=2), at="poll"),
)  # fmt: skip

OUTCOMES = (
    Outcome.late_moderation("late moderation"),
    Outcome("failed task", TaskFailed, mutate=_fail),
)

PROFILE = Profile(
    name="aggregator",
    sandboxes={(p.catalogue_provider, p.channel): p.name for p in PROFILES.values()},
    evidence=evidence,
    errors=ERRORS,
    outcomes=OUTCOMES,
    gaps={
        "*:reference_images": "no aggregator profile maps reference images (the adapter warns)",
        "seedance-1.0-pro@higgsfield:seed": "Higgsfield's profile sends no seed (warned)",
        "kling-v2.6-pro@aimlapi:charge": (
            "AI/ML API reports credits (meta.usage.credits_used); the catalogue prices the route "
            "in USD per second and has no credit → USD rate"
        ),
    },
    cancel_phase="queued",
    cancel_note="Higgsfield cancels queued requests only (400 once started → Unsupported)",
    drop_task=_drop,
    drops=has("atlas"),
    no_drop_reason="only Atlas Cloud has an expired status (`timeout`) in its profile",
    reports_charge=has("aimlapi"),
    charge_note="Atlas Cloud, WaveSpeed and Higgsfield report no charge per task",
)
