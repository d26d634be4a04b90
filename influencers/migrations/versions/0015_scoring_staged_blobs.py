"""scoring_staged_blobs: what a chunked run's first pass and chunks hand each other

A chunked run whose chunks run on several Celery workers passes the first pass's
statistics and each chunk's scored rows through this table (typed blobs, never pickles);
the run deletes them in the transaction that ends it.

Revision ID: 0015_scoring_staged_blobs
Revises: 0014_snapshots_growth_index
Create Date: 2026-12-07 03:50:00
"""
import sqlalchemy as sa
from alembic import op

from influencers import row_security

revision = '0015_scoring_staged_blobs'
down_revision = '0014_snapshots_growth_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scoring_staged_blobs",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("scoring_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("format_version", sa.SmallInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "chunk", "name"),
    )
    # Idempotent: grants and policies for every tenant table, this one (a child of its run) included.
    row_security.install(op.get_bind())


def downgrade() -> None:
    op.drop_table("scoring_staged_blobs")  # its policy goes with it
