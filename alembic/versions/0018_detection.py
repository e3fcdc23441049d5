"""detection: security alerts, the counter store's fallback, admins' known devices

Revision ID: 0018_detection
Revises: 0017_admin_people
Create Date: 2026-11-30 18:20:51.975926
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0018_detection'
down_revision: str | None = '0017_admin_people'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('security_alert',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('user_ids', sa.JSON(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('open_key', sa.String(length=140), nullable=True),
    sa.Column('mailed', sa.Boolean(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=32), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('open_key')
    )
    with op.batch_alter_table('security_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_alert_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_alert_rule'), ['rule'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_alert_status'), ['status'], unique=False)

    op.create_table('security_signal',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('security_signal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_signal_at'), ['at'], unique=False)
        batch_op.create_index('ix_security_signal_key_at', ['key', 'at'], unique=False)

    op.create_table('known_device',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'fingerprint')
    )
    with op.batch_alter_table('known_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_known_device_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('known_device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_known_device_user_id'))

    op.drop_table('known_device')
    with op.batch_alter_table('security_signal', schema=None) as batch_op:
        batch_op.drop_index('ix_security_signal_key_at')
        batch_op.drop_index(batch_op.f('ix_security_signal_at'))

    op.drop_table('security_signal')
    with op.batch_alter_table('security_alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_security_alert_status'))
        batch_op.drop_index(batch_op.f('ix_security_alert_rule'))
        batch_op.drop_index(batch_op.f('ix_security_alert_opened_at'))

    op.drop_table('security_alert')
