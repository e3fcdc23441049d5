"""one unread notification per thread: a count, and a unique index over the unread message notifications

Revision ID: 0008_notification_threads
Revises: 0007_form_submissions
Create Date: 2026-11-30 08:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008_notification_threads'
down_revision: str | None = '0007_form_submissions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNREAD_THREAD = "kind = 'message' AND read_at IS NULL"
# The same thread's other unread message notification of the same person ("other" in these statements).
SAME_THREAD = ("other.user_id = notification.user_id AND other.project_id = notification.project_id "
               "AND other.kind = 'message' AND other.read_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('count', sa.Integer(), server_default='1', nullable=False))
    # Unread message notifications written one per message so far become one per thread: the newest one,
    # counting them all; then the unique index keeps it so.
    op.execute(f"UPDATE notification SET count = (SELECT count(*) FROM notification AS other WHERE {SAME_THREAD}) "
               f"WHERE {UNREAD_THREAD}")
    op.execute(f"DELETE FROM notification WHERE {UNREAD_THREAD} AND EXISTS (SELECT 1 FROM notification AS other "
               f"WHERE {SAME_THREAD} AND (other.created_at > notification.created_at "
               "OR (other.created_at = notification.created_at AND other.id > notification.id)))")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('uq_notification_unread_thread', ['user_id', 'project_id'], unique=True,
                              sqlite_where=sa.text(UNREAD_THREAD), postgresql_where=sa.text(UNREAD_THREAD))


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('uq_notification_unread_thread', sqlite_where=sa.text(UNREAD_THREAD),
                            postgresql_where=sa.text(UNREAD_THREAD))
        batch_op.drop_column('count')
