"""creator_scores: an index covering the current estimated reach by creator

Brand reports (share of voice, time series, mentions) join each mention to its creator's
current score for the estimated reach; with the reach in the index the join reads the
index alone instead of one score row per mention.

Revision ID: 0011_creator_scores_reach_index
Revises: 0010_import_digests
Create Date: 2026-12-06 22:00:00
"""
from alembic import op

revision = '0011_creator_scores_reach_index'
down_revision = '0010_import_digests'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_creator_scores_creator_reach", "creator_scores",
                    ["creator_id", "is_current", "workspace_id", "estimated_reach"])


def downgrade() -> None:
    op.drop_index("ix_creator_scores_creator_reach", table_name="creator_scores")
