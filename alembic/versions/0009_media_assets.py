"""media assets: rushes and versions with what processing made of them

Revision ID: 0009_media_assets
Revises: 0008_notification_threads
Create Date: 2026-11-30 14:50:31.265654
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009_media_assets'
down_revision: str | None = '0008_notification_threads'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('media_asset',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=False),
    sa.Column('file_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=True),
    sa.Column('uploaded_by', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('failure_reason', sa.String(length=300), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('frame_rate', sa.String(length=32), nullable=True),
    sa.Column('media_info', sa.JSON(), nullable=False),
    sa.Column('poster_file_id', sa.String(length=32), nullable=True),
    sa.Column('sprite_file_id', sa.String(length=32), nullable=True),
    sa.Column('proxy_file_id', sa.String(length=32), nullable=True),
    sa.Column('thumbnails_vtt', sa.Text(), nullable=True),
    sa.Column('waveform', sa.JSON(), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['poster_file_id'], ['stored_file.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proxy_file_id'], ['stored_file.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sprite_file_id'], ['stored_file.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploaded_by'], ['user_account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'kind', 'version_number', name='uq_media_asset_version')
    )
    with op.batch_alter_table('media_asset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_asset_file_id'), ['file_id'], unique=False)
        batch_op.create_index('ix_media_asset_project_kind', ['project_id', 'kind', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_asset_uploaded_by'), ['uploaded_by'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('media_asset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_asset_uploaded_by'))
        batch_op.drop_index('ix_media_asset_project_kind')
        batch_op.drop_index(batch_op.f('ix_media_asset_file_id'))

    op.drop_table('media_asset')
