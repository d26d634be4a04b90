"""api_key_generation: a counter bumped by triggers on every change to an API key

Server processes cache authenticated keys and drop them when this number moves
(influencers.workspaces.key_cache).

Revision ID: 0009_api_key_generation
Revises: 0008_row_security_calibration
"""
import sqlalchemy as sa
from alembic import op

from influencers import row_security
from influencers.workspaces.models import install_generation_triggers

revision = '0009_api_key_generation'
down_revision = '0008_row_security_calibration'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'api_key_generation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('generation', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key_generation')),
    )
    install_generation_triggers(op.get_bind())
    # Grants to the request role, and the table's policy (it holds no workspace's data).
    row_security.install(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS api_keys_changed ON api_keys')
        op.execute('DROP FUNCTION IF EXISTS api_key_generation_bump()')
    else:
        op.execute('DROP TRIGGER IF EXISTS api_keys_changed')
        op.execute('DROP TRIGGER IF EXISTS api_keys_deleted')
    op.drop_table('api_key_generation')
