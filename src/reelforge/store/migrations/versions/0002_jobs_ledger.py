"""Durable provider jobs, the money ledger, workers; runs remember how to resume.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # PostgreSQL enforces VARCHAR lengths (SQLite never did): widen the ones real data outgrew.
    with op.batch_alter_table("generations") as batch:
        batch.alter_column("generator_version", type_=sa.String(200))
    with op.batch_alter_table("runs") as batch:
        batch.alter_column("title", type_=sa.Text)
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("options", sa.JSON, nullable=True))
        batch.add_column(
            sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(80), nullable=False, unique=True),
        sa.Column("request_key", sa.String(64), nullable=False, index=True),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("shot_id", sa.String(100), nullable=False),
        sa.Column("route_id", sa.String(100), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("wire", sa.JSON, nullable=True),
        sa.Column("handle", sa.JSON, nullable=True),
        sa.Column("result", sa.JSON, nullable=True),
        sa.Column("progress", sa.Float, nullable=True),
        sa.Column("submits", sa.Integer, nullable=False),
        sa.Column("tries", sa.Integer, nullable=False),
        sa.Column("submit_started_at", sa.DateTime, nullable=True),
        sa.Column("next_attempt_at", sa.DateTime, nullable=True),
        sa.Column("lease_owner", sa.String(80), nullable=True, index=True),
        sa.Column("lease_expires_at", sa.DateTime, nullable=True),
        sa.Column("quote_micros", sa.BigInteger, nullable=False),
        sa.Column("charge_micros", sa.BigInteger, nullable=True),
        sa.Column("charge_source", sa.String(20), nullable=True),
        sa.Column("asset_sha256", sa.String(64), nullable=True),
        sa.Column("generation_id", sa.Integer, nullable=True),
        sa.Column("error_type", sa.String(40), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False, index=True),
        sa.Column("run_id", sa.String(32), nullable=False, index=True),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("route_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("amount_micros", sa.BigInteger, nullable=False),
        sa.Column("month", sa.String(7), nullable=False, index=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "workers",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("heartbeat_at", sa.DateTime, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
    )


def downgrade() -> None:
    for table in ("workers", "ledger_entries", "jobs"):
        op.drop_table(table)
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("cancel_requested")
        batch.drop_column("options")
        batch.alter_column("title", type_=sa.String(300))
    with op.batch_alter_table("generations") as batch:
        batch.alter_column("generator_version", type_=sa.String(40))
