"""snapshot_runs: one digest per run of a creator's snapshot lines, so a re-import skips a run
whose rows are unchanged without a step per line (influencers/imports/snapshot_runs.py)

Revision ID: 0018_snapshot_runs
Revises: 0017_discovery_generations
"""
import sqlalchemy as sa
from alembic import op

from influencers import row_security

revision = '0018_snapshot_runs'
down_revision = '0017_discovery_generations'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'snapshot_runs',
        sa.Column('creator_id', sa.Integer(), nullable=False),
        sa.Column('first_date', sa.Date(), nullable=False),
        sa.Column('last_date', sa.Date(), nullable=False),
        sa.Column('import_digest', sa.BigInteger(), nullable=False),
        sa.Column('rows_check', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['creator_id'], ['creators.id'], name=op.f('fk_snapshot_runs_creator_id_creators'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('creator_id', 'first_date', name=op.f('pk_snapshot_runs')),
    )
    op.create_index('ix_snapshot_runs_import_digest', 'snapshot_runs', ['import_digest'])
    # Grants to the request role, and the table's policy (through its creator).
    row_security.install(op.get_bind())


def downgrade() -> None:
    op.drop_index('ix_snapshot_runs_import_digest', table_name='snapshot_runs')
    op.drop_table('snapshot_runs')
