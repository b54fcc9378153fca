"""count each credential's download-link regenerations (the learner's download page)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 05:30:00

A learner's download link is derived from a secret and the credential's id and this number
(issuer/download_links.py); regenerating a link increments it, so the old link stops working.
Existing credentials start at 0; their links are created when first needed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ALTER TABLE ... ADD COLUMN on both backends (see 0002): the partial unique index
    # of the table stays exactly as it is.
    with op.batch_alter_table("credentials", recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("download_link_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials", recreate="never") as batch_op:
        batch_op.drop_column("download_link_version")
