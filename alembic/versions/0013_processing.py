"""media processing: the original may be gone from a refused asset (its name kept), pending output blobs

Revision ID: 0013_processing
Revises: 0012_derush_review
Create Date: 2026-11-30 14:59:01.303695
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013_processing'
down_revision: str | None = '0012_derush_review'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('media_asset', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_storage_keys', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('refused_name_encrypted', sa.LargeBinary(), nullable=True))
        batch_op.alter_column('file_id',
               existing_type=sa.VARCHAR(length=32),
               nullable=True)


def downgrade() -> None:
    # Refused uploads whose original is gone cannot be kept by a schema that requires one.
    op.execute("DELETE FROM media_asset WHERE file_id IS NULL")
    with op.batch_alter_table('media_asset', schema=None) as batch_op:
        batch_op.alter_column('file_id',
               existing_type=sa.VARCHAR(length=32),
               nullable=False)
        batch_op.drop_column('refused_name_encrypted')
        batch_op.drop_column('pending_storage_keys')
