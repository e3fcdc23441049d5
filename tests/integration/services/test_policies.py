"""Versioned privacy policy: versions, publishing rules, the banner, acknowledgement, notice emails."""

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.integrations.mail import MailError, read_outbox
from studio_app.jobs.mailings import send_policy_notices
from studio_app.models.accounts import User
from studio_app.models.audit import AuditEvent
from studio_app.models.base import utcnow
from studio_app.models.privacy import PolicyNotice
from studio_app.security.policy import NotAllowed
from studio_app.services import accounts, mailing, policies, privacy
from studio_app.services.validation import InvalidInput
from tests.support.accounts import STRONG_PASSWORD, signed_in
from tests.support.projects import call, person

V2 = "# Privacy policy\n\nVersion two: we now keep review comments for one year."


def admin(settings, email: str = "admin@example.com"):
    with session_scope() as session:
        accounts.create_admin(session, email, STRONG_PASSWORD, "Ada Admin")
    return signed_in(settings, email)[1]


def publish(actor, body: str = V2, summary: str = "Review comments are kept for one year.", significant=True,
            effective_at=None):
    return call(policies.publish_policy, actor, body, summary, significant, effective_at)


def test_version_one_is_the_shipped_file_and_says_what_the_product_does(sqlite_settings):
    with session_scope() as session:
        current = policies.current_policy(session)
        versions = policies.policy_versions(session)
    assert current.version == 1 and [view.version for view in versions] == [1]
    text = " ".join(current.body_markdown.split()).lower()
    for promise in ("encrypted in the database", "under a data key of your own", "privacy center", "write a request",
                    f"erased after {sqlite_settings.technical_data_days} days", "no advertising trackers",
                    "within one month", "one cookie"):
        assert promise in text, promise
    for info in privacy.CATEGORY_INFO.values():  # every category of the register is explained
        assert f"**{info.label.lower()}**" in text, info.label
    assert "<" not in text  # plain Markdown, no HTML


def test_publishing_numbers_versions_in_sequence_and_keeps_the_earlier_ones(settings):
    ada = admin(settings)
    second = publish(ada)
    third = publish(ada, body=V2 + "\n\nAnd a typo fixed.", summary="Typo.", significant=False)
    assert (second.version, third.version) == (2, 3)
    with session_scope() as session:
        assert [view.version for view in policies.policy_versions(session)] == [3, 2, 1]
        assert policies.current_policy(session).version == 3
        assert policies.policy_version(session, 1).body_markdown == policies.built_in_policy().body_markdown
        assert policies.policy_version(session, "2").body_markdown == V2
        assert policies.policy_version(session, "../etc") is None and policies.policy_version(session, 99) is None
        kinds = session.exec(select(AuditEvent.kind).where(AuditEvent.kind == "policy.published")).all()
    assert len(kinds) == 2


def test_only_admins_publish_and_the_text_is_checked(sqlite_settings):
    zoe = person(sqlite_settings, "zoe@example.com")
    ada = admin(sqlite_settings)
    with pytest.raises(NotAllowed):
        publish(zoe)
    with pytest.raises(NotAllowed):
        publish(None)
    with pytest.raises(InvalidInput) as empty:
        publish(ada, body="   \n ")
    assert empty.value.field == "body_markdown"
    with pytest.raises(InvalidInput) as no_summary:
        publish(ada, summary="")
    assert no_summary.value.field == "change_summary"
    with pytest.raises(InvalidInput) as past:
        publish(ada, effective_at=utcnow() - timedelta(days=3))
    assert past.value.field == "effective_at"
    with pytest.raises(InvalidInput):
        publish(ada, significant="yes")
    with session_scope() as session:
        assert [view.version for view in policies.policy_versions(session)] == [1]


def test_two_admins_publishing_at_once_get_consecutive_numbers(settings):
    ada = admin(settings)
    bob = admin(settings, "bob@example.com")
    results, errors = [], []

    def second_admin():
        try:
            results.append(publish(bob, summary="Bob's change.").version)
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    with session_scope() as session:
        first = policies.publish_policy(session, ada, V2, "Ada's change.", True, None)
        other = threading.Thread(target=second_admin)
        other.start()
        other.join(timeout=1.5)
        assert other.is_alive()  # waits for the first publisher, who has not committed yet
    other.join(timeout=30)
    assert not errors, errors
    assert (first.version, results) == (2, [3])


def test_the_current_version_is_the_newest_in_effect(settings):
    ada = admin(settings)
    publish(ada)
    later = publish(ada, body=V2 + "\n\nFrom next week.", effective_at=utcnow() + timedelta(days=7))
    with session_scope() as session:
        assert policies.current_policy(session).version == 2
        assert policies.upcoming_policy(session).version == later.version == 3
        assert policies.current_policy(session, utcnow() + timedelta(days=8)).version == 3


def test_sign_up_records_the_version_in_effect(settings):
    first = person(settings, "first@example.com")
    publish(admin(settings))
    second = person(settings, "second@example.com")
    with session_scope() as session:
        assert session.get(User, first.user_id).privacy_policy_version == "1"
        assert session.get(User, second.user_id).privacy_policy_version == "2"
        assert policies.pending_notice(session, second) is None  # accepted version 2 at sign-up
        assert policies.pending_notice(session, first).version == 2


