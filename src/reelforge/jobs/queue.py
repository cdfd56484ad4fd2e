"""The job table's operations: enqueue, lease, guarded transitions, limits, budget, settlement.

Every state change is one short transaction guarded by the job's expected status and the
worker's lease, so two workers never drive one job and a worker that lost its lease (it
stalled past the lease time) can only fail to write. Limits are counted from the table itself,
under a per-provider lock (a write on SQLite, an advisory lock on PostgreSQL), so they hold
across every process sharing the database.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Row,
    Table,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from reelforge.jobs import ledger
from reelforge.store import Store
from reelforge.store.tables import Job, Run, Worker

ACTIVE = ("queued", "submitting", "submitted", "downloading")
IN_FLIGHT = ("submitting", "submitted")  # occupying a slot at the provider
FINISHED = ("done", "failed", "canceled")
# Core tables, not the ORM classes: the ORM's DML bookkeeping costs more than the write.
JOBS = cast(Table, Job.__table__)
WORKERS = cast(Table, Worker.__table__)
J = JOBS.c
W = WORKERS.c


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class JobSpec:
    """One provider task to run for one shot of one run."""

    run_id: str
    position: int
    shot_id: str
    route_id: str
    provider: str
    request_key: str  # the shot's cache key: the same request never pays twice
    request: dict[str, Any]
    quote_micros: int


@dataclass(frozen=True)
class SlotLimits:
    """Limits that apply to one submit: the provider account's and the route's."""

    account_in_flight: int | None = None
    account_per_minute: int | None = None
    route_in_flight: int | None = None
    route_per_minute: int | None = None


@dataclass(frozen=True)
class AdmitRequest:
    """A claimed job waiting to be let through to its provider."""

    job: Any
    wire: dict[str, Any]
    limits: SlotLimits
    run_cap: int | None = None  # the production's budget (micro-dollars), if it has one


@dataclass(frozen=True)
class Admission:
    granted: bool
    reason: str = ""  # why not: "limit" (try again soon) or a budget refusal message
    refused: bool = False  # a budget cap: do not try again


class JobQueue:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine
        self.postgres = store.engine.dialect.name == "postgresql"

    # -- enqueue ---------------------------------------------------------------------------------

    def enqueue(self, spec: JobSpec) -> Row[Any]:
        """The job for this request: an existing one unless the last attempt failed or was
        canceled (then a new attempt with a new idempotency key)."""
        for _ in range(3):
            with self.engine.begin() as conn:
                latest = conn.execute(
                    select(Job.__table__)
                    .where(J.request_key == spec.request_key)
                    .order_by(J.attempt.desc())
                    .limit(1)
                ).first()
                if latest is not None and latest.status not in ("failed", "canceled"):
                    return latest
                attempt = latest.attempt + 1 if latest is not None else 1
                digest = hashlib.sha256(spec.request_key.encode()).hexdigest()[:32]
                key = f"rf-{digest}" + (f"-{attempt}" if attempt > 1 else "")
                now = utcnow()
                try:
                    conn.execute(
                        insert(Job).values(
                            key=key,
                            request_key=spec.request_key,
                            attempt=attempt,
                            run_id=spec.run_id,
                            position=spec.position,
                            shot_id=spec.shot_id,
                            route_id=spec.route_id,
                            provider=spec.provider,
                            status="queued",
                            request=spec.request,
                            submits=0,
                            tries=0,
                            quote_micros=spec.quote_micros,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                except IntegrityError:
                    continue  # another process enqueued the same attempt: read it again
                return conn.execute(select(Job.__table__).where(J.key == key)).one()
        raise RuntimeError(f"could not enqueue {spec.request_key}")

    # -- leases ----------------------------------------------------------------------------------

    def claim(
        self,
        worker: str,
        *,
        limit: int,
        lease: float,
        runs: Iterable[str] | None = None,
        ids: Iterable[int] | None = None,
        statuses: Sequence[str] = ACTIVE,
    ) -> list[Row[Any]]:
        """Lease up to ``limit`` runnable jobs (free or with an expired lease) for ``worker``;
        only of ``runs`` / only ``ids`` when given."""
        now = utcnow()
        free = or_(J.lease_owner.is_(None), J.lease_expires_at < now)
        due = or_(J.next_attempt_at.is_(None), J.next_attempt_at <= now)
        where = and_(J.status.in_(list(statuses)), free, due)
        if runs is not None:
            where = and_(where, J.run_id.in_(list(runs)))
        if ids is not None:
            where = and_(where, J.id.in_(list(ids)))
        with self.engine.begin() as conn:
            pick = select(J.id).where(where).order_by(J.id).limit(limit)
            if self.postgres:
                pick = pick.with_for_update(skip_locked=True)
            ids = [r[0] for r in conn.execute(pick)]
            if not ids:
                return []
            conn.execute(
                update(JOBS)
                .where(J.id.in_(ids), free)
                .values(lease_owner=worker, lease_expires_at=now + timedelta(seconds=lease))
            )
            return list(
                conn.execute(select(Job.__table__).where(J.id.in_(ids), J.lease_owner == worker))
            )

    def renew(self, worker: str, lease: float) -> None:
        """Heartbeat: extend every lease this worker holds, in one statement."""
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(
                update(JOBS)
                .where(J.lease_owner == worker, J.status.in_(ACTIVE))
                .values(lease_expires_at=now + timedelta(seconds=lease))
            )
            conn.execute(update(WORKERS).where(W.id == worker).values(heartbeat_at=now))

    def drop_lease(self, job_id: int, worker: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(JOBS)
                .where(J.id == job_id, J.lease_owner == worker)
                .values(lease_owner=None, lease_expires_at=None)
            )

    # -- transitions -----------------------------------------------------------------------------

    def move(self, job_id: int, worker: str, expect: str | Sequence[str], **values: Any) -> bool:
        """Set ``values`` if the job is still ours and in ``expect``; False if it is not."""
        expected = [expect] if isinstance(expect, str) else list(expect)
        values["updated_at"] = utcnow()
        with self.engine.begin() as conn:
            done = conn.execute(
                _guarded_update(tuple(sorted(values)), owned=True),
                {"job_id": job_id, "worker": worker, "expect": expected, **_params(values)},
            )
            return done.rowcount == 1

    def _lock(self, conn: Connection, name: str, worker: str, now: datetime) -> None:
        """Serialise slot decisions for one provider across every process."""
        if self.postgres:
            key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        else:  # a write takes SQLite's single write lock until commit
            conn.execute(update(WORKERS).where(W.id == worker).values(heartbeat_at=now))

    def admit(
        self,
        job: Any,
        worker: str,
        wire: dict[str, Any],
        limits: SlotLimits,
        *,
        monthly_cap: int | None,
        run_cap: int | None,
    ) -> Admission:
        """One submit's admission (see :meth:`admit_many`)."""
        request = AdmitRequest(job, wire, limits, run_cap)
        return self.admit_many([request], worker, monthly_cap=monthly_cap)[0]

    def admit_many(
        self, requests: Sequence[AdmitRequest], worker: str, *, monthly_cap: int | None
    ) -> list[Admission]:
        """queued → submitting with a hold, for each waiting submit of one provider that the
        limits and budget allow, in order; the others get why not. One transaction for all.

        Committed before the POSTs: after a crash the engine sees ``submitting`` and knows a
        task (and a charge) may exist. Batching is what lets 1,000 submits start in a second:
        the lock, the limit counts and the budget sums are taken once per batch, not per job.
        """
        if not requests:
            return []
        providers = {r.job.provider for r in requests}
        if len(providers) != 1:
            raise ValueError(f"one provider per admission batch, got {sorted(providers)}")
        provider = providers.pop()
        now = utcnow()
        out: list[Admission] = []
        holds: list[tuple[Any, int]] = []
        with self.engine.begin() as conn:
            self._lock(conn, f"provider:{provider}", worker, now)
            slots = _SlotCounts.read(conn, provider, now, requests)
            budget = _Budget(conn, now, monthly_cap)
            for request in requests:
                job = request.job
                why = slots.over(job.route_id, request.limits)
                if why:
                    out.append(Admission(False, why))
                    continue
                refusal = budget.refusal(job, request.run_cap)
                if refusal:
                    out.append(Admission(False, refusal, True))
                    continue
                moved = conn.execute(
                    update(JOBS)
                    .where(J.id == job.id, J.lease_owner == worker, J.status == "queued")
                    .values(
                        status="submitting",
                        wire=request.wire,
                        submit_started_at=now,
                        submits=J.submits + 1,
                        next_attempt_at=None,
                        updated_at=now,
                    )
                )
                if moved.rowcount != 1:
                    out.append(Admission(False, "gone", True))  # canceled, or the lease lost
                    continue
                slots.take(job.route_id)
                budget.take(job)
                holds.append((job, job.quote_micros))
                out.append(Admission(True))
            ledger.hold_many(conn, holds, now)
        return out

    def back_to_queue(
        self, job: Any, worker: str, *, delay: float, error: str, expect: str
    ) -> bool:
        """A submit that certainly created nothing: release the hold and try again later."""
        now = utcnow()
        with self.engine.begin() as conn:
            moved = conn.execute(
                update(JOBS)
                .where(J.id == job.id, J.lease_owner == worker, J.status == expect)
                .values(
                    status="queued",
                    tries=J.tries + 1,
                    next_attempt_at=now + timedelta(seconds=delay),
                    error=error,
                    updated_at=now,
                )
            )
            if moved.rowcount != 1:
                return False
            ledger.settle(conn, job, None, now, "submit not accepted; hold released")
        return True

    def defer(self, job: Any, worker: str, *, error: str, give_up_after: int = 5) -> None:
        """An internal error while driving ``job``: retry it later with backoff; after a few
        failures hand it to a human (its hold stays: the task may be running and billing)."""
        now = utcnow()
        with self.engine.begin() as conn:
            tries = conn.execute(select(J.tries).where(J.id == job.id)).scalar_one()
            values: dict[str, Any] = {"tries": tries + 1, "error": error, "updated_at": now}
            if tries + 1 >= give_up_after:
                values.update(status="needs_attention", error_type="InternalError")
            else:
                values["next_attempt_at"] = now + timedelta(seconds=min(300, 5 * 2**tries))
            conn.execute(
                update(JOBS)
                .where(J.id == job.id, J.lease_owner == worker, J.status.in_(ACTIVE))
                .values(**values)
            )

    def finish(
        self,
        job: Any,
        worker: str | None,
        status: str,
        *,
        expect: Sequence[str],
        charge: int | None,
        note: str = "",
        **values: Any,
    ) -> bool:
        """End the job (done, failed, canceled, needs_attention) and settle its money at once.

        needs_attention keeps its hold: a charge may exist that only a human can confirm.
        """
        now = utcnow()
        values.update(status=status, charge_micros=charge, updated_at=now, finished_at=now,
                      lease_owner=None, lease_expires_at=None)  # fmt: skip
        with self.engine.begin() as conn:
            moved = conn.execute(
                _guarded_update(tuple(sorted(values)), owned=worker is not None),
                {"job_id": job.id, "worker": worker, "expect": list(expect), **_params(values)},
            )
            if moved.rowcount != 1:
                return False
            if status != "needs_attention":
                ledger.settle(conn, job, charge, now, note)
        return True

    # -- reading ---------------------------------------------------------------------------------

    def get(self, job_id: int) -> Row[Any]:
        with self.engine.connect() as conn:
            return conn.execute(select(Job.__table__).where(J.id == job_id)).one()

    def jobs(
        self, *, run_id: str | None = None, ids: Iterable[int] | None = None
    ) -> list[Row[Any]]:
        query = select(Job.__table__).order_by(J.id)
        if run_id is not None:
            query = query.where(J.run_id == run_id)
        if ids is not None:
            query = query.where(J.id.in_(list(ids)))
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    def canceled_runs(self, run_ids: Iterable[str]) -> set[str]:
        ids = list(run_ids)
        if not ids:
            return set()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Run.__table__.c.id).where(
                    Run.__table__.c.id.in_(ids), Run.__table__.c.cancel_requested.is_(True)
                )
            )
            return {r[0] for r in rows}

    def active_count(
        self, runs: Iterable[str] | None = None, ids: Iterable[int] | None = None
    ) -> int:
        query = select(func.count()).where(J.status.in_(ACTIVE))
        if runs is not None:
            query = query.where(J.run_id.in_(list(runs)))
        if ids is not None:
            query = query.where(J.id.in_(list(ids)))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())


