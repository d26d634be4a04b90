"""import digests of snapshots: a follower snapshot remembers the digest of the line that wrote it,
found by that digest alone (an index), so a re-import skips an unchanged snapshot line undecoded

Revision ID: 0013_snapshot_import_digests
Revises: 0012_scoring_run_status_in_job
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_snapshot_import_digests'
down_revision = '0012_scoring_run_status_in_job'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('follower_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_digest', sa.BigInteger(), nullable=True))
        batch_op.create_index('ix_follower_snapshots_import_digest', ['import_digest', 'creator_id', 'date'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('follower_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_follower_snapshots_import_digest')
        batch_op.drop_column('import_digest')
