"""store each credential's signed QR summary credential (docs/qr-format.md)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:00:00

Credentials issued before this revision keep ``summary_document`` null: their certificates
were printed without a summary QR code, and reissuing one gives it a summary.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ALTER TABLE ... ADD COLUMN on both backends: the table is not rebuilt, so its
    # partial unique index (one current credential per learner) stays exactly as it is.
    with op.batch_alter_table("credentials", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("summary_document", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credentials", recreate="never") as batch_op:
        batch_op.drop_column("summary_document")
