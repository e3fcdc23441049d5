"""job failures: background jobs that used every retry

Revision ID: 0010_job_failures
Revises: 0009_media_assets
Create Date: 2026-11-30 14:59:55.079727
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010_job_failures'
down_revision: str | None = '0009_media_assets'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('job_failure',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('task_name', sa.String(length=200), nullable=False),
    sa.Column('arguments', sa.JSON(), nullable=False),
    sa.Column('error_type', sa.String(length=120), nullable=False),
    sa.Column('error_message', sa.String(length=300), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retried_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('job_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_failure_failed_at'), ['failed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('job_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_failure_failed_at'))

    op.drop_table('job_failure')
