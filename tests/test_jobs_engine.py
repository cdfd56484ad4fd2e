"""The durable job engine against the sandboxes, in process, on SQLite and PostgreSQL: one
submit per shot, limits shared by workers, budget caps before the HTTP call, retries that never
pay twice, failures that are charged only when the provider bills them, cancel."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from jobs_helpers import balanced, set_processing
from reelforge.catalogue import get_route, price
from reelforge.catalogue.charge import to_micros
from reelforge.config import Config, Limit
from reelforge.generators.base import ShotRequest
from reelforge.jobs.engine import Engine
from reelforge.jobs.events import JobEvent
from reelforge.jobs.queue import IN_FLIGHT, JobQueue
from reelforge.jobs.specs import job_spec
from reelforge.sandbox.kling import Fault as KlingFault
from reelforge.sandbox.session import sandboxes
from reelforge.store import Store


@pytest.fixture
def store(database_url: str) -> Store:
    return Store(url=database_url)


@pytest.fixture(scope="module")
def boxes() -> Iterator[dict[str, Any]]:
    with sandboxes(render_fps=24) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_leftover_faults(boxes: dict[str, Any]) -> None:
    for box in boxes.values():
        box.faults.clear()


def request(route: str, prompt: str, seconds: int = 5, shot: str = "s") -> ShotRequest:
    return ShotRequest(
        shot_id=shot, prompt=prompt, frames=seconds * 24, fps=24, width=320, height=180, model=route
    )


def enqueue(store: Store, run_id: str, items: list[tuple[str, str, int]]) -> list[int]:
    queue = JobQueue(store)
    ids = []
    for i, (route, prompt, seconds) in enumerate(items):
        req = request(route, prompt, seconds, f"shot{i}")
        spec = job_spec(
            run_id=run_id,
            position=i,
            shot_id=f"shot{i}",
            route_id=route,
            request=req,
            request_key=f"{run_id}-{i}-{route}-{prompt}"[:64],
            version="test",
        )
        ids.append(queue.enqueue(spec).id)
    return ids


def new_run(store: Store, cap_usd: str | None = None) -> str:
    options = {} if cap_usd is None else {"max_budget_micros": to_micros(Decimal(cap_usd))}
    return store.start_run(title="t", source="t.yaml", production_sha256="0" * 64, options=options)


def drive(store: Store, run_id: str, config: Config | None = None, **kw: Any) -> list[JobEvent]:
    events: list[JobEvent] = []
    engine = Engine(store, config=config or Config(), on_event=events.append, **kw)
    asyncio.run(engine.run(runs=[run_id]))
    return events


def jobs(store: Store, run_id: str) -> list[Any]:
    return JobQueue(store).jobs(run_id=run_id)


def test_each_job_is_submitted_once_and_charged_what_the_provider_reports(
    store: Store, boxes: dict[str, Any]
) -> None:
    run = new_run(store)
    before = {n: len(b.accepted_submits()) for n, b in boxes.items()}
    enqueue(
        store,
        run,
        [
            ("kling-v3-std", "a lantern", 5),
            ("seedance-2.0", "waves", 5),
            ("grok-imagine-video", "a boat", 4),
            ("veo-3.1-fast@gemini", "a drone", 4),
        ],
    )
    events = drive(store, run)
    done = jobs(store, run)
    assert [j.status for j in done] == ["done"] * 4
    after = {n: len(b.accepted_submits()) for n, b in boxes.items()}
    assert {n: after[n] - before[n] for n in ("kling", "seedance", "xai", "google")} == {
        "kling": 1,
        "seedance": 1,
        "xai": 1,
        "google": 1,
    }
    source = {j.route_id: j.charge_source for j in done}
    # Kling reports units, Seedance tokens, xAI exact USD; Google reports nothing: the quote.
    assert source == {
        "kling-v3-std": "reported",
        "seedance-2.0": "reported",
        "grok-imagine-video": "reported",
        "veo-3.1-fast@gemini": "quote",
    }
    veo = next(j for j in done if j.route_id.startswith("veo"))
    quote = price(get_route("veo-3.1-fast@gemini"), request("veo-3.1-fast@gemini", "a drone", 4))
    assert veo.charge_micros == to_micros(quote.total or Decimal(0))
    assert balanced(store, run).ok and balanced(store, run).outstanding == 0
    states = [e.state for e in events if e.job_id == done[0].id]
    assert states[0] == "submitting" and "submitted" in states and states[-1] == "done"


def test_the_same_request_attaches_to_its_job_and_a_failed_one_gets_a_new_key(
    store: Store,
) -> None:
    run = new_run(store)
    spec = job_spec(
        run_id=run,
        position=0,
        shot_id="a",
        route_id="kling-v3-std",
        request=request("kling-v3-std", "x"),
        request_key="k" * 64,
        version="v",
    )
    queue = JobQueue(store)
    first = queue.enqueue(spec)
    assert queue.enqueue(spec).id == first.id
    with store.engine.begin() as conn:
        from sqlalchemy import update

        from reelforge.store.tables import Job

        conn.execute(update(Job).where(Job.id == first.id).values(status="failed"))
    retry = queue.enqueue(spec)
    assert retry.id != first.id and retry.attempt == 2 and retry.key == first.key + "-2"


def test_limits_hold_across_two_workers_sharing_the_database(
    store: Store, boxes: dict[str, Any]
) -> None:
    run = new_run(store)
    enqueue(store, run, [("kling-v3-std", f"shot {i}", 5) for i in range(6)])
    config = Config(limits={"kling": Limit(max_in_flight=2)})
    peak = 0

    def watch(event: JobEvent) -> None:
        nonlocal peak
        if event.state == "submitted":
            in_flight = [j for j in jobs(store, run) if j.status in IN_FLIGHT]
            peak = max(peak, len(in_flight))

    async def two_workers() -> None:
        a = Engine(store, config=config, on_event=watch)
        b = Engine(store, config=config, on_event=watch)
        await asyncio.gather(a.run(runs=[run]), b.run(runs=[run]))

    asyncio.run(two_workers())
    assert [j.status for j in jobs(store, run)] == ["done"] * 6
    assert peak == 2  # reached, never crossed


def test_a_budget_cap_refuses_the_shot_that_would_cross_it_before_any_request(
    store: Store, boxes: dict[str, Any]
) -> None:
    one = price(get_route("kling-v3-std"), request("kling-v3-std", "x")).total
    assert one is not None
    run = new_run(store, cap_usd=str(one * Decimal("1.5")))  # room for one shot, not two
    before = len(boxes["kling"].accepted_submits())
    enqueue(store, run, [("kling-v3-std", "first", 5), ("kling-v3-std", "second", 5)])
    drive(store, run, config=Config(limits={"kling": Limit(max_in_flight=1)}))
    states = sorted((j.status, j.error_type or "") for j in jobs(store, run))
    assert states == [("done", ""), ("failed", "BudgetExceeded")]
    refused = next(j for j in jobs(store, run) if j.status == "failed")
    assert "exceed the cap of $" in (refused.error or "") and refused.charge_micros is None
    assert len(boxes["kling"].accepted_submits()) - before == 1
    assert balanced(store, run).ok


def test_a_monthly_cap_counts_every_run(store: Store, boxes: dict[str, Any]) -> None:
    run = new_run(store)
    enqueue(store, run, [("kling-v3-std", "monthly", 5)])
    drive(store, run, config=Config(monthly_budget_usd=Decimal("0.01")))
    (job,) = jobs(store, run)
    assert job.status == "failed" and "monthly budget" in (job.error or "")


def test_submit_rejections_retry_and_an_ambiguous_submit_is_found_by_key(
    store: Store, boxes: dict[str, Any]
) -> None:
    kling = boxes["kling"]
    kling.inject(KlingFault(429, 1302, "rate limited", retry_after=0.1))
    kling.inject(KlingFault(500, 5000, "lost", after_create=True))  # created, answer lost
    run = new_run(store)
    before = len(kling.book.external_ids())
    enqueue(store, run, [("kling-v3-std", "stormy harbour", 5)])
    events = drive(store, run)
    (job,) = jobs(store, run)
    assert job.status == "done"
    assert len(kling.book.external_ids()) - before == 1  # one task, despite two failed answers
    assert any("retrying" in e.message for e in events)
    assert any("reconciling" in e.message for e in events)
    assert balanced(store, run).ok


@pytest.mark.parametrize(
    ("route", "prompt", "error_type", "billed"),
    [
        ("kling-v3-std", "a forbidden scene", "ModerationRejected", False),  # at submit
        ("kling-v3-std", "contraband on the table", "ModerationRejected", False),  # late
        ("grok-imagine-video", "contraband at the border", "ModerationRejected", True),  # xAI bills
        ("veo-3.1-fast@gemini", "contraband in a box", "ModerationRejected", False),  # no samples
        ("seedance-2.0", "a forbidden scene", "ModerationRejected", False),
    ],
)
def test_failures_end_typed_and_are_charged_only_when_billed(
    route: str, prompt: str, error_type: str, billed: bool, store: Store
) -> None:
    run = new_run(store)
    enqueue(store, run, [(route, prompt, 4 if "grok" in route or "veo" in route else 5)])
    drive(store, run)
    (job,) = jobs(store, run)
    assert (job.status, job.error_type) == ("failed", error_type), job.error
    assert bool(job.charge_micros) is billed
    bal = balanced(store, run)
    assert bal.ok and bal.outstanding == 0 and bal.charges == (job.charge_micros or 0)


def test_an_output_that_expired_is_a_charged_failure(store: Store, boxes: dict[str, Any]) -> None:
    kling = boxes["kling"]
    kling.config.url_ttl = 0.0
    try:
        run = new_run(store)
        enqueue(store, run, [("kling-v3-std", "expiring clip", 5)])
        drive(store, run)
    finally:
        kling.config.url_ttl = 30 * 24 * 3600.0
    (job,) = jobs(store, run)
    assert (job.status, job.error_type) == ("failed", "OutputExpired")
    assert job.charge_micros and job.charge_micros > 0  # Kling billed the task
    assert balanced(store, run).ok


def test_cancel_stops_queued_and_running_jobs_and_records_who_still_charged(
    store: Store, boxes: dict[str, Any]
) -> None:
    from sqlalchemy import update

    from reelforge.store.tables import Run

    for name in ("kling", "replicate"):
        set_processing(boxes[name], 30.0)
    try:
        run = new_run(store)
        enqueue(
            store, run, [("kling-v3-std", "long kling", 5), ("hailuo-2.3@replicate", "long", 6)]
        )

        async def go() -> None:
            engine = Engine(store, config=Config())
            task = asyncio.create_task(engine.run(runs=[run]))
            while sum(j.status == "submitted" for j in jobs(store, run)) < 2:
                await asyncio.sleep(0.1)
            with store.engine.begin() as conn:
                conn.execute(update(Run).where(Run.id == run).values(cancel_requested=True))
            await asyncio.wait_for(task, 20)

        asyncio.run(go())
    finally:
        for name in ("kling", "replicate"):
            set_processing(boxes[name], 0.5)
    by_route = {j.route_id: j for j in jobs(store, run)}
    assert {j.status for j in by_route.values()} == {"canceled"}
    assert (
        by_route["kling-v3-std"].charge_micros == by_route["kling-v3-std"].quote_micros
    )  # no cancel at Kling
    assert by_route["hailuo-2.3@replicate"].charge_micros is None  # canceled, not billed
    assert balanced(store, run).ok


def test_a_dead_workers_jobs_are_taken_over(store: Store, boxes: dict[str, Any]) -> None:
    """A worker whose lease lapsed (it stopped heartbeating) loses its jobs to another."""
    from sqlalchemy import update

    from reelforge.jobs.queue import utcnow
    from reelforge.store.tables import Job

    run = new_run(store)
    (job_id,) = enqueue(store, run, [("kling-v3-std", "orphan", 5)])
    queue = JobQueue(store)
    assert [r.id for r in queue.claim("gone-worker", limit=5, lease=30, runs=[run])] == [job_id]
    assert queue.claim("other", limit=5, lease=30, runs=[run]) == []  # leased: not taken
    with store.engine.begin() as conn:
        conn.execute(update(Job).where(Job.id == job_id).values(lease_expires_at=utcnow()))
    drive(store, run)
    assert jobs(store, run)[0].status == "done"


def test_the_ledger_summary_and_cli(store: Store, database_url: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from reelforge.cli.app import app

    run = new_run(store)
    enqueue(
        store, run, [("kling-v3-std", "ledger shot", 5), ("kling-v3-std", "a forbidden one", 5)]
    )
    drive(store, run)
    result = CliRunner().invoke(
        app,
        ["ledger", "--run", run, "--json", "--check"],
        env={"REELFORGE_DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.output)
    (row,) = data["rows"]
    assert row["jobs"] == 2 and data["balanced"] is True
    assert Decimal(row["charged_usd"]) > 0 and Decimal(row["quoted_usd"]) >= Decimal(
        row["charged_usd"]
    )


def test_kling_tasks_are_polled_through_the_task_list(store: Store, boxes: dict[str, Any]) -> None:
    """Eight tasks in flight: their states come from list requests, not one GET per task."""
    kling = boxes["kling"]
    set_processing(kling, 2.0)
    try:
        before = len(kling.log)
        run = new_run(store)
        enqueue(store, run, [("kling-v3-std", f"listed shot {i}", 5) for i in range(8)])
        drive(store, run, poll_seconds=0.5)
    finally:
        set_processing(kling, 0.5)
    assert [j.status for j in jobs(store, run)] == ["done"] * 8
    requests = kling.log[before:]
    lists = [r for r in requests if r.method == "GET" and r.path == "/v1/videos/text2video"]
    singles = [
        r for r in requests if r.method == "GET" and r.path.startswith("/v1/videos/text2video/")
    ]
    assert len(lists) >= 3  # a few rounds of polling, each one request for all eight
    assert len(singles) <= 8  # at most a stray single poll per task


def test_the_batch_poller_answers_questions_that_arrive_during_a_round() -> None:
    from reelforge.jobs.poller import BatchPoller
    from reelforge.providers.state import Running, TaskHandle

    class SlowList:
        can_poll_many = True
        calls = 0

        async def poll_many(self, handles: list[TaskHandle]) -> dict[str, Any]:
            SlowList.calls += 1
            await asyncio.sleep(0.2)
            return {h.task_id: Running(h) for h in handles}

    async def go() -> list[Any]:
        poller = BatchPoller(SlowList())
        first = asyncio.create_task(poller.poll(TaskHandle("p", "m", "r", "a")))
        await asyncio.sleep(0.1)  # the first round is out asking the provider
        late = asyncio.create_task(poller.poll(TaskHandle("p", "m", "r", "b")))
        return await asyncio.wait_for(asyncio.gather(first, late), 5)

    states = asyncio.run(go())
    assert [s.handle.task_id for s in states] == ["a", "b"] and SlowList.calls == 2
