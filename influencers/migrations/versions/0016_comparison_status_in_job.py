"""model comparisons: status, error and creation time held by the comparison's job row only

A comparison kept its own status, error and creation time beside its job's, and one made by
the CLI or inside a training job had no job. The job row is now the one that holds them, as
for scoring runs (0012): a comparison without a job gets one, each job takes its comparison's
values where the comparison had finished (what the API answered; a job the reaper failed, or
still running, keeps its own), and the comparison's copies go.

Revision ID: 0016_comparison_status_in_job
Revises: 0015_scoring_staged_blobs
"""
import sqlalchemy as sa
from alembic import op

import influencers.db

revision = '0016_comparison_status_in_job'
down_revision = '0015_scoring_staged_blobs'
branch_labels = None
depends_on = None

FINISHED = ('succeeded', 'failed')

comparisons = sa.table(
    'model_comparisons', sa.column('id', sa.Integer), sa.column('workspace_id', sa.Integer),
    sa.column('job_id', sa.Integer), sa.column('status', sa.String), sa.column('error', sa.Text),
    sa.column('created_at', influencers.db.UTCDateTime(timezone=True)),
)
jobs = sa.table(
    'jobs', sa.column('id', sa.Integer), sa.column('workspace_id', sa.Integer), sa.column('kind', sa.String),
    sa.column('status', sa.String), sa.column('params', sa.JSON), sa.column('error', sa.Text),
    sa.column('progress', sa.Float), sa.column('attempts', sa.Integer),
    sa.column('created_at', influencers.db.UTCDateTime(timezone=True)),
)


def upgrade() -> None:
    bind = op.get_bind()
    # Comparisons the CLI or a training job made had no job: each gets one holding its status
    # (one row per comparison; comparisons are few, made by analysts).
    for row in bind.execute(sa.select(comparisons).where(comparisons.c.job_id.is_(None))
                            .order_by(comparisons.c.id)).mappings().all():
        job_id = bind.execute(sa.insert(jobs).values(
            workspace_id=row['workspace_id'], kind='compare', status=row['status'],
            params={'comparison_id': row['id']}, error=row['error'],
            progress=1.0 if row['status'] == 'succeeded' else 0.0, attempts=0, created_at=row['created_at'],
        ).returning(jobs.c.id)).scalar_one()
        bind.execute(sa.update(comparisons).where(comparisons.c.id == row['id']).values(job_id=job_id))
    # The other jobs take their comparison's creation time, and its status and error where the
    # comparison had finished: a comparison stayed "queued" while its job ran or was reaped.
    of_comparison = {name: sa.select(getattr(comparisons.c, name)).where(comparisons.c.job_id == jobs.c.id)
                     .scalar_subquery() for name in ('status', 'error', 'created_at')}
    with_job = jobs.c.id.in_(sa.select(comparisons.c.job_id))
    bind.execute(sa.update(jobs).where(with_job).values(created_at=of_comparison['created_at']))
    finished = sa.exists().where(comparisons.c.job_id == jobs.c.id, comparisons.c.status.in_(FINISHED))
    bind.execute(sa.update(jobs).where(with_job, finished).values(
        status=of_comparison['status'], error=of_comparison['error']))

    with op.batch_alter_table('model_comparisons', schema=None) as batch_op:
        batch_op.drop_constraint('fk_model_comparisons_job_id_jobs', type_='foreignkey')
        batch_op.alter_column('job_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key('fk_model_comparisons_job_id_jobs', 'jobs', ['job_id'], ['id'],
                                    ondelete='CASCADE')
        for name in ('status', 'error', 'created_at'):
            batch_op.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table('model_comparisons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('created_at', influencers.db.UTCDateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    of_job = {name: sa.select(getattr(jobs.c, name)).where(jobs.c.id == comparisons.c.job_id).scalar_subquery()
              for name in ('status', 'error', 'created_at')}
    bind.execute(sa.update(comparisons).values(**of_job))
    with op.batch_alter_table('model_comparisons', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column('created_at', existing_type=influencers.db.UTCDateTime(timezone=True), nullable=False)
        batch_op.drop_constraint('fk_model_comparisons_job_id_jobs', type_='foreignkey')
        batch_op.alter_column('job_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key('fk_model_comparisons_job_id_jobs', 'jobs', ['job_id'], ['id'],
                                    ondelete='SET NULL')