def _budget(kind: str, cap: int, spent: int, quote: int) -> str:
    return (
        f"{kind} budget: {ledger.fmt_usd(spent)} committed + {ledger.fmt_usd(quote)} for this "
        f"shot would exceed the cap of {ledger.fmt_usd(cap)}"
    )


class _SlotCounts:
    """A provider's jobs in flight and submits in the last minute, per route, read once per
    admission batch and counted up as the batch is let through."""

    def __init__(self, per_route: dict[str, list[int]]) -> None:
        self.per_route = per_route
        self.flying = sum(v[0] for v in per_route.values())
        self.recent = sum(v[1] for v in per_route.values())

    @classmethod
    def read(
        cls, conn: Connection, provider: str, now: datetime, requests: Sequence[AdmitRequest]
    ) -> _SlotCounts:
        if all(_unlimited(r.limits) for r in requests):
            return cls({})
        flying = J.status.in_(IN_FLIGHT)
        recent = J.submit_started_at > now - timedelta(seconds=60)
        rows = conn.execute(
            select(
                J.route_id,
                func.sum(case((flying, 1), else_=0)),
                func.sum(case((recent, 1), else_=0)),
            )
            .where(J.provider == provider, flying | recent)
            .group_by(J.route_id)
        )
        return cls({route: [int(f or 0), int(r or 0)] for route, f, r in rows})

    def over(self, route_id: str, lim: SlotLimits) -> str:
        """Why a submit must wait (a limit reached), or ""."""
        route = self.per_route.get(route_id, [0, 0])
        checks = (
            ("account", self.flying, lim.account_in_flight, "in flight"),
            ("account", self.recent, lim.account_per_minute, "submits in the last minute"),
            ("model", route[0], lim.route_in_flight, "in flight"),
            ("model", route[1], lim.route_per_minute, "submits in the last minute"),
        )
        for label, n, cap, what in checks:
            if cap is not None and n >= cap:
                return f"{label} limit: {n}/{cap} {what}"
        return ""

    def take(self, route_id: str) -> None:
        route = self.per_route.setdefault(route_id, [0, 0])
        route[0] += 1
        route[1] += 1
        self.flying += 1
        self.recent += 1


