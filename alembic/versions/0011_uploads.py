"""uploads in progress (tus): what a member is sending to a project, sealed in the staging area until complete

Revision ID: 0011_uploads
Revises: 0010_job_failures
Create Date: 2026-11-30 14:55:50.265863
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011_uploads'
down_revision: str | None = '0010_job_failures'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('upload',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('declared_length', sa.BigInteger(), nullable=False),
    sa.Column('received_bytes', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('file_id', sa.String(length=32), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('asset_id', sa.String(length=32), nullable=True),
    sa.Column('lease_token', sa.String(length=32), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_upload_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_upload_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_upload_project_state', ['project_id', 'state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('upload', schema=None) as batch_op:
        batch_op.drop_index('ix_upload_project_state')
        batch_op.drop_index(batch_op.f('ix_upload_owner_id'))
        batch_op.drop_index(batch_op.f('ix_upload_expires_at'))

    op.drop_table('upload')
