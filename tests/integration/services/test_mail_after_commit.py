"""Mail goes out after the transaction that decided it commits: never while it is open, never if it rolls back."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from studio_app.database import session_scope
from studio_app.integrations.mail import read_outbox
from studio_app.jobs.mailings import send_announcements, send_policy_notices
from studio_app.models.base import utcnow
from studio_app.models.projects import Notification
from studio_app.services import (
    accounts,
    announcements,
    background,
    invitations,
    notifications,
    policies,
    privacy,
    privacy_requests,
)
from studio_app.services.accounts import SignUpForm
from tests.support.accounts import CLIENT, STRONG_PASSWORD, signed_in
from tests.support.projects import call, new_project, person


class Rollback(Exception):
    pass


def mails_to(settings, address: str) -> list:
    return [mail for mail in read_outbox(settings) if address in mail.to]


def sign_up_form(email: str) -> SignUpForm:
    return SignUpForm(email=email, password=STRONG_PASSWORD, display_name="Zoe Martin", role="editor",
                      accepts_privacy_policy=True)


def admin(settings):
    with session_scope() as session:
        accounts.create_admin(session, "ada@example.com", STRONG_PASSWORD, "Ada Admin")
    return signed_in(settings, "ada@example.com")[1]


def single_mails(settings):
    """(what a service does, who it mails): each one, run inside a transaction by the test."""
    producer = person(settings, "pro@example.com")
    project_id = new_project(producer).id
    question = call(privacy_requests.submit_request, producer, "question", "What do you keep about me?")
    ada = admin(settings)
    return [
        (lambda session: accounts.sign_up(session, settings, sign_up_form("zoe@example.com"), CLIENT),
         "zoe@example.com"),
        (lambda session: accounts.sign_up(session, settings, sign_up_form("pro@example.com"), CLIENT),
         "pro@example.com"),
        (lambda session: accounts.request_password_reset(session, settings, "pro@example.com", CLIENT),
         "pro@example.com"),
        (lambda session: invitations.invite_editor(session, settings, producer, project_id, email="new@example.com"),
         "new@example.com"),
        (lambda session: privacy_requests.answer_request(session, settings, ada, question.id, "done", "Everything."),
         "pro@example.com"),
    ]


def test_no_mail_while_the_transaction_is_open_and_none_after_a_rollback(sqlite_settings):
    for work, address in single_mails(sqlite_settings):
        before = len(mails_to(sqlite_settings, address))
        with pytest.raises(Rollback), session_scope() as session:
            work(session)
            assert len(mails_to(sqlite_settings, address)) == before  # decided, not sent
            raise Rollback
        background.wait_until_idle()
        assert len(mails_to(sqlite_settings, address)) == before  # rolled back: never sent
        with session_scope() as session:
            work(session)
            assert len(mails_to(sqlite_settings, address)) == before
        background.wait_until_idle()  # account mails leave after the answer (their timing must not tell)
        assert len(mails_to(sqlite_settings, address)) == before + 1  # sent once committed


def test_mailings_go_out_after_their_batch_commits(sqlite_settings):
    editor = person(sqlite_settings, "ed@example.com", role="editor")
    call(privacy.give_consent, editor, "marketing_email")
    ada = admin(sqlite_settings)
    call(policies.publish_policy, ada, "# Policy v2\n\nShorter.", "Shorter.", True)
    call(announcements.create_announcement, ada, "News", "Something new.")
    call(notifications.notify, user_ids=[editor.user_id], kind="milestone_due")
    with session_scope() as session:
        session.execute(sa.update(Notification).values(created_at=utcnow() - timedelta(hours=1)))
    batches = [
        lambda session: policies.mail_notice_batch(session, sqlite_settings),
        lambda session: announcements.mail_announcement_batch(session, sqlite_settings),
        lambda session: notifications.send_email_digests(session, sqlite_settings, offline_user_ids=[editor.user_id]),
    ]
    for batch in batches:
        before, everyone_before = len(mails_to(sqlite_settings, "ed@example.com")), len(read_outbox(sqlite_settings))
        with pytest.raises(Rollback), session_scope() as session:
            batch(session)
            raise Rollback
        assert len(read_outbox(sqlite_settings)) == everyone_before
        with session_scope() as session:
            sending = batch(session)
            assert len(read_outbox(sqlite_settings)) == everyone_before and sending.sent == 0
        assert len(mails_to(sqlite_settings, "ed@example.com")) == before + 1
        assert len(read_outbox(sqlite_settings)) == everyone_before + sending.sent
    assert send_policy_notices(sqlite_settings) == 0 and send_announcements(sqlite_settings) == 0  # nobody twice
