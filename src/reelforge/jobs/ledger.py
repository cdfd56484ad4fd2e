"""The money ledger: integer micro-dollars, written in the same transaction as each job change.

Per paid job: a ``hold`` of the quote when the submit is about to be sent; when the job ends,
a ``release`` of the whole hold and, if the provider bills it, a ``charge`` (the provider's
reported usage converted by the catalogue, else the quote). So for every finished job
holds == releases, and the money spent is the sum of the charges; a job still in flight has
exactly its hold outstanding. Budget caps count outstanding holds plus charges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, insert, select

from reelforge.store.tables import Job, LedgerEntry

MICROS = Decimal(1_000_000)
_L = LedgerEntry.__table__.c


def usd(micros: int) -> Decimal:
    return Decimal(micros) / MICROS


def fmt_usd(micros: int | None) -> str:
    return "—" if micros is None else f"${usd(micros):,.4f}".rstrip("0").rstrip(".")


def month_of(when: datetime) -> str:
    return when.strftime("%Y-%m")


_INSERT = insert(LedgerEntry)  # built once: rows differ only in their parameters


def _row(job: Any, kind: str, amount: int, when: datetime, note: str = "",
         month: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "job_id": job.id,
        "run_id": job.run_id,
        "provider": job.provider,
        "route_id": job.route_id,
        "kind": kind,
        "amount_micros": amount,
        "month": month or month_of(when),
        "note": note,
        "created_at": when,
    }


def hold_many(conn: Connection, holds: list[tuple[Any, int]], when: datetime) -> None:
    """Holds for several jobs in one statement (an admission batch)."""
    if holds:
        rows = [
            _row(job, "hold", amount, when, "quote held before submit") for job, amount in holds
        ]
        conn.execute(_INSERT, rows)


# Built once: a worker settles 1,000 jobs in a burst when a batch of tasks ends together, and
# building the statement cost more than running it.
_OUTSTANDING = select(
    func.coalesce(func.sum(case((_L.kind == "hold", _L.amount_micros), else_=0)), 0)
    - func.coalesce(func.sum(case((_L.kind == "release", _L.amount_micros), else_=0)), 0),
    func.max(case((_L.kind == "hold", _L.month))),
).where(_L.job_id == bindparam("job_id"))


def outstanding_hold(conn: Connection, job_id: int) -> tuple[int, str | None]:
    """The job's hold not yet released, and the month it was taken in."""
    row = conn.execute(_OUTSTANDING, {"job_id": job_id}).one()
    return int(row[0]), row[1]


def settle(conn: Connection, job: Any, charge: int | None, when: datetime, note: str = "") -> None:
    """Release what is held for ``job`` and charge ``charge`` (None: the provider did not bill)."""
    held, month = outstanding_hold(conn, job.id)
    rows = []
    if held:
        rows.append(_row(job, "release", held, when, note or "hold released", month=month))
    if charge is not None:
        rows.append(_row(job, "charge", charge, when, note))
    if rows:
        conn.execute(_INSERT, rows)


def committed(conn: Connection, *, run_id: str | None = None, month: str | None = None) -> int:
    """Money spent or promised: charges plus holds not yet released (micro-dollars)."""
    signed = case(
        (_L.kind == "release", -_L.amount_micros),
        else_=_L.amount_micros,
    )
    query = select(func.coalesce(func.sum(signed), 0))
    if run_id is not None:
        query = query.where(_L.run_id == run_id)
    if month is not None:
        query = query.where(_L.month == month)
    return int(conn.execute(query).scalar_one())


@dataclass(frozen=True)
class Balance:
    holds: int
    releases: int
    charges: int
    outstanding: int  # holds of jobs still in flight
    unbalanced_jobs: tuple[int, ...]  # finished jobs whose holds were not all released

    @property
    def ok(self) -> bool:
        return not self.unbalanced_jobs and self.holds == self.releases + self.outstanding


def balance(conn: Connection, *, run_id: str | None = None) -> Balance:
    """Check the invariant: every finished job's holds are released; in-flight holds remain."""
    j = Job.__table__.c
    per_job = (
        select(
            _L.job_id,
            func.sum(case((_L.kind == "hold", _L.amount_micros), else_=0)).label("h"),
            func.sum(case((_L.kind == "release", _L.amount_micros), else_=0)).label("r"),
            func.sum(case((_L.kind == "charge", _L.amount_micros), else_=0)).label("c"),
        )
        .group_by(_L.job_id)
        .subquery()
    )
    query = select(per_job.c.job_id, per_job.c.h, per_job.c.r, per_job.c.c, j.status).join(
        Job.__table__, j.id == per_job.c.job_id
    )
    if run_id is not None:
        query = query.where(j.run_id == run_id)
    holds = releases = charges = outstanding = 0
    bad: list[int] = []
    for job_id, h, r, c, status in conn.execute(query):
        holds, releases, charges = holds + h, releases + r, charges + c
        finished = status in ("done", "failed", "canceled")
        if finished and h != r:
            bad.append(job_id)
        elif not finished:
            outstanding += h - r
    return Balance(holds, releases, charges, outstanding, tuple(bad))
