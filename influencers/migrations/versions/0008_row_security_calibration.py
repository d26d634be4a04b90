"""row-level security on the calibration tables (labels, trained classifiers, comparisons, events)

Revision ID: 0008_row_security_calibration
Revises: 0007_calibration
Create Date: 2026-12-06 20:30:00
"""
from alembic import op

from influencers import row_security

revision = '0008_row_security_calibration'
down_revision = '0007_calibration'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Idempotent: grants and policies for every tenant table of the schema, the new ones included.
    row_security.install(op.get_bind())


def downgrade() -> None:
    pass  # 0005's downgrade removes every policy
