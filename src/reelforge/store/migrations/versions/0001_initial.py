"""Initial store: assets, runs, shot renders, generations, cache entries.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("relpath", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("info", sa.JSON, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("production_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.Column("out_path", sa.Text, nullable=True),
        sa.Column("report_path", sa.Text, nullable=True),
        sa.Column("cut_sha256", sa.String(64), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("summary", sa.JSON, nullable=False),
    )
    op.create_table(
        "generations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("generator", sa.String(100), nullable=False),
        sa.Column("generator_version", sa.String(40), nullable=False),
        sa.Column("cache_key", sa.String(64), nullable=False, index=True),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("asset_sha256", sa.String(64), sa.ForeignKey("assets.sha256"), nullable=True),
        sa.Column("meta", sa.JSON, nullable=False),
    )
    op.create_table(
        "shot_renders",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("shot_id", sa.String(100), nullable=False),
        sa.Column("generator", sa.String(100), nullable=False),
        sa.Column("cache_key", sa.String(64), nullable=False, index=True),
        sa.Column("cache_hit", sa.Boolean, nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("frames", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("asset_sha256", sa.String(64), sa.ForeignKey("assets.sha256"), nullable=True),
        sa.Column("generation_id", sa.Integer, sa.ForeignKey("generations.id"), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_table(
        "cache_entries",
        sa.Column("cache_key", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("asset_sha256", sa.String(64), sa.ForeignKey("assets.sha256"), nullable=False),
        sa.Column("generation_id", sa.Integer, sa.ForeignKey("generations.id"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("cache_entries", "shot_renders", "generations", "runs", "assets"):
        op.drop_table(table)
