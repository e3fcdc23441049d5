"""The admin console's people: suspension, sign-out everywhere, the admin role with a second admin's approval,
re-authentication before sensitive actions, and the audit trail of each."""

from datetime import timedelta

import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.errors import NotFound
from studio_app.models.accounts import User, UserSession
from studio_app.models.admin import AccountSuspension
from studio_app.models.audit import AuditEvent
from studio_app.security.blind_index import email_index
from studio_app.security.keyring import current_keys
from studio_app.security.policy import NotAllowed
from studio_app.services import accounts, admin_users, sessions
from studio_app.services.accounts import AccountError
from studio_app.services.validation import InvalidInput
from tests.support.accounts import signed_in, verified_account
from tests.support.admins import admin, reauthenticate


@pytest.fixture
def people(settings):
    verified_account(settings, "zoe@example.com", name="Zoé")
    verified_account(settings, "sam@example.com", name="Sam", role="editor")
    return settings


def user_id_of(email: str) -> str:
    with session_scope() as session:
        return session.exec(select(User.id).where(User.email_index == email_index(current_keys().index_key, email))
                            ).one()


def run(service, *args):
    with session_scope() as session:
        return service(session, *args)


def audit_kinds() -> list[tuple[str, str | None, str | None]]:
    with session_scope() as session:
        return [(event.kind, event.actor_id, event.subject_id)
                for event in session.exec(select(AuditEvent).order_by(AuditEvent.sequence)).all()]


def test_find_by_exact_email_only(people):
    ops = admin(people)
    zoe_id = user_id_of("zoe@example.com")
    assert run(admin_users.find_user, ops, "  ZOE@example.com ") == zoe_id
    assert run(admin_users.find_user, ops, "zoe@example.co") is None
    details = run(admin_users.user_details, ops, zoe_id)
    assert (details.email, details.display_name, details.role, details.suspended_at) == (
        "zoe@example.com", "Zoé", "producer", None)
    assert ("admin.user_looked_up", ops.user_id, zoe_id) in audit_kinds()


def test_a_suspended_user_cannot_sign_in_and_their_sessions_end(people):
    ops = admin(people)
    zoe_secret, zoe = signed_in(people, "zoe@example.com")
    ended = []
    sessions.SESSION_END_LISTENERS.append(ended.append)
    try:
        run(admin_users.suspend_user, ops, zoe.user_id, "Fraudulent payments reported by the bank")
    finally:
        sessions.SESSION_END_LISTENERS.remove(ended.append)
    assert ended == [(zoe.session_id,)]  # the web layer signs those tabs out live
    with session_scope() as session:
        assert sessions.resolve_session(session, people, zoe_secret) is None
    with pytest.raises(AccountError, match="suspended"):
        signed_in(people, "zoe@example.com")
    details = run(admin_users.user_details, ops, zoe.user_id)
    assert details.suspended_at is not None and details.live_sessions == 0
    assert details.suspension_reason == "Fraudulent payments reported by the bank"
    with session_scope() as session:  # the reason is sealed
        row = session.exec(select(AccountSuspension)).one()
        assert b"Fraudulent" not in bytes(row.reason_encrypted)
    assert ("admin.user_suspended", ops.user_id, zoe.user_id) in audit_kinds()
    assert ("signin.suspended", None, zoe.user_id) in audit_kinds()

    run(admin_users.restore_user, ops, zoe.user_id, "The bank withdrew its report")
    assert signed_in(people, "zoe@example.com")[1] is not None
    assert ("admin.user_restored", ops.user_id, zoe.user_id) in audit_kinds()


def test_a_suspended_session_stops_even_if_it_was_not_revoked(people):
    ops = admin(people)
    zoe_secret, zoe = signed_in(people, "zoe@example.com")
    run(admin_users.suspend_user, ops, zoe.user_id, "Account takeover under investigation")
    with session_scope() as session:  # a session somehow left open still resolves to nobody
        session.get(UserSession, zoe.session_id).revoked_at = None
    with session_scope() as session:
        assert sessions.resolve_session(session, people, zoe_secret) is None


def test_a_reason_is_required(people):
    ops = admin(people)
    zoe_id = user_id_of("zoe@example.com")
    for reason in ("", "   ", "no", None, 42, "x" * 1001):
        with pytest.raises(InvalidInput):
            run(admin_users.suspend_user, ops, zoe_id, reason)
        with pytest.raises(InvalidInput):
            run(admin_users.sign_out_everywhere, ops, zoe_id, reason)
    assert run(admin_users.user_details, ops, zoe_id).suspended_at is None


def test_sensitive_actions_need_the_password_again(people):
    ops = admin(people, reauthenticated=False)
    zoe_id = user_id_of("zoe@example.com")
    for service, args in ((admin_users.suspend_user, (zoe_id, "Spam reported by many")),
                          (admin_users.suspend_users, ([zoe_id], "Spam reported by many")),
                          (admin_users.grant_admin, (zoe_id,)),
                          (admin_users.remove_admin, (ops.user_id, "producer"))):
        with pytest.raises(AccountError, match="password again"):
            run(service, ops, *args)
    # Sign-out everywhere is containment, not a judgement: no password needed.
    assert run(admin_users.sign_out_everywhere, ops, zoe_id, "Lost laptop reported by the user") == 0
    reauthenticate(ops)
    run(admin_users.suspend_user, ops, zoe_id, "Spam reported by many")
    with session_scope() as session:  # ten minutes later, it is asked again
        row = session.get(UserSession, ops.session_id)
        row.reauthenticated_at -= timedelta(minutes=accounts.REAUTHENTICATION_MINUTES + 1)
    with pytest.raises(AccountError, match="password again"):
        run(admin_users.restore_user, ops, zoe_id, "Checked again, was fine")


