"""idempotency records scoped to the API key that sent them

Existing records are deleted: they may hold plaintext API keys (created before
replays redacted secrets) and carry no API key to scope them to.

Revision ID: 0002_idempotency_scope
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_idempotency_scope"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM idempotency_records")
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_key_id", sa.Integer(), nullable=False))
        batch_op.drop_constraint("uq_idempotency_records_workspace_id_key", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_idempotency_records_api_key_id_key"), ["api_key_id", "key"])
        batch_op.create_foreign_key(batch_op.f("fk_idempotency_records_api_key_id_api_keys"), "api_keys",
                                    ["api_key_id"], ["id"], ondelete="CASCADE")
        batch_op.create_index(batch_op.f("ix_idempotency_records_workspace_id"), ["workspace_id"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM idempotency_records")
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_records_workspace_id"))
        batch_op.drop_constraint("fk_idempotency_records_api_key_id_api_keys", type_="foreignkey")
        batch_op.drop_constraint("uq_idempotency_records_api_key_id_key", type_="unique")
        batch_op.create_unique_constraint("uq_idempotency_records_workspace_id_key", ["workspace_id", "key"])
        batch_op.drop_column("api_key_id")
