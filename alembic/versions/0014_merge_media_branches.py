"""join the uploads, derush/review and processing branches of the media revisions (for the lead to drop when re-chaining)

Revision ID: 0014_merge_media_branches
Revises: 0011_uploads, 0012_derush_review, 0013_processing
Create Date: 2026-11-30 15:30:00.000000
"""

from collections.abc import Sequence

revision: str = '0014_merge_media_branches'
down_revision: str | tuple[str, ...] | None = ('0011_uploads', '0012_derush_review', '0013_processing')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
