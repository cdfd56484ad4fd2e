"""The store's tables. Changing them needs a new Alembic migration in ``migrations/versions``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Asset(Base):
    """A content-addressed file: the sha256 of its bytes is its identity."""

    __tablename__ = "assets"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # video, audio, image, report, ...
    size: Mapped[int] = mapped_column(Integer)
    relpath: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    production_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))  # running, done, failed
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    out_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    report_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    cut_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What `reel resume` needs to finish the run (out dir, preset) and the cancel flag workers see.
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    shots: Mapped[list[ShotRender]] = relationship(
        back_populates="run", order_by="ShotRender.position", cascade="all, delete-orphan"
    )


class ShotRender(Base):
    """One shot as rendered in one run: either a cache hit or the result of a generation."""

    __tablename__ = "shot_renders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    shot_id: Mapped[str] = mapped_column(String(100))
    generator: Mapped[str] = mapped_column(String(100))
    cache_key: Mapped[str] = mapped_column(String(64), index=True)
    cache_hit: Mapped[bool] = mapped_column(Boolean)
    seed: Mapped[int] = mapped_column(Integer)
    frames: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)  # wall time spent on this shot in this run
    status: Mapped[str] = mapped_column(String(20))
    asset_sha256: Mapped[str | None] = mapped_column(ForeignKey("assets.sha256"), nullable=True)
    generation_id: Mapped[int | None] = mapped_column(ForeignKey("generations.id"), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    run: Mapped[Run] = relationship(back_populates="shots")


class Generation(Base):
    """One real invocation of a generator (previz or a provider). Cache hits make none."""

    __tablename__ = "generations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    generator: Mapped[str] = mapped_column(String(100))
    generator_version: Mapped[str] = mapped_column(String(200))
    cache_key: Mapped[str] = mapped_column(String(64), index=True)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    seconds: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20))
    asset_sha256: Mapped[str | None] = mapped_column(ForeignKey("assets.sha256"), nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CacheEntry(Base):
    """cache key → asset. A key covers everything that changes a shot's pixels or sound."""

    __tablename__ = "cache_entries"
    cache_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    asset_sha256: Mapped[str] = mapped_column(ForeignKey("assets.sha256"))
    generation_id: Mapped[int | None] = mapped_column(ForeignKey("generations.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Job(Base):
    """One paid provider task for one shot request: the durable state of submit → poll → download.

    Status: queued → submitting → submitted → downloading → done, or failed / canceled /
    needs_attention. ``submitting`` is committed *before* the POST, so after a crash the engine
    knows a charge may exist and reconciles instead of paying twice.
    """

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)  # our idempotency key, per attempt
    request_key: Mapped[str] = mapped_column(String(64), index=True)  # the shot's cache key
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    run_id: Mapped[str] = mapped_column(String(32), index=True)
    position: Mapped[int] = mapped_column(Integer)
    shot_id: Mapped[str] = mapped_column(String(100))
    route_id: Mapped[str] = mapped_column(String(100))
    provider: Mapped[str] = mapped_column(String(40), index=True)  # the account limits apply to
    status: Mapped[str] = mapped_column(String(20), index=True)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)  # shot request + options + versions
    wire: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    handle: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # outputs, charge
    progress: Mapped[float | None] = mapped_column(Float, nullable=True)
    submits: Mapped[int] = mapped_column(Integer, default=0)  # POSTs sent (must stay ≤ 1)
    tries: Mapped[int] = mapped_column(Integer, default=0)  # transient failures, for backoff
    submit_started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    quote_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    charge_micros: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    charge_source: Mapped[str | None] = mapped_column(String(20), nullable=True)
    asset_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    generation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class LedgerEntry(Base):
    """Money, in integer micro-dollars. Per job: hold at submit, then release of the hold and a
    charge (the provider's reported usage, else the quote) — or release alone when not billed."""

    __tablename__ = "ledger_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    run_id: Mapped[str] = mapped_column(String(32), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    route_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # hold, release, charge
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    month: Mapped[str] = mapped_column(String(7), index=True)  # 2026-11: monthly caps, reports
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Worker(Base):
    """A process that drives jobs. Its leases expire when it stops heartbeating."""

    __tablename__ = "workers"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(20))  # alive, stopped, dead
