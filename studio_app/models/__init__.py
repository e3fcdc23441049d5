"""SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``,
which Alembic compares against the migrations (see ``alembic/env.py``)."""

from studio_app.models import accounts, audit, files, media, privacy, projects, uploads  # noqa: F401
