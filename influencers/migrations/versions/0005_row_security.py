"""row-level security on the tenant tables (PostgreSQL)

Revision ID: 0005_row_security
Revises: 0004_brands
Create Date: 2026-12-06 18:40:00
"""
from alembic import op

from influencers import row_security

revision = '0005_row_security'
down_revision = '0004_brands'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The tenant tables are found in the catalogue (those with a workspace_id column, and
    # the child tables listed in row_security.CHILD_TABLES): the same function sets up the
    # tests' create_all databases. A later migration that adds a tenant table calls it again.
    row_security.install(op.get_bind())


def downgrade() -> None:
    row_security.uninstall(op.get_bind())
