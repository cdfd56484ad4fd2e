"""Every route's adapter maps its provider's wire errors, injected into the sandbox, onto the
documented exception tree (``reelforge.providers.errors``), each error carrying the provider,
the model and the task id where one is known; and tasks that run and end badly (late
moderation, internal failure) end Failed with the right error. The tables are the profiles'."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from reelforge.catalogue import check
from reelforge.generators.base import ShotRequest
from reelforge.generators.remote import idempotency_key
from reelforge.providers import (
    AmbiguousSubmit,
    Failed,
    ModerationRejected,
    ProviderError,
    RateLimited,
    TaskHandle,
)

from .harness import (
    POLL,
    ROUTE_IDS,
    ROUTES,
    Bench,
    ErrorRow,
    Outcome,
    Pool,
    open_bench,
    profile_for,
    run,
    shot,
)

SEEDS = itertools.count(1000)


def first_of_family(route_id: str) -> bool:
    """``once`` rows run on one route per profile (adapter-wide behaviour, slow to provoke)."""
    route = next(r for r in ROUTES if r.id == route_id)
    name = profile_for(route).name
    for other in ROUTES:
        try:
            if profile_for(other).name == name:
                return other.id == route_id
        except pytest.fail.Exception:
            continue
    return False


def basic(
    bench: Bench, prompt: str = "a lighthouse at dusk, waves below"
) -> tuple[ShotRequest, dict[str, Any]]:
    route = bench.route
    # A seed of its own: providers that reconcile by fingerprint (the prompt is not echoed)
    # must not mistake an earlier row's task for this one.
    seed = next(SEEDS)
    request = shot(route, bench.tmp, first=not route.capabilities.t2v, prompt=prompt, seed=seed)
    settings = check(route, request).settings  # planned even when refused (retired routes)
    return request, bench.options(bool(settings and settings.audio))


def posts(bench: Bench, since: int) -> int:
    with bench.sandbox.lock:
        return sum(1 for r in bench.sandbox.log[since:] if r.method == "POST")


async def error_row(bench: Bench, row: ErrorRow) -> str | None:
    """Inject the row's fault and compare what the adapter raised; None when it conforms."""
    request, options = basic(bench)
    async with bench.adapter(timeout=row.timeout or 10.0) as adapter:
        wire = adapter.build_request(request, options, idempotency_key=idempotency_key(request))
        handle: TaskHandle | None = None
        error: ProviderError | None = None
        since = len(bench.sandbox.log)
        try:
            if row.at == "poll":
                handle = await adapter.submit(wire)
                bench.sandbox.inject(row.fault)
                await adapter.poll(handle)
            else:
                bench.sandbox.inject(row.fault)
                handle = await adapter.submit(wire)
                if row.expect is None:  # reconciled: the handle must name a real task
                    await adapter.poll(handle)
        except ProviderError as exc:
            error = exc
        with bench.sandbox.lock:
            unused = [f for f in bench.sandbox.faults if f is row.fault]
            bench.sandbox.faults.clear()
        if unused:
            return f"{row.name}: the fault was never requested (the adapter raised first?)"
        if row.expect is None:
            return None if error is None else f"{row.name}: expected a reconciled submit, {error!r}"
        if type(error) is not row.expect:
            return f"{row.name}: expected {row.expect.__name__}, got {error!r}"
        assert error is not None
        problems = []
        if error.provider != adapter.provider or error.model != wire.model:
            problems.append(f"context {error.provider}/{error.model}, want {wire.model}")
        want_task = handle.task_id if row.at == "poll" and handle else None
        if error.task_id != want_task:
            problems.append(f"task_id {error.task_id!r}, want {want_task!r}")
        if row.retry_after is not None and getattr(error, "retry_after", None) != row.retry_after:
            problems.append(f"retry_after {getattr(error, 'retry_after', None)}")
        if isinstance(error, RateLimited) and not error.retryable:
            problems.append("a rate limit must be retryable")
        if row.stage and getattr(error, "stage", None) != row.stage:
            problems.append(f"stage {getattr(error, 'stage', None)}, want {row.stage}")
        if isinstance(error, AmbiguousSubmit) and error.retryable:
            problems.append("an ambiguous submit must not be retryable")
        if row.at == "submit" and posts(bench, since) != 1:
            problems.append(f"{posts(bench, since)} POSTs: a submit is sent exactly once")
        return f"{row.name}: " + "; ".join(problems) if problems else None


@pytest.mark.parametrize("route_id", ROUTE_IDS)
def test_error_mappings(
    route_id: str, pool: Pool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bench = open_bench(route_id, pool, monkeypatch, tmp_path)
    route = bench.route
    rows = [
        row
        for row in bench.profile.errors
        if row.only(route) and (not row.once or first_of_family(route_id))
    ]
    assert rows, f"{route_id}: the {bench.profile.name} profile has no error rows for it"

    async def all_rows() -> list[str]:
        return [p for row in rows if (p := await error_row(bench, row)) is not None]

    problems = run(all_rows())
    assert not problems, f"{route_id}:\n  " + "\n  ".join(problems)


async def outcome(bench: Bench, case: Outcome) -> str | None:
    request, options = basic(bench, case.prompt or "a lighthouse at dusk, waves below")
    async with bench.adapter() as adapter:
        wire = adapter.build_request(request, options, idempotency_key=idempotency_key(request))
        handle = await adapter.submit(wire)
        if case.mutate is not None:
            case.mutate(bench.sandbox, handle)
        state = await adapter.wait(handle, interval=POLL, timeout=30)
    if not isinstance(state, Failed) or state.error is None:
        return f"{case.name}: expected Failed with {case.expect.__name__}, got {state!r}"
    error = state.error
    if type(error) is not case.expect:
        return f"{case.name}: expected {case.expect.__name__}, got {error!r}"
    problems = []
    if (error.provider, error.model, error.task_id) != (
        adapter.provider,
        wire.model,
        handle.task_id,
    ):
        problems.append(f"context {error.provider}/{error.model}/{error.task_id}")
    if isinstance(error, ModerationRejected) and error.stage != case.stage:
        problems.append(f"stage {error.stage}, want {case.stage}")
    return f"{case.name}: " + "; ".join(problems) if problems else None


@pytest.mark.parametrize("route_id", ROUTE_IDS)
def test_task_outcomes(
    route_id: str, pool: Pool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bench = open_bench(route_id, pool, monkeypatch, tmp_path)
    cases = [case for case in bench.profile.outcomes if case.only(bench.route)]
    assert cases, f"{route_id}: the {bench.profile.name} profile has no task outcomes"

    async def all_cases() -> list[str]:
        return [p for case in cases if (p := await outcome(bench, case)) is not None]

    problems = run(all_cases())
    assert not problems, f"{route_id}:\n  " + "\n  ".join(problems)
