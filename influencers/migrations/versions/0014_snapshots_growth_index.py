"""follower_snapshots: an index covering discovery's growth filter

The growth filter groups a workspace's snapshots of the last N days per creator and reads
the first and last followers of each; with the followers in the index, all of it is read
from the index alone instead of one table row per snapshot.

Revision ID: 0014_snapshots_growth_index
Revises: 0013_snapshot_import_digests
Create Date: 2026-12-07 01:45:00
"""
from alembic import op

revision = '0014_snapshots_growth_index'
down_revision = '0013_snapshot_import_digests'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_follower_snapshots_creator_date_followers", "follower_snapshots",
                    ["creator_id", "date", "followers"])


def downgrade() -> None:
    op.drop_index("ix_follower_snapshots_creator_date_followers", table_name="follower_snapshots")
