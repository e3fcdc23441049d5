"""connected accounts, oauth attempts, project channels, discord outbox

Revision ID: 0014_connections
Revises: 0013_processing
Create Date: 2026-11-30 17:45:32.687736
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014_connections'
down_revision: str | None = '0013_processing'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('connected_account',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('sandbox', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('scopes', sa.Text(), nullable=False),
    sa.Column('external_id_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('handle_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('access_token_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('refresh_token_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('access_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refresh_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('connected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('problem', sa.String(length=300), nullable=True),
    sa.Column('reconnect_notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dm_problem', sa.String(length=300), nullable=True),
    sa.Column('share_handle', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'provider', name='uq_connected_account_user_provider')
    )
    op.create_table('discord_outbox',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('text_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('parts_sent', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('discord_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_discord_outbox_status_next', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_discord_outbox_user_id'), ['user_id'], unique=False)

    op.create_table('oauth_attempt',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=True),
    sa.Column('verifier_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('state_hash')
    )
    with op.batch_alter_table('oauth_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_attempt_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth_attempt_user_id'), ['user_id'], unique=False)

    op.create_table('project_channel',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=False),
    sa.Column('webhook_id_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('webhook_token_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('channel_name_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('connected_by', sa.String(length=32), nullable=True),
    sa.Column('sandbox', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('dead_reason', sa.String(length=300), nullable=True),
    sa.Column('connected_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connected_by'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id')
    )
    with op.batch_alter_table('project_channel', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_channel_connected_by'), ['connected_by'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('project_channel', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_channel_connected_by'))

    op.drop_table('project_channel')
    with op.batch_alter_table('oauth_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_attempt_user_id'))
        batch_op.drop_index(batch_op.f('ix_oauth_attempt_created_at'))

    op.drop_table('oauth_attempt')
    with op.batch_alter_table('discord_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_discord_outbox_user_id'))
        batch_op.drop_index('ix_discord_outbox_status_next')

    op.drop_table('discord_outbox')
    op.drop_table('connected_account')