def test_only_admins(people):
    _, zoe = signed_in(people, "zoe@example.com")
    sam_id = user_id_of("sam@example.com")
    for service, args in ((admin_users.find_user, ("sam@example.com",)), (admin_users.user_details, (sam_id,)),
                          (admin_users.suspend_user, (sam_id, "Because I say so")),
                          (admin_users.suspend_users, ([sam_id], "Because I say so")),
                          (admin_users.restore_user, (sam_id, "Because I say so")),
                          (admin_users.sign_out_everywhere, (sam_id, "Because I say so")),
                          (admin_users.grant_admin, (zoe.user_id,)), (admin_users.pending_role_requests, ()),
                          (admin_users.remove_admin, (sam_id, "editor"))):
        for actor in (zoe, None):
            with pytest.raises(NotAllowed):
                run(service, actor, *args)


def test_bulk_suspension_for_containment(people):
    ops = admin(people)
    zoe_id, sam_id = user_id_of("zoe@example.com"), user_id_of("sam@example.com")
    signed_in(people, "sam@example.com")
    assert run(admin_users.suspend_users, ops, [zoe_id, sam_id, ops.user_id, "bogus", zoe_id],
               "Accounts in breach 2026-11") == 2
    assert run(admin_users.suspend_users, ops, [zoe_id, sam_id], "Accounts in breach 2026-11") == 0
    with session_scope() as session:
        assert session.exec(select(UserSession).where(UserSession.user_id == sam_id,
                                                      UserSession.revoked_at.is_(None))).all() == []
        assert session.get(User, ops.user_id).suspended_at is None


def test_sign_out_everywhere_counts_and_audits(people):
    ops = admin(people)
    secret_a, zoe = signed_in(people, "zoe@example.com")
    signed_in(people, "zoe@example.com")
    assert run(admin_users.sign_out_everywhere, ops, zoe.user_id, "User asked by phone, lost phone") == 2
    with session_scope() as session:
        assert sessions.resolve_session(session, people, secret_a) is None
    assert ("admin.user_signed_out", ops.user_id, zoe.user_id) in audit_kinds()
    with pytest.raises(NotFound):
        run(admin_users.sign_out_everywhere, ops, "f" * 32, "No such person at all")


def test_the_only_admin_grants_at_once(people):
    ops = admin(people)
    zoe_id = user_id_of("zoe@example.com")
    assert run(admin_users.grant_admin, ops, zoe_id) is True
    assert run(admin_users.user_details, ops, zoe_id).role == "admin"
    assert ("admin.role_granted", ops.user_id, zoe_id) in audit_kinds()


def test_with_two_admins_a_grant_needs_the_other_one(people):
    ops = admin(people)
    second = admin(people, "second@example.com", "Second")
    sam_id = user_id_of("sam@example.com")
    assert run(admin_users.grant_admin, ops, sam_id) is False
    assert run(admin_users.user_details, ops, sam_id).role == "editor"
    [request] = run(admin_users.pending_role_requests, ops)
    assert request.mine and request.user_id == sam_id
    with pytest.raises(InvalidInput, match="already waits"):
        run(admin_users.grant_admin, second, sam_id)
    with pytest.raises(NotAllowed, match="Another admin"):
        run(admin_users.approve_admin_request, ops, request.id)
    assert run(admin_users.user_details, ops, sam_id).role == "editor"
    assert not run(admin_users.pending_role_requests, second)[0].mine
    run(admin_users.approve_admin_request, second, request.id)
    assert run(admin_users.user_details, ops, sam_id).role == "admin"
    assert run(admin_users.pending_role_requests, ops) == []
    with pytest.raises(NotFound):
        run(admin_users.approve_admin_request, second, request.id)
    assert ("admin.role_requested", ops.user_id, sam_id) in audit_kinds()
    assert ("admin.role_granted", second.user_id, sam_id) in audit_kinds()


def test_a_request_can_be_cancelled(people):
    ops = admin(people)
    second = admin(people, "second@example.com", "Second")
    zoe_id = user_id_of("zoe@example.com")
    run(admin_users.grant_admin, ops, zoe_id)
    [request] = run(admin_users.pending_role_requests, second)
    run(admin_users.cancel_admin_request, second, request.id)
    with pytest.raises(NotFound):
        run(admin_users.approve_admin_request, second, request.id)
    assert run(admin_users.user_details, ops, zoe_id).role == "producer"


def test_removing_the_admin_role(people):
    ops = admin(people)
    second = admin(people, "second@example.com", "Second")
    with pytest.raises(NotAllowed, match="Another admin"):
        run(admin_users.remove_admin, ops, ops.user_id, "producer")
    with pytest.raises(InvalidInput):
        run(admin_users.remove_admin, ops, second.user_id, "admin")
    run(admin_users.remove_admin, ops, second.user_id, "editor")
    assert run(admin_users.user_details, ops, second.user_id).role == "editor"
    assert ("admin.role_removed", ops.user_id, second.user_id) in audit_kinds()
    with session_scope() as session:  # the former admin's session now acts as an editor
        assert sessions.resolve_session_id(session, people, second.session_id).role == "editor"


def test_admin_sessions_end_sooner(people, monkeypatch):
    ops = admin(people)
    _, zoe = signed_in(people, "zoe@example.com")
    with session_scope() as session:
        for row in session.exec(select(UserSession)).all():  # both last used 31 minutes ago
            row.last_used_at -= timedelta(minutes=31)
            row.created_at -= timedelta(minutes=31)
    with session_scope() as session:
        assert sessions.resolve_session_id(session, people, ops.session_id) is None
        assert sessions.resolve_session_id(session, people, zoe.session_id) is not None
