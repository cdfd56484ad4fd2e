"""Group admission, on SQLite and PostgreSQL: a batch of waiting submits is let through in one
transaction, and the limits and budget caps still hold inside the batch."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from reelforge.catalogue.charge import to_micros
from reelforge.generators.base import ShotRequest
from reelforge.jobs import workers
from reelforge.jobs.admission import MAX_BATCH, Admitter
from reelforge.jobs.queue import AdmitRequest, JobQueue, SlotLimits
from reelforge.jobs.specs import job_spec
from reelforge.store import Store

ROUTE = "kling-v3-std"
WORKER = "w-admission"


def _claimed(store: Store, n: int, *, run_cap_usd: str | None = None) -> list[Any]:
    """``n`` queued Kling jobs of one run, leased by WORKER."""
    options = {} if run_cap_usd is None else {"max_budget_micros": to_micros(Decimal(run_cap_usd))}
    run = store.start_run(title="t", source="t.yaml", production_sha256="0" * 64, options=options)
    queue = JobQueue(store)
    for i in range(n):
        request = ShotRequest(
            shot_id=f"s{i}", prompt=f"p{i}", frames=120, fps=24, width=320, height=180, model=ROUTE
        )
        spec = job_spec(run_id=run, position=i, shot_id=f"s{i}", route_id=ROUTE,
                        request=request, request_key=f"{run}-{i}", version="t")  # fmt: skip
        queue.enqueue(spec)
    rows = queue.claim(WORKER, limit=n, lease=60, runs=[run], ids=None, statuses=("queued",))
    return sorted((SimpleNamespace(**r._mapping) for r in rows), key=lambda j: j.id)


@pytest.fixture
def store(database_url: str) -> Store:
    store = Store(url=database_url)
    workers.register(store, WORKER)
    return store


def test_a_batch_is_let_through_up_to_the_limit_in_order(store: Store) -> None:
    jobs = _claimed(store, 5)
    queue = JobQueue(store)
    limits = SlotLimits(route_in_flight=3)
    results = queue.admit_many(
        [AdmitRequest(j, {"n": j.id}, limits) for j in jobs], WORKER, monthly_cap=None
    )
    assert [r.granted for r in results] == [True, True, True, False, False]
    assert results[3].reason == "model limit: 3/3 in flight" and not results[3].refused
    statuses = [queue.get(j.id).status for j in jobs]
    assert statuses == ["submitting"] * 3 + ["queued"] * 2
    # The next batch sees the three in flight: the account limit counts them too.
    again = queue.admit_many(
        [AdmitRequest(jobs[3], {}, SlotLimits(account_per_minute=3))], WORKER, monthly_cap=None
    )
    assert again[0].reason == "account limit: 3/3 submits in the last minute"


def test_budget_caps_hold_inside_a_batch(store: Store) -> None:
    jobs = _claimed(store, 3)
    quote = jobs[0].quote_micros
    assert quote > 0
    queue = JobQueue(store)
    run_cap = quote * 2  # room for two of the three
    results = queue.admit_many(
        [AdmitRequest(j, {}, SlotLimits(), run_cap) for j in jobs], WORKER, monthly_cap=None
    )
    assert [r.granted for r in results] == [True, True, False]
    assert results[2].refused and "production budget" in results[2].reason
    assert "would exceed the cap of $" in results[2].reason

    more = _claimed(store, 2)
    monthly = queue.admit_many(
        [AdmitRequest(j, {}, SlotLimits()) for j in more], WORKER, monthly_cap=quote * 3
    )  # two holds of the first run already count this month: one more fits
    assert [r.granted for r in monthly] == [True, False]
    assert monthly[1].refused and "monthly budget" in monthly[1].reason


def test_admitted_jobs_hold_their_quotes_in_the_ledger(store: Store) -> None:
    from reelforge.jobs import ledger

    jobs = _claimed(store, 4)
    JobQueue(store).admit_many(
        [AdmitRequest(j, {}, SlotLimits()) for j in jobs], WORKER, monthly_cap=None
    )
    with store.engine.connect() as conn:
        balance = ledger.balance(conn, run_id=jobs[0].run_id)
    assert balance.holds == sum(j.quote_micros for j in jobs) == balance.outstanding
    assert balance.ok


def test_a_batch_is_for_one_provider(store: Store) -> None:
    jobs = _claimed(store, 2)
    other = SimpleNamespace(**{**vars(jobs[1]), "provider": "google"})
    with pytest.raises(ValueError, match="one provider per admission batch"):
        JobQueue(store).admit_many(
            [AdmitRequest(jobs[0], {}, SlotLimits()), AdmitRequest(other, {}, SlotLimits())],
            WORKER,
            monthly_cap=None,
        )


def test_submits_waiting_together_share_a_transaction(store: Store) -> None:
    jobs = _claimed(store, MAX_BATCH + 8)
    queue = JobQueue(store)
    batches: list[int] = []
    real = queue.admit_many

    def counted(requests: Any, worker: str, *, monthly_cap: int | None) -> Any:
        batches.append(len(requests))
        return real(requests, worker, monthly_cap=monthly_cap)

    queue.admit_many = counted  # type: ignore[method-assign]
    admitter = Admitter(queue, WORKER, lambda: None)

    async def all_at_once() -> list[Any]:
        # Newest first: the admitter still lets the oldest through first.
        asks = [admitter.admit(AdmitRequest(j, {}, SlotLimits())) for j in reversed(jobs)]
        return await asyncio.gather(*asks)

    results = asyncio.run(all_at_once())
    assert all(r.granted for r in results)
    assert batches == [MAX_BATCH, 8]  # not one transaction per job
    started = [queue.get(j.id).submit_started_at for j in jobs]  # oldest jobs went first
    assert max(started[:MAX_BATCH]) < min(started[MAX_BATCH:])


def test_a_failing_batch_fails_each_waiting_job(store: Store) -> None:
    jobs = _claimed(store, 3)
    queue = JobQueue(store)

    def broken(requests: Any, worker: str, *, monthly_cap: int | None) -> Any:
        raise RuntimeError("database went away")

    queue.admit_many = broken  # type: ignore[method-assign]
    admitter = Admitter(queue, WORKER, lambda: None)

    async def ask() -> list[Any]:
        asks = [admitter.admit(AdmitRequest(j, {}, SlotLimits())) for j in jobs]
        return await asyncio.gather(*asks, return_exceptions=True)

    outcomes = asyncio.run(ask())
    assert [str(o) for o in outcomes] == ["database went away"] * 3