def _unlimited(lim: SlotLimits) -> bool:
    return all(
        v is None
        for v in (lim.account_in_flight, lim.account_per_minute, lim.route_in_flight,
                  lim.route_per_minute)
    )  # fmt: skip


class _Budget:
    """Money committed per production and this month, summed once per admission batch (only
    when a cap applies) and counted up as holds are taken."""

    def __init__(self, conn: Connection, now: datetime, monthly_cap: int | None) -> None:
        self.conn, self.monthly_cap = conn, monthly_cap
        self.month = ledger.month_of(now)
        self.monthly: int | None = None
        self.runs: dict[str, int] = {}

    def refusal(self, job: Any, run_cap: int | None) -> str:
        quote = job.quote_micros
        if run_cap is not None:
            if job.run_id not in self.runs:
                self.runs[job.run_id] = ledger.committed(self.conn, run_id=job.run_id)
            spent = self.runs[job.run_id]
            if spent + quote > run_cap:
                return _budget("production", run_cap, spent, quote)
        if self.monthly_cap is not None:
            if self.monthly is None:
                self.monthly = ledger.committed(self.conn, month=self.month)
            if self.monthly + quote > self.monthly_cap:
                return _budget("monthly", self.monthly_cap, self.monthly, quote)
        return ""

    def take(self, job: Any) -> None:
        if job.run_id in self.runs:
            self.runs[job.run_id] += job.quote_micros
        if self.monthly is not None:
            self.monthly += job.quote_micros


@functools.lru_cache(maxsize=128)
def _guarded_update(columns: tuple[str, ...], *, owned: bool) -> Any:
    """UPDATE jobs SET <columns> WHERE id, lease owner (or none) and status in the expected ones,
    built once per shape: constructing the statement cost more than running it."""
    owner = J.lease_owner == bindparam("worker") if owned else J.lease_owner.is_(None)
    return (
        update(JOBS)
        .where(J.id == bindparam("job_id"), owner,
               J.status.in_(bindparam("expect", expanding=True)))
        .values({name: bindparam(f"set_{name}") for name in columns})
    )  # fmt: skip


def _params(values: dict[str, Any]) -> dict[str, Any]:
    return {f"set_{name}": value for name, value in values.items()}
