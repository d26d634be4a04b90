"""jobs: heartbeat, worker, attempts and not_before (the reaper fails jobs whose worker died)

Revision ID: 0006_job_heartbeats
Revises: 0005_row_security
"""
import sqlalchemy as sa
from alembic import op

import influencers.db

revision = '0006_job_heartbeats'
down_revision = '0005_row_security'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', influencers.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('worker', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('not_before', influencers.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_jobs_unfinished', ['status', 'heartbeat_at'], unique=False,
                              sqlite_where=sa.text("status IN ('queued', 'running')"),
                              postgresql_where=sa.text("status IN ('queued', 'running')"))


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_unfinished', sqlite_where=sa.text("status IN ('queued', 'running')"),
                            postgresql_where=sa.text("status IN ('queued', 'running')"))
        batch_op.drop_column('not_before')
        batch_op.drop_column('attempts')
        batch_op.drop_column('worker')
        batch_op.drop_column('heartbeat_at')
