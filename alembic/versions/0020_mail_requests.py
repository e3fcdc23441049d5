"""inbound privacy mail and the mailbox cursor

Revision ID: 0020_mail_requests
Revises: 0018_detection
Create Date: 2026-11-30 18:22:37.878609
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0020_mail_requests'
down_revision: str | None = '0018_detection'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('mailbox_cursor',
    sa.Column('mailbox', sa.String(length=64), nullable=False),
    sa.Column('uid_validity', sa.BigInteger(), nullable=False),
    sa.Column('last_uid', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('mailbox')
    )
    op.create_table('inbound_mail',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('message_key', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('sender_index', sa.String(length=64), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
    sa.Column('sender_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('subject_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('body_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirm_token_hash', sa.String(length=64), nullable=True),
    sa.Column('confirm_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['privacy_request.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('confirm_token_hash'),
    sa.UniqueConstraint('message_key'),
    sa.UniqueConstraint('request_id')
    )
    with op.batch_alter_table('inbound_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_mail_acknowledged_at'), ['acknowledged_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_mail_sender_index'), ['sender_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_mail_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('inbound_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_mail_user_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_mail_sender_index'))
        batch_op.drop_index(batch_op.f('ix_inbound_mail_acknowledged_at'))

    op.drop_table('inbound_mail')
    op.drop_table('mailbox_cursor')
