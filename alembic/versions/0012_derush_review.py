"""derush and review: selections in rushes, decided suggestions, time-coded comments on versions

Revision ID: 0012_derush_review
Revises: 0011_uploads
Create Date: 2026-11-30 14:55:36.371951
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012_derush_review'
down_revision: str | None = '0011_uploads'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('derush_selection',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('asset_id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=False),
    sa.Column('in_frame', sa.Integer(), nullable=False),
    sa.Column('out_frame', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=8), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('note_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('from_suggestion', sa.String(length=8), nullable=True),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['media_asset.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('derush_selection', schema=None) as batch_op:
        batch_op.create_index('ix_derush_selection_asset_in', ['asset_id', 'in_frame'], unique=False)
        batch_op.create_index(batch_op.f('ix_derush_selection_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_derush_selection_project_id'), ['project_id'], unique=False)

    op.create_table('derush_suggestion_decision',
    sa.Column('asset_id', sa.String(length=32), nullable=False),
    sa.Column('suggestion_key', sa.String(length=64), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('decided_by', sa.String(length=32), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['media_asset.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('asset_id', 'suggestion_key')
    )
    with op.batch_alter_table('derush_suggestion_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_derush_suggestion_decision_decided_by'), ['decided_by'], unique=False)

    op.create_table('review_comment',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('asset_id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=False),
    sa.Column('parent_id', sa.String(length=32), nullable=True),
    sa.Column('author_id', sa.String(length=32), nullable=True),
    sa.Column('at_ms', sa.Integer(), nullable=False),
    sa.Column('end_ms', sa.Integer(), nullable=True),
    sa.Column('body_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['media_asset.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['review_comment.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by'], ['user_account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review_comment', schema=None) as batch_op:
        batch_op.create_index('ix_review_comment_asset_time', ['asset_id', 'at_ms', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_comment_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_comment_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_comment_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_comment_resolved_by'), ['resolved_by'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('review_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_comment_resolved_by'))
        batch_op.drop_index(batch_op.f('ix_review_comment_project_id'))
        batch_op.drop_index(batch_op.f('ix_review_comment_parent_id'))
        batch_op.drop_index(batch_op.f('ix_review_comment_author_id'))
        batch_op.drop_index('ix_review_comment_asset_time')

    op.drop_table('review_comment')
    with op.batch_alter_table('derush_suggestion_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_derush_suggestion_decision_decided_by'))

    op.drop_table('derush_suggestion_decision')
    with op.batch_alter_table('derush_selection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_derush_selection_project_id'))
        batch_op.drop_index(batch_op.f('ix_derush_selection_created_by'))
        batch_op.drop_index('ix_derush_selection_asset_in')

    op.drop_table('derush_selection')
