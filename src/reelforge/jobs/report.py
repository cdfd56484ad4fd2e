"""Ledger summaries for `reel ledger`: quoted vs charged per run, provider, model and month."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, case, cast, func, select

from reelforge.jobs import ledger
from reelforge.jobs.queue import J
from reelforge.store import Store
from reelforge.store.tables import Job, LedgerEntry

_L = LedgerEntry.__table__.c


@dataclass(frozen=True)
class LedgerRow:
    run_id: str
    provider: str
    route_id: str
    month: str
    jobs: int
    quoted: int  # micro-dollars
    charged: int
    held: int  # still held for jobs in flight or needing attention
    charged_failures: int  # failed or canceled jobs that were billed anyway
    unpriced: int = 0  # billed jobs whose price nobody knows (no catalogue price, no usage)

    def as_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "provider": self.provider,
            "model": self.route_id,
            "month": self.month,
            "jobs": self.jobs,
            "quoted_usd": str(ledger.usd(self.quoted)),
            "charged_usd": str(ledger.usd(self.charged)),
            "held_usd": str(ledger.usd(self.held)),
            "charged_failures": self.charged_failures,
            "unpriced": self.unpriced,
        }


def ledger_rows(
    store: Store, *, run_id: str | None = None, month: str | None = None
) -> list[LedgerRow]:
    """One row per run, provider, model and month of the job's creation."""
    month_expr = func.substr(cast(J.created_at, String), 1, 7)
    money = (
        select(
            _L.job_id,
            func.sum(case((_L.kind == "charge", _L.amount_micros), else_=0)).label("charged"),
            func.sum(
                case(
                    (_L.kind == "hold", _L.amount_micros),
                    (_L.kind == "release", -_L.amount_micros),
                    else_=0,
                )
            ).label("held"),
        )
        .group_by(_L.job_id)
        .subquery()
    )
    charged = func.coalesce(money.c.charged, 0)
    billed_failure = case((J.status.in_(("failed", "canceled")) & (charged > 0), 1), else_=0)
    query = (
        select(
            J.run_id,
            J.provider,
            J.route_id,
            month_expr.label("month"),
            func.count(),
            func.sum(J.quote_micros),
            func.sum(charged),
            func.sum(func.coalesce(money.c.held, 0)),
            func.sum(billed_failure),
            func.sum(case((J.charge_source == "unpriced", 1), else_=0)),
        )
        .select_from(Job.__table__.outerjoin(money, money.c.job_id == J.id))
        .group_by(J.run_id, J.provider, J.route_id, month_expr)
        .order_by(month_expr, J.run_id, J.provider, J.route_id)
    )
    if run_id is not None:
        query = query.where(J.run_id == run_id)
    if month is not None:
        query = query.where(month_expr == month)
    with store.engine.connect() as conn:
        return [
            LedgerRow(r[0], r[1], r[2], r[3], int(r[4]), int(r[5] or 0), int(r[6] or 0),
                      int(r[7] or 0), int(r[8] or 0), int(r[9] or 0))
            for r in conn.execute(query)
        ]  # fmt: skip


def attention(store: Store, *, run_id: str | None = None) -> list[Any]:
    """Jobs a human must look at: a submit whose fate is unknown, a task that cannot be followed."""
    query = select(Job.__table__).where(J.status == "needs_attention").order_by(J.id)
    if run_id is not None:
        query = query.where(J.run_id == run_id)
    with store.engine.connect() as conn:
        return list(conn.execute(query))
