"""incidents, their timeline and people, app flags

Revision ID: 0021_incidents
Revises: 0020_mail_requests
Create Date: 2026-11-30 18:19:56.167748
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0021_incidents'
down_revision: str | None = '0020_mail_requests'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('app_flag',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('set_by', sa.String(length=32), nullable=True),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('incident_id', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('incident',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('nature', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('alert_id', sa.String(length=32), nullable=True),
    sa.Column('opened_by', sa.String(length=32), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('aware_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('affected_rule', sa.JSON(), nullable=False),
    sa.Column('affected_count', sa.Integer(), nullable=False),
    sa.Column('records_estimate', sa.Integer(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('data_encrypted', sa.Boolean(), nullable=True),
    sa.Column('keys_safe', sa.Boolean(), nullable=True),
    sa.Column('risk_level', sa.String(length=16), nullable=True),
    sa.Column('risk_reasoning', sa.Text(), nullable=True),
    sa.Column('likely_consequences', sa.Text(), nullable=True),
    sa.Column('measures_proposed', sa.Text(), nullable=True),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('late_reason', sa.Text(), nullable=True),
    sa.Column('notice_nature', sa.Text(), nullable=True),
    sa.Column('notice_consequences', sa.Text(), nullable=True),
    sa.Column('notice_measures', sa.Text(), nullable=True),
    sa.Column('notice_advice', sa.Text(), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_cause', sa.Text(), nullable=True),
    sa.Column('review_fixes', sa.Text(), nullable=True),
    sa.Column('review_follow_ups', sa.Text(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_status'), ['status'], unique=False)

    op.create_table('incident_event',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('incident_id', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incident_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_event_incident_id'), ['incident_id'], unique=False)

    op.create_table('incident_person',
    sa.Column('incident_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('email_status', sa.String(length=16), nullable=True),
    sa.Column('in_app_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('incident_id', 'user_id')
    )
    with op.batch_alter_table('incident_person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_person_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('incident_person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_person_user_id'))

    op.drop_table('incident_person')
    with op.batch_alter_table('incident_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_event_incident_id'))

    op.drop_table('incident_event')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_status'))

    op.drop_table('incident')
    op.drop_table('app_flag')
