"""The admin console's people side: suspensions, admin-role requests, admins reading a project, and the register
of disclosures to authorities."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from studio_app.models.base import id_field, secret_field, time_field
from studio_app.security.personal_data import Category, personal_data


class RoleRequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    CANCELLED = "cancelled"


def _user(*, nullable: bool, ondelete: str, index: bool = True):
    return Field(default=None, sa_column=sa.Column(sa.String(32), sa.ForeignKey("user_account.id", ondelete=ondelete),
                                                   nullable=nullable, index=index))


@personal_data(
    reason_encrypted=(Category.REQUESTS, "telling you and other admins why your account was suspended"),
    restore_reason_encrypted=(Category.REQUESTS, "telling you and other admins why your account was restored"),
)
class AccountSuspension(SQLModel, table=True):
    """One suspension of an account, open until restored. Reasons are sealed under the person's data key."""

    __tablename__ = "account_suspension"

    id: str = id_field()
    user_id: str = _user(nullable=False, ondelete="CASCADE")
    suspended_by: str | None = _user(nullable=True, ondelete="SET NULL", index=False)
    reason_encrypted: bytes = secret_field()
    suspended_at: datetime = time_field(default_now=True)
    restored_by: str | None = _user(nullable=True, ondelete="SET NULL", index=False)
    restore_reason_encrypted: bytes | None = secret_field(nullable=True)
    restored_at: datetime | None = time_field(nullable=True)


class AdminRoleRequest(SQLModel, table=True):
    """Granting the admin role while another admin exists: one admin asks, a different one approves."""

    __tablename__ = "admin_role_request"

    id: str = id_field()
    user_id: str = _user(nullable=False, ondelete="CASCADE")
    requested_by: str | None = _user(nullable=True, ondelete="SET NULL", index=False)
    requested_at: datetime = time_field(default_now=True)
    status: str = Field(default=RoleRequestStatus.PENDING, max_length=16, index=True)
    decided_by: str | None = _user(nullable=True, ondelete="SET NULL", index=False)
    decided_at: datetime | None = time_field(nullable=True)


class AdminProjectAccess(SQLModel, table=True):
    """An admin read a project's content. The reason is sealed under the project's key: its members read it in the
    project's activity."""

    __tablename__ = "admin_project_access"

    id: str = id_field()
    project_id: str = Field(sa_column=sa.Column(sa.String(32), sa.ForeignKey("project.id", ondelete="CASCADE"),
                                                nullable=False, index=True))
    admin_id: str | None = _user(nullable=True, ondelete="SET NULL", index=False)
    reason_encrypted: bytes = secret_field()
    created_at: datetime = time_field(default_now=True)


class LegalDisclosure(SQLModel, table=True):
    """A request from an authority and what was handed over. The register outlives the person's account (it is the
    studio's legal record), so its text is sealed under the entry's own data key (``wrapped_key``), not theirs."""

    __tablename__ = "legal_disclosure"

    id: str = id_field()
    wrapped_key: bytes = secret_field()
    subject_id: str | None = _user(nullable=True, ondelete="SET NULL")
    received_on: date
    authority_encrypted: bytes = secret_field()
    legal_basis_encrypted: bytes = secret_field()
    reference_encrypted: bytes = secret_field()
    data_requested_encrypted: bytes = secret_field()
    # Export categories (services/exports/schema.FILES) handed over: the export is rebuilt from exactly these.
    categories: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    user_informed: bool = False
    not_informed_reason_encrypted: bytes | None = secret_field(nullable=True)
    recorded_by: str | None = _user(nullable=True, ondelete="SET NULL", index=False)
    approver_encrypted: bytes = secret_field()  # who approved handing the data over (a name, maybe outside the app)
    disclosed_on: date
    created_at: datetime = time_field(default_now=True, index=True)
    informed_at: datetime | None = time_field(nullable=True)
