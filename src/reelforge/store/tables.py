"""The store's tables. Changing them needs a new Alembic migration in ``migrations/versions``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text
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
    title: Mapped[str] = mapped_column(String(300))
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
    generator_version: Mapped[str] = mapped_column(String(40))
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
