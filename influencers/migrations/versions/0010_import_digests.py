"""import digests: creators, posts and audience samples remember the digest of the record that wrote them

Revision ID: 0010_import_digests
Revises: 0009_api_key_generation
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_import_digests'
down_revision = '0009_api_key_generation'
branch_labels = None
depends_on = None

TABLES = ('creators', 'posts', 'audience_samples')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('import_digest', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('import_digest')
