"""Worker processes: a stable unique id each, a heartbeat, and the reaping of dead ones.

A worker's leases expire on their own when it stops heartbeating (another worker then takes
its jobs). A worker on this host whose process is gone is reaped at once, so `reel resume`
right after a kill -9 does not wait out the lease.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import timedelta

from sqlalchemy import insert, select, update

from reelforge.jobs.queue import ACTIVE, JOBS, WORKERS, J, W, utcnow
from reelforge.store import Store
from reelforge.store.tables import Worker


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(3)}"


def register(store: Store, worker_id: str) -> None:
    now = utcnow()
    with store.engine.begin() as conn:
        conn.execute(
            insert(Worker).values(
                id=worker_id,
                host=socket.gethostname(),
                pid=os.getpid(),
                started_at=now,
                heartbeat_at=now,
                state="alive",
            )
        )


def stop(store: Store, worker_id: str) -> None:
    """A clean exit: hand every lease back at once."""
    with store.engine.begin() as conn:
        conn.execute(
            update(JOBS)
            .where(J.lease_owner == worker_id)
            .values(lease_owner=None, lease_expires_at=None)
        )
        conn.execute(update(WORKERS).where(W.id == worker_id).values(state="stopped"))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap(store: Store, *, lease: float) -> list[str]:
    """Mark dead workers (gone from this host, or silent for 3 leases) and free their jobs."""
    host = socket.gethostname()
    silent = utcnow() - timedelta(seconds=3 * lease)
    with store.engine.connect() as conn:
        alive = list(
            conn.execute(select(W.id, W.host, W.pid, W.heartbeat_at).where(W.state == "alive"))
        )
    dead = [
        wid
        for wid, whost, pid, beat in alive
        if (whost == host and not _pid_alive(pid)) or beat < silent
    ]
    if dead:
        with store.engine.begin() as conn:
            conn.execute(update(WORKERS).where(W.id.in_(dead)).values(state="dead"))
            conn.execute(
                update(JOBS)
                .where(J.lease_owner.in_(dead), J.status.in_(ACTIVE))
                .values(lease_owner=None, lease_expires_at=None)
            )
    return dead


def live_workers(store: Store, *, lease: float) -> list[str]:
    fresh = utcnow() - timedelta(seconds=3 * lease)
    with store.engine.connect() as conn:
        rows = conn.execute(select(W.id).where(W.state == "alive", W.heartbeat_at >= fresh))
        return [r[0] for r in rows]