def test_the_banner_shows_until_acknowledged_and_only_for_significant_changes(settings):
    zoe = person(settings, "zoe@example.com")
    ada = admin(settings)
    publish(ada, significant=False, summary="Typo.")
    with session_scope() as session:
        assert policies.pending_notice(session, zoe) is None
        assert policies.pending_notice(session, None) is None
    publish(ada)
    notice = call(policies.pending_notice, zoe)
    assert notice.version == 3 and notice.change_summary == "Review comments are kept for one year."
    with pytest.raises(InvalidInput):
        call(policies.acknowledge, zoe, 2)  # not significant: nothing to acknowledge
    with pytest.raises(NotAllowed):
        call(policies.acknowledge, None, 3)
    call(policies.acknowledge, zoe, 3)
    call(policies.acknowledge, zoe, "3")  # twice is harmless
    assert call(policies.pending_notice, zoe) is None
    with session_scope() as session:
        (row,) = session.exec(select(PolicyNotice).where(PolicyNotice.user_id == zoe.user_id)).all()
        assert row.acknowledged_at is not None and row.emailed_at is None
        events = session.exec(select(AuditEvent).where(AuditEvent.kind == "policy.acknowledged")).all()
    assert len(events) == 1 and events[0].actor_id == zoe.user_id
    publish(ada, summary="Another significant change.")
    assert call(policies.pending_notice, zoe).version == 4  # a newer significant version shows again


def test_notice_emails_go_once_per_person_per_version(settings):
    zoe = person(settings, "zoe@example.com", name="Zoé Martin")
    eddie = person(settings, "eddie@example.com", role="editor")
    ada = admin(settings)
    assert send_policy_notices(settings) == 0  # nothing significant published yet
    publish(ada)
    late = person(settings, "late@example.com")  # accepted version 2 at sign-up: not told
    before = len(read_outbox(settings))
    assert send_policy_notices(settings) == 3  # zoe, eddie and the admin
    assert send_policy_notices(settings) == 0  # never twice
    mails = read_outbox(settings)[before:]
    assert sorted(mail.to for mail in mails) == ["admin@example.com", "eddie@example.com", "zoe@example.com"]
    zoes = next(mail for mail in mails if mail.to == "zoe@example.com")
    assert zoes.subject == "We updated our privacy policy"
    assert "Hello Zoé Martin" in zoes.text and "Review comments are kept for one year." in zoes.text
    assert f"{settings.public_url}/privacy/versions/2" in zoes.text
    with session_scope() as session:
        rows = session.exec(select(PolicyNotice)).all()
    assert {row.user_id for row in rows} == {zoe.user_id, eddie.user_id, ada.user_id}
    assert all(row.emailed_at is not None for row in rows) and late.user_id not in {row.user_id for row in rows}
    assert call(policies.pending_notice, zoe).version == 2  # the email does not acknowledge for them
    call(policies.acknowledge, zoe, 2)
    with session_scope() as session:
        row = session.get(PolicyNotice, (rows[0].document_id, zoe.user_id))
        assert row.emailed_at is not None and row.acknowledged_at is not None
    publish(ada, summary="Third.")
    assert send_policy_notices(settings) == 4  # a new significant version: everyone once more, late included


def test_notices_go_out_in_batches(sqlite_settings):
    people = [person(sqlite_settings, f"p{index}@example.com") for index in range(5)]
    publish(admin(sqlite_settings))
    with session_scope() as session:
        first = policies.mail_notice_batch(session, sqlite_settings, batch_size=2)
    assert first.sent == 2 and first.had_candidates
    with session_scope() as session:
        second = policies.mail_notice_batch(session, sqlite_settings, batch_size=2, skip=[people[4].user_id])
    assert second.sent == 2
    assert send_policy_notices(sqlite_settings) == 2  # the rest (the admin and the skipped one)


def test_a_failed_mail_is_tried_again_next_round_and_the_others_go(sqlite_settings, monkeypatch):
    person(sqlite_settings, "zoe@example.com")
    person(sqlite_settings, "eddie@example.com")
    publish(admin(sqlite_settings))
    real_send = mailing.send_mail

    def flaky(settings, to, subject, text):
        if to == "zoe@example.com":
            raise MailError("cannot send mail through smtp.example:587 (timed out)")
        real_send(settings, to, subject, text)

    monkeypatch.setattr(mailing, "send_mail", flaky)
    assert send_policy_notices(sqlite_settings) == 2  # eddie and the admin; zoe failed
    with session_scope() as session:
        assert len(session.exec(select(PolicyNotice)).all()) == 2
    monkeypatch.setattr(mailing, "send_mail", real_send)
    assert send_policy_notices(sqlite_settings) == 1
    assert [mail.to for mail in read_outbox(sqlite_settings)].count("zoe@example.com") == 2  # sign-up, notice


def test_two_rounds_at_once_mail_each_person_once(settings):
    people = [person(settings, f"p{index}@example.com") for index in range(6)]
    publish(admin(settings))
    start = threading.Barrier(2)
    totals = []

    def round_():
        start.wait()
        totals.append(send_policy_notices(settings))

    rounds = [threading.Thread(target=round_) for _ in range(2)]
    for thread in rounds:
        thread.start()
    for thread in rounds:
        thread.join(timeout=60)
    assert sum(totals) == len(people) + 1
    notices = [mail.to for mail in read_outbox(settings) if mail.subject == "We updated our privacy policy"]
    assert sorted(notices) == sorted(set(notices)) and len(notices) == len(people) + 1
