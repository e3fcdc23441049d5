"""admin people: suspensions, admin role requests, admin project reads, legal disclosures

Revision ID: 0017_admin_people
Revises: 0015_publications
Create Date: 2026-11-30 18:19:37.256660
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0017_admin_people'
down_revision: str | None = '0015_publications'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('account_suspension',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('suspended_by', sa.String(length=32), nullable=True),
    sa.Column('reason_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('restored_by', sa.String(length=32), nullable=True),
    sa.Column('restore_reason_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('restored_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['restored_by'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['suspended_by'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('account_suspension', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_suspension_user_id'), ['user_id'], unique=False)

    op.create_table('admin_role_request',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('requested_by', sa.String(length=32), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=32), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('admin_role_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_role_request_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_role_request_user_id'), ['user_id'], unique=False)

    op.create_table('legal_disclosure',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
    sa.Column('subject_id', sa.String(length=32), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('authority_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('legal_basis_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('reference_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('data_requested_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('user_informed', sa.Boolean(), nullable=False),
    sa.Column('not_informed_reason_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('recorded_by', sa.String(length=32), nullable=True),
    sa.Column('approver_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('disclosed_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('informed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['recorded_by'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subject_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('legal_disclosure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_disclosure_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_disclosure_subject_id'), ['subject_id'], unique=False)

    op.create_table('admin_project_access',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=32), nullable=False),
    sa.Column('admin_id', sa.String(length=32), nullable=True),
    sa.Column('reason_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['admin_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('admin_project_access', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_project_access_project_id'), ['project_id'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('suspended_at')

    with op.batch_alter_table('admin_project_access', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_project_access_project_id'))

    op.drop_table('admin_project_access')
    with op.batch_alter_table('legal_disclosure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_disclosure_subject_id'))
        batch_op.drop_index(batch_op.f('ix_legal_disclosure_created_at'))

    op.drop_table('legal_disclosure')
    with op.batch_alter_table('admin_role_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_role_request_user_id'))
        batch_op.drop_index(batch_op.f('ix_admin_role_request_status'))

    op.drop_table('admin_role_request')
    with op.batch_alter_table('account_suspension', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_suspension_user_id'))

    op.drop_table('account_suspension')
