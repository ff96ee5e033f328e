"""todos.deleted_at: deletes are soft for a while, so they can be undone

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("todos", sa.Column("deleted_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    # Deleted todos were invisible already; dropping the column must not bring them back.
    op.execute("DELETE FROM todos WHERE deleted_at IS NOT NULL")
    with op.batch_alter_table("todos") as batch:
        batch.drop_column("deleted_at")
