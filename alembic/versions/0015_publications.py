"""publications: scheduled posts to TikTok and Discord, per destination, with their step timeline

Revision ID: 0015_publications
Revises: 0014_connections
Create Date: 2026-11-30 17:45:32.948182
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0015_publications'
down_revision: str | None = '0014_connections'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('publication',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=False),
    sa.Column('media_asset_id', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('caption_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('cover_ms', sa.Integer(), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['media_asset_id'], ['media_asset.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_created_by'), ['created_by'], unique=False)
        batch_op.create_index('ix_publication_due', ['status', 'scheduled_for'], unique=False)
        batch_op.create_index(batch_op.f('ix_publication_media_asset_id'), ['media_asset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_publication_project_id'), ['project_id'], unique=False)

    op.create_table('publication_destination',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('publication_id', sa.String(length=32), nullable=False),
    sa.Column('destination', sa.String(length=16), nullable=False),
    sa.Column('sandbox', sa.Boolean(), nullable=False),
    sa.Column('privacy_level', sa.String(length=40), nullable=True),
    sa.Column('disable_comment', sa.Boolean(), nullable=False),
    sa.Column('disable_duet', sa.Boolean(), nullable=False),
    sa.Column('disable_stitch', sa.Boolean(), nullable=False),
    sa.Column('brand_content', sa.Boolean(), nullable=False),
    sa.Column('brand_organic', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('publish_id', sa.String(length=128), nullable=True),
    sa.Column('post_id', sa.String(length=128), nullable=True),
    sa.Column('post_url', sa.String(length=500), nullable=True),
    sa.Column('message_id', sa.String(length=64), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('publication_id', 'destination', name='uq_publication_destination')
    )
    with op.batch_alter_table('publication_destination', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_destination_publication_id'), ['publication_id'], unique=False)

    op.create_table('publication_step',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('destination_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('publish_id', sa.String(length=128), nullable=True),
    sa.Column('done_units', sa.Integer(), nullable=False),
    sa.Column('total_units', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['destination_id'], ['publication_destination.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('publication_step', schema=None) as batch_op:
        batch_op.create_index('ix_publication_step_destination', ['destination_id', 'started_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('publication_step', schema=None) as batch_op:
        batch_op.drop_index('ix_publication_step_destination')

    op.drop_table('publication_step')
    with op.batch_alter_table('publication_destination', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_destination_publication_id'))

    op.drop_table('publication_destination')
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_project_id'))
        batch_op.drop_index(batch_op.f('ix_publication_media_asset_id'))
        batch_op.drop_index('ix_publication_due')
        batch_op.drop_index(batch_op.f('ix_publication_created_by'))

    op.drop_table('publication')
