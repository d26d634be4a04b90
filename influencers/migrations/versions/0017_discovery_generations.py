"""discovery_generations (+ discovery_changes on PostgreSQL): a per-workspace generation moved by
triggers on every write discovery can see

Server processes keep a columnar index of each searched workspace and rebuild it when this
number moves (influencers.discovery.index).

Revision ID: 0017_discovery_generations
Revises: 0016_comparison_status_in_job
"""
import sqlalchemy as sa
from alembic import op

from influencers import row_security
from influencers.brands.discovery_generation import drop_statements, install_discovery_triggers

revision = '0017_discovery_generations'
down_revision = '0016_comparison_status_in_job'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'discovery_generations',
        sa.Column('workspace_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('generation', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('workspace_id', name=op.f('pk_discovery_generations')),
    )
    op.create_table(
        'discovery_changes',
        sa.Column('workspace_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('txid', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint('workspace_id', 'txid', name=op.f('pk_discovery_changes')),
    )
    install_discovery_triggers(op.get_bind())
    # Grants to the request role, and the table's policy (keyed on workspace_id).
    row_security.install(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    for statement in drop_statements(bind.dialect.name):
        op.execute(statement)
    op.drop_table('discovery_changes')
    op.drop_table('discovery_generations')
