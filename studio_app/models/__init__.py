"""SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``,
which Alembic compares against the migrations (see ``alembic/env.py``)."""

from studio_app.models import (  # noqa: F401
    accounts,
    admin,
    audit,
    connections,
    files,
    incidents,
    jobs,
    mail_requests,
    media,
    privacy,
    projects,
    publications,
    review,
    security,
    uploads,
)
