"""scoring runs: status, error and times held by the run's job row only

A scoring run kept its own status, error and times beside its job's. The job row is now
the one that holds them: a run without a job (run by the CLI) gets one, each job takes
its run's values (what the runs API has answered so far), and the run's copies go.

Revision ID: 0012_scoring_run_status_in_job
Revises: 0011_creator_scores_reach_index
"""
import sqlalchemy as sa
from alembic import op

import influencers.db

revision = '0012_scoring_run_status_in_job'
down_revision = '0011_creator_scores_reach_index'
branch_labels = None
depends_on = None

MOVED = ('status', 'error', 'created_at', 'started_at', 'finished_at')

runs = sa.table(
    'scoring_runs', sa.column('id', sa.Integer), sa.column('workspace_id', sa.Integer),
    sa.column('job_id', sa.Integer), sa.column('status', sa.String), sa.column('error', sa.Text),
    sa.column('created_at', influencers.db.UTCDateTime(timezone=True)),
    sa.column('started_at', influencers.db.UTCDateTime(timezone=True)),
    sa.column('finished_at', influencers.db.UTCDateTime(timezone=True)),
)
jobs = sa.table(
    'jobs', sa.column('id', sa.Integer), sa.column('workspace_id', sa.Integer), sa.column('kind', sa.String),
    sa.column('status', sa.String), sa.column('params', sa.JSON), sa.column('error', sa.Text),
    sa.column('progress', sa.Float), sa.column('attempts', sa.Integer),
    sa.column('created_at', influencers.db.UTCDateTime(timezone=True)),
    sa.column('started_at', influencers.db.UTCDateTime(timezone=True)),
    sa.column('finished_at', influencers.db.UTCDateTime(timezone=True)),
)


def upgrade() -> None:
    bind = op.get_bind()
    # Runs the CLI ran had no job: each gets one holding its status (one row per run; runs
    # are few, a workspace's history of scoring runs).
    for run in bind.execute(sa.select(runs).where(runs.c.job_id.is_(None)).order_by(runs.c.id)).mappings().all():
        job_id = bind.execute(sa.insert(jobs).values(
            workspace_id=run['workspace_id'], kind='score', status=run['status'], params={'run_id': run['id']},
            error=run['error'], progress=1.0 if run['status'] == 'succeeded' else 0.0, attempts=0,
            created_at=run['created_at'], started_at=run['started_at'], finished_at=run['finished_at'],
        ).returning(jobs.c.id)).scalar_one()
        bind.execute(sa.update(runs).where(runs.c.id == run['id']).values(job_id=job_id))
    # The other jobs take their run's values: what GET /scoring-runs answered.
    of_run = {name: sa.select(getattr(runs.c, name)).where(runs.c.job_id == jobs.c.id).scalar_subquery()
              for name in MOVED}
    bind.execute(sa.update(jobs).where(jobs.c.id.in_(sa.select(runs.c.job_id))).values(**of_run))

    with op.batch_alter_table('scoring_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_scoring_runs_workspace_created')
        batch_op.drop_constraint('fk_scoring_runs_job_id_jobs', type_='foreignkey')
        batch_op.alter_column('job_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key('fk_scoring_runs_job_id_jobs', 'jobs', ['job_id'], ['id'], ondelete='CASCADE')
        for name in MOVED:
            batch_op.drop_column(name)
        batch_op.create_index('ix_scoring_runs_workspace', ['workspace_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('scoring_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_scoring_runs_workspace')
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('created_at', influencers.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('started_at', influencers.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('finished_at', influencers.db.UTCDateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    of_job = {name: sa.select(getattr(jobs.c, name)).where(jobs.c.id == runs.c.job_id).scalar_subquery()
              for name in MOVED}
    bind.execute(sa.update(runs).values(**of_job))
    with op.batch_alter_table('scoring_runs', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column('created_at', existing_type=influencers.db.UTCDateTime(timezone=True), nullable=False)
        batch_op.drop_constraint('fk_scoring_runs_job_id_jobs', type_='foreignkey')
        batch_op.alter_column('job_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key('fk_scoring_runs_job_id_jobs', 'jobs', ['job_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_scoring_runs_workspace_created', ['workspace_id', 'created_at'], unique=False)
